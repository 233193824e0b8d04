#!/usr/bin/env python3
"""Generate docs/validation.md: flavorscan against the published numbers of its two source papers.

    python3 scripts/make_validation.py [--out docs/validation.md]

The report is GENERATED: never edit docs/validation.md by hand. tests/cli/test_validation_report.py regenerates
it and fails when the committed file differs from the script's output (header lines excepted), so a change of
physics, inputs or conventions that moves a reported number must be accompanied by a regenerated report.

Every number attributed to "the letter" (J. Julio, S. Saad, A. Thapa, "Marriage between neutrino mass and
flavor anomalies", 2022) or to GSSTZ (Greljo, Soreq, Stangl, Thomsen, Zupan, arXiv:2107.07518) is stored in the
data tables of scripts/validation/published.py, each with the place it was transcribed from: the physics
reference pages docs/physics/leptoquark.md, docs/physics/zprime.md and docs/physics/inputs.md, which transcribe
the papers (section numbers §N are theirs), and the interface contract docs/interface.md. Everything else is
computed by flavorscan itself, through the same one-point function that ``flavorscan point`` uses
(:func:`scanner.pipeline.make_point_function`), or through the kernels for probe configurations.

This file is the command-line entry point; the report is built by the package scripts/validation/ (one module
per job, listed in its ``__init__``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
for _path in (ROOT, SCRIPTS):  # scripts/ is not a package: its validation/ package is imported from here
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import flavorscan.kernels  # noqa: E402,F401  (enables float64 before any JAX array exists)

from validation.build import build_report  # noqa: E402
from validation.report import HEADER_END, Report, fmt, header_lines  # noqa: E402  (the tests use fmt, HEADER_END)

__all__ = ["DEFAULT_OUT", "HEADER_END", "fmt", "main"]

DEFAULT_OUT = ROOT / "docs" / "validation.md"


def main(argv=None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output Markdown file (default: docs/validation.md)")
    args = parser.parse_args(argv)
    report = build_report()
    report.header = header_lines()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.text(), encoding="utf-8")
    print(f"wrote {out} ({len(report.tx1_rows)} TX-I rows, "
          f"{sum(r['passed'] for r in report.tx1_rows)} within tolerance)")
    return report


if __name__ == "__main__":
    main()
