"""CLI basics: --version, bare `flavorscan`, -q/-v before or after the command, --help without JAX, and the
progress a real `flavorscan run` leaves in a batch log (stderr to a file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flavorscan.scanner.cli import COMMANDS, build_parser, main
from flavorscan.version import __version__

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "tests" / "cards" / "plots_zprime.toml"  # a small Z' grid: the fastest kernel to compile
HEAVY = ("jax", "jaxlib", "h5py", "matplotlib", "optax", "scipy", "pandas", "pyarrow", "tqdm")


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"flavorscan {__version__}\n"


def test_bare_flavorscan_lists_the_commands_and_exits_2(capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "usage: flavorscan" in captured.err and "scans of the leptoquark" in captured.err
    for name in COMMANDS:
        assert f"\n    {name} " in captured.err, name


def test_quiet_and_verbose_before_or_after_the_command():
    parser = build_parser()
    for argv in (["-q", "run", "c.toml", "--out", "d"], ["run", "c.toml", "--out", "d", "-q"],
                 ["run", "--quiet", "c.toml", "--out", "d"]):
        args = parser.parse_args(argv)
        assert (args.quiet, args.verbose) == (True, False), argv
    args = parser.parse_args(["-v", "fit", "c.toml"])
    assert (args.quiet, args.verbose, args.progress_interval) == (False, True, 30.0)
    args = parser.parse_args(["info", "-v", "d"])
    assert (args.quiet, args.verbose) == (False, True)


@pytest.mark.parametrize("argv", [["-q", "-v", "point", "c.toml"], ["-q", "run", "c.toml", "--out", "d", "-v"],
                                  ["run", "--quiet", "--verbose", "c.toml", "--out", "d"]])
def test_quiet_with_verbose_is_a_one_line_usage_error(argv, capsys):
    """-q with -v (once silently quiet) is refused before the command runs, wherever each is placed."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err == "flavorscan: error: -q/--quiet and -v/--verbose cannot be used together\n"


@pytest.mark.slow
def test_help_of_every_command_imports_no_heavy_module():
    """`flavorscan [COMMAND] --help` must answer at once: the parsing path imports no JAX, h5py,
    matplotlib, ... (checked on the import set, not timed)."""
    code = f"""
import sys
from flavorscan.scanner.cli import COMMANDS, main
for argv in [["--help"], ["--version"]] + [[name, "--help"] for name in COMMANDS]:
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code == 0, argv
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.fixture(scope="module")
def logged_run(env, tmp_path_factory):
    """One small `flavorscan run` with stderr to a file, as in a batch job, a progress line per step."""
    out = tmp_path_factory.mktemp("progress")
    log = out / "stderr.log"
    with open(log, "w") as stderr:
        result = subprocess.run([sys.executable, "-m", "flavorscan", "run", str(CARD), "--out", str(out / "run"),
                                 "--n", "1536", "--progress-interval", "0"],
                                env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=600)
    return result, log.read_text()


@pytest.mark.slow
def test_batch_log_gets_compilation_and_plain_progress_lines(logged_run):
    result, log = logged_run
    assert result.returncode == 0, log
    lines = [line for line in log.splitlines() if line.startswith("flavorscan run: ")]
    assert lines[0] == "flavorscan run: compiling the zprime scan kernel ..."
    assert lines[1].startswith("flavorscan run: compiled in ") and lines[1].endswith(" s")
    steps = [line for line in lines if "points/s" in line]
    assert len(steps) == 4  # 3 chunks of 512 and the final line
    assert steps[0].startswith("flavorscan run: 512/1,536 points (33.3%), ") and "512 rows kept" in steps[0]
    assert steps[-1].startswith("flavorscan run: done: 1,536/1,536 points (100.0%) in ")
    assert "\r" not in log


@pytest.mark.slow
def test_stdout_off_a_terminal_is_the_json_summary(logged_run):
    result, _ = logged_run
    summary = json.loads(result.stdout)
    assert sorted(summary) == ["chunks_evaluated", "chunks_planned", "chunks_skipped", "out", "points_evaluated",
                               "rows_kept", "seconds", "shard"]
    assert (summary["points_evaluated"], summary["rows_kept"]) == (1536, 1536)


@pytest.mark.slow
def test_quiet_after_the_command_silences_progress(env, logged_run, tmp_path):
    """-q after the command: no progress line (the compiled kernel comes from the module's JAX cache)."""
    result = subprocess.run([sys.executable, "-m", "flavorscan", "run", str(CARD), "--out", str(tmp_path / "q"),
                             "--n", "512", "--progress-interval", "0", "-q"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "flavorscan run:" not in result.stderr
    assert json.loads(result.stdout)["points_evaluated"] == 512


@pytest.mark.parametrize("argv", [["run", "card.toml", "--out", ""], ["discover", "card.toml", "--out", " "],
                                  ["refine", "run-dir", "--out", ""], ["report", "run-dir", "-o", ""],
                                  ["merge", "run-dir", "-o", ""], ["wcxf", "card.toml", "-o", ""]])
def test_empty_output_path_is_a_one_line_error(argv, capsys):
    """An unset shell variable (--out "$OUT") must not mean the current directory: one line, exit 2."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "empty path" in err and len(err.strip().splitlines()) == 1, err
