"""Progress (flavorscan.scanner.progress): the plain lines of batch logs with a fake clock, -q, the work
clock that excludes compilation, the closing summary; the engine's progress of a resumed run."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def plain(clock, **options):
    from flavorscan.scanner.progress import Progress

    stream = io.StringIO()
    options = {"interval": 30.0, **options}
    return Progress("run", stream=stream, clock=clock, tty=False, heartbeat=False, **options), stream


def test_plain_lines_compilation_interval_rate_eta_and_final_line():
    """Off a terminal: "compiling" when it starts, "compiled in" with its duration, a line right after it,
    then at most one line per interval, and a final "done" line; the rate excludes the compilation."""
    clock = FakeClock()
    progress, stream = plain(clock)
    with progress.compiling("the lq scan kernel"):
        clock.now += 14.2
    progress.start(1000)
    clock.now += 1.0
    progress.update(100, kept=5, viable=2)     # the first line after compilation
    clock.now += 10.0
    progress.update(200, kept=9, viable=3)     # within the interval: no line
    clock.now += 29.0
    progress.update(400, kept=20, viable=7)    # 30 s after the previous line
    clock.now += 60.0
    progress.update(1000, kept=50, viable=11)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "flavorscan run: compiling the lq scan kernel ..."
    assert lines[1] == "flavorscan run: compiled in 14.2 s"
    assert lines[2] == "flavorscan run: 100/1,000 points (10.0%), 100 points/s, 5 rows kept, 2 viable, ETA 9.0 s"
    assert lines[3] == "flavorscan run: 400/1,000 points (40.0%), 10.0 points/s, 20 rows kept, 7 viable, ETA 1 min 00 s"
    assert lines[4] == "flavorscan run: 1,000/1,000 points (100.0%), 10.0 points/s, 50 rows kept, 11 viable"
    assert lines[5] == ("flavorscan run: done: 1,000/1,000 points (100.0%) in 1 min 40 s, 10.0 points/s, "
                        "50 rows kept, 11 viable")
    assert len(lines) == 6 and "\r" not in stream.getvalue()
    assert progress.compile_seconds == pytest.approx(14.2) and progress.rate() == pytest.approx(10.0)
    # the summary's timing items of run, refine and discover: the compilation's share and the rate without it
    from flavorscan.scanner.progress import timing_items

    assert timing_items(progress, 114.2, 1000) == [("seconds", "114.2 (compilation 14.2)"),
                                                  ("rate", "10 points/s")]
    assert timing_items(progress, 114.2, 0, rate_digits=1) == [("seconds", "114.2 (compilation 14.2)"), ("rate", None)]


def test_interval_zero_writes_every_update_and_time_budget_fraction():
    """--progress-interval 0: a line per update; without a total (a time budget) the fraction of the budget."""
    clock = FakeClock()
    progress, stream = plain(clock, interval=0.0, unit="points")
    progress.start(None)
    for k in (1, 2, 3):
        clock.now += 2.0
        progress.update(50 * k, fraction=0.25 * k)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0] == "flavorscan run: 50 points (25.0% of the time budget), 25.0 points/s, ETA 6.0 s"
    assert lines[2].startswith("flavorscan run: 150 points (75.0% of the time budget)")


def test_quiet_writes_nothing_but_keeps_the_counts():
    clock = FakeClock()
    progress, stream = plain(clock, enabled=False, verbose=True)
    with progress.compiling("kernels"):
        clock.now += 3.0
    progress.start(10)
    progress.note("per-step timing")
    clock.now += 1.0
    progress.update(10, kept=4, viable=1)
    progress.close()
    assert stream.getvalue() == ""
    assert (progress.done, progress.kept, progress.viable, progress.compile_seconds) == (10, 4, 1, 3.0)


def test_work_announced_before_a_compilation_starts_after_it():
    """A fit announces its starts, then its first call compiles: the work clock (and rate) starts after the
    compilation; an interrupted run says "stopped", not "done"."""
    clock = FakeClock()
    progress, stream = plain(clock, unit="starts")
    progress.start(8)
    with progress.compiling("the refinement kernels"):
        clock.now += 50.0
    clock.now += 4.0
    progress.update(4, viable=1)
    progress.close()
    assert progress.seconds() == 4.0 and progress.rate() == 1.0
    last = stream.getvalue().splitlines()[-1]
    assert last == "flavorscan run: stopped: 4/8 starts (50.0%) in 4.0 s, 1.0 starts/s, 1 viable"


def test_a_compilation_that_also_computed_counts_its_work_as_done_not_in_the_rate():
    """discover: the first evaluation compiles and computes; its points are done, the rate starts after."""
    clock = FakeClock()
    progress, stream = plain(clock, interval=0.0)
    progress.begin_compile("the discovery kernels")
    progress.start(100)
    clock.now += 10.0
    progress.end_compile("the first evaluation", done=10)
    progress.update(10, kept=1, viable=0)
    clock.now += 2.0
    progress.update(30, kept=1, viable=0)
    lines = stream.getvalue().splitlines()
    assert lines[1] == "flavorscan run: compiled in 10.0 s (with the first evaluation)"
    assert lines[2] == "flavorscan run: 10/100 points (10.0%), running for 0.0 s"
    assert lines[3] == "flavorscan run: 30/100 points (30.0%), 10.0 points/s, 1 row kept, 0 viable, ETA 7.0 s"


@pytest.mark.parametrize("interval", [float("inf"), 1e300])
def test_huge_interval_keeps_the_heartbeat_alive(interval):
    """--progress-interval inf or 1e300 (no periodic lines): the heartbeat's wait once overflowed
    (OverflowError, a traceback from its thread); now it waits in capped steps and writes nothing."""
    import threading

    from flavorscan.scanner.progress import Progress

    stream = io.StringIO()
    progress = Progress("run", stream=stream, tty=False, interval=interval)
    failures = []
    previous, threading.excepthook = threading.excepthook, failures.append
    try:
        progress.start(10)
        progress.update(5)
        progress._stop.wait(0.2)  # time for the thread's first wait
        assert progress._thread.is_alive() and not failures
    finally:
        progress.close()
        threading.excepthook = previous
    assert not progress._thread.is_alive()
    assert stream.getvalue().splitlines()[-1].startswith("flavorscan run: stopped: 5/10 points")


def test_bench_child_reports_progress_with_the_commands_options(monkeypatch, capsys):
    """bench --dtype float32 re-runs in a child process: its stderr (the progress) was captured and dropped,
    and -q/-v/--progress-interval were not passed on. Now stderr is inherited and the options follow."""
    import subprocess

    from flavorscan.scanner.cli import build_parser
    from flavorscan.scanner.commands import bench

    calls = []

    def fake_run(argv, **kwargs):
        calls.append((argv, kwargs))
        return subprocess.CompletedProcess(argv, 0, stdout="result\n")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.delenv(bench.CHILD_MARK, raising=False)
    args = build_parser().parse_args(["-v", "bench", "--model", "zprime", "--dtype", "float32",
                                      "--progress-interval", "5"])
    assert bench._rerun(args, x64=False) == 0
    (argv, kwargs), = calls
    assert argv[argv.index("--progress-interval") + 1] == "5.0" and "-v" in argv and "-q" not in argv
    assert kwargs.get("stderr") is None  # inherited: the child's progress reaches the user as it runs
    assert capsys.readouterr().out == "result\n"
    args = build_parser().parse_args(["bench", "--model", "zprime", "-q"])
    assert "-q" in bench._child_argv(args) and "-v" not in bench._child_argv(args)


def test_summary_lines_are_aligned_and_results_are_json_off_a_terminal(capsys):
    from flavorscan.scanner.progress import format_summary, print_result

    text = format_summary("flavorscan run: shard 0/1", [("points", "1,000"), ("rows kept", "50"), ("rate", None)])
    assert text == "flavorscan run: shard 0/1\n  points     1,000\n  rows kept  50"
    print_result({"rows_kept": 50}, text, as_json=False)  # capsys's stdout is no terminal: the JSON line
    assert json.loads(capsys.readouterr().out) == {"rows_kept": 50}


def test_progress_of_a_resumed_run_counts_what_is_left(tmp_path):
    """A run resumed over half of its chunks reports progress against the points it still has to evaluate
    (here 500 of 1050, the partial last chunk done before); the summary counts the skipped chunks."""
    from flavorscan.scanner.config import resolve_card
    from flavorscan.scanner.engine import ScanEngine
    from flavorscan.scanner.progress import Progress
    from flavorscan.scanner.store import RunWriter, load

    card = resolve_card({"model": "zprime", "measurements": "paper2022", "scan": {
        "n": 1050, "chunk_size": 100, "keep": "all", "charges": "Lmu-Ltau",
        "g_X": {"range": [1e-5, 1e-2], "prior": "log"}, "m_Zp": {"range": [1e-3, 10.0], "prior": "log"}}})
    engine = ScanEngine(card)
    with RunWriter(tmp_path, card, planned_chunks=engine.n_chunks) as writer:
        first = engine.run(writer, shard=(0, 2))
    assert (first["chunks_evaluated"], first["points_evaluated"]) == (6, 550)  # chunk 10 holds 50 points
    stream = io.StringIO()
    progress = Progress("run", stream=stream, tty=False, interval=0.0, heartbeat=False)
    with RunWriter(tmp_path, card, planned_chunks=engine.n_chunks) as writer:
        second = engine.run(writer, progress=progress)
    assert (second["chunks_skipped"], second["chunks_evaluated"], second["points_evaluated"]) == (6, 5, 500)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "flavorscan run: compiling the zprime scan kernel ..."
    assert lines[1].startswith("flavorscan run: compiled in")
    assert lines[2].startswith("flavorscan run: 100/500 points (20.0%)")
    assert lines[-1].startswith("flavorscan run: done: 500/500 points (100.0%)") and "500 rows kept" in lines[-1]
    np.testing.assert_array_equal(load(tmp_path)["point_id"], np.arange(1050))


def test_terminal_bar_counts_small_totals_without_si_prefixes():
    """A fit's 2 starts read "2/2" on a terminal bar, not tqdm's "2.00/2.00"; large totals keep "200k"."""
    from flavorscan.scanner.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for total, shown in ((2, "2/2"), (200_000, "200k/200k")):
        stream = Terminal()
        progress = Progress("fit", unit="starts", stream=stream, tty=True, heartbeat=False)
        progress.start(total)
        progress.update(total, kept=1, viable=1)
        progress.close()
        last = stream.getvalue().split("\r")[-1]
        assert f"| {shown} [" in last and "1 viable" in last, last
