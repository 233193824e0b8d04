"""The report in section order: :func:`build_report` evaluates the benchmarks once and lets each section module
append its Markdown (and record its raw numbers in ``report.results`` for the tests)."""

from __future__ import annotations

from .evaluation import load_benchmarks
from .lq_benchmarks import constraints_lines, observables_lines, summary_lines, table_iii_lines, tx1_rows
from .lq_further import further_lines, sensitivities_lines
from .lq_letter import letter_lines
from .report import Report
from .zprime import zprime_lines


def build_report() -> Report:
    """Every section after the header (``report.header`` is left to the caller)."""
    report = Report()
    bench = load_benchmarks()
    report.results.update(tx1=bench.tx1, tx2=bench.tx2, tx1_current=bench.tx1_current,
                          tx2_current=bench.tx2_current)
    report.tx1_rows = tx1_rows(bench)
    report.lines += summary_lines(report, bench)        # how to read, 1. summary
    report.lines += table_iii_lines(report, bench)      # 2. TX-I against Table III
    report.lines += observables_lines(bench)            # 3., 4. every observable
    report.lines += constraints_lines(bench)            # 5. constraints
    report.lines += letter_lines(report, bench)         # 6. the letter's inconsistencies
    report.lines += sensitivities_lines(report, bench)  # 7. sensitivities
    report.lines += further_lines(report, bench)        # 8. further published numbers
    report.lines += zprime_lines(report)                # 9. Z' model
    return report
