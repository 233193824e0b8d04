"""Hostile run directories through every reader (info, merge, plot, report, refine): files whose objects
reach outside the run directory (external storage, external and soft links, virtual datasets in a segment),
FIFOs and device links where a file is expected, datasets declaring far more rows than the file holds, and a
run.json nested 900 deep. Each must give one line on stderr and exit status 2, never hang, never read
outside the run directory (docs/reliability.md)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from flavorscan.scanner import store
from flavorscan.scanner.cli import main
from flavorscan.scanner.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
CARD = {"model": "lq", "measurements": "paper2022", "scan": {"seed": 7, "n": 2400, "chunk_size": 100}}
SECRET = 4.2424242424242424e42  # the value stored outside the run directory: must never be read
FIRST = "seg-0000-000000.h5"


def _chunk(c: int) -> dict:
    rng = np.random.default_rng(c)
    n = 10
    return {
        "point_id": (c * 100 + np.arange(n)).astype(np.int64),
        "chunk": np.full(n, c, dtype=np.int64),
        "x": rng.normal(size=n),
        "pass_a": rng.random(n) < 0.5,
        "viable": np.zeros(n, dtype=bool),  # (no viable rows: `info` then lists no coupling families)
    }


def make_run(directory: Path) -> Path:
    """A small valid run: 6 chunks of 10 rows in 2 segments."""
    with store.RunWriter(directory, CARD, {"seed": 7}, rows_per_segment=30) as writer:
        for c in range(6):
            writer.add_chunk(c, _chunk(c), counts={"points": 100, "viable": 3})
    return directory


def outside_file(tmp_path: Path, rows: int = 30) -> Path:
    """An HDF5 file outside the run directory holding the secret under /x (and raw bytes beside it)."""
    path = tmp_path / "outside.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.full(rows, SECRET)
    (tmp_path / "outside.bin").write_bytes(np.full(rows, SECRET).tobytes())
    return path


@contextlib.contextmanager
def no_hang(seconds: int = 30):
    """Fail (instead of hanging the suite) if the block takes longer than ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"hung for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- the hostile variants: each modifies a valid run directory -------------------------------------------


def _replace_column(run: Path, make) -> None:
    with h5py.File(run / FIRST, "r+") as f:
        rows = f["x"].shape[0]
        del f["x"]
        make(f, rows)


def external_storage(run: Path, tmp: Path) -> None:
    outside_file(tmp)
    _replace_column(run, lambda f, rows: f.create_dataset(
        "x", shape=(rows,), dtype="f8", external=[(str(tmp / "outside.bin"), 0, rows * 8)]))


def external_link(run: Path, tmp: Path) -> None:
    target = outside_file(tmp)

    def make(f, rows):
        f["x"] = h5py.ExternalLink(str(target), "/x")

    _replace_column(run, make)


def soft_link(run: Path, tmp: Path) -> None:
    def make(f, rows):
        f["x_data"] = np.zeros(rows)
        f["x"] = h5py.SoftLink("/x_data")

    _replace_column(run, make)


def looping_soft_link(run: Path, tmp: Path) -> None:
    def make(f, rows):
        f["x"] = h5py.SoftLink("/x")

    _replace_column(run, make)


def looping_counts_link(run: Path, tmp: Path) -> None:
    with h5py.File(run / FIRST, "r+") as f:
        del f["counts"]
        f["counts"] = h5py.SoftLink("/counts")


def virtual_dataset(run: Path, tmp: Path) -> None:
    target = outside_file(tmp)

    def make(f, rows):
        layout = h5py.VirtualLayout(shape=(rows,), dtype="f8")
        layout[:] = h5py.VirtualSource(str(target), "x", shape=(rows,))
        f.create_virtual_dataset("x", layout)

    _replace_column(run, make)


def fifo_segment(run: Path, tmp: Path) -> None:
    (run / FIRST).unlink()
    os.mkfifo(run / FIRST)


def fifo_run_json(run: Path, tmp: Path) -> None:
    (run / "run.json").unlink()
    os.mkfifo(run / "run.json")


def run_json_to_dev_zero(run: Path, tmp: Path) -> None:
    (run / "run.json").unlink()
    os.symlink("/dev/zero", run / "run.json")


def segment_link_to_fifo(run: Path, tmp: Path) -> None:
    os.mkfifo(tmp / "fifo")
    (run / FIRST).unlink()
    os.symlink(tmp / "fifo", run / FIRST)


def segment_link_outside(run: Path, tmp: Path) -> None:
    """A symbolic link to a valid segment outside the directory: refused too (segments are the run's own)."""
    os.replace(run / FIRST, tmp / FIRST)
    os.symlink(tmp / FIRST, run / FIRST)


def _declare(run: Path, chunk_rows: int, chunk_entries: int = 1) -> None:
    """Rewrite the first segment so that it declares ``chunk_rows`` rows (and ``chunk_entries`` entries of
    /chunks) while storing almost nothing: the datasets are chunked and never written."""
    path = run / FIRST
    with h5py.File(path, "r") as f:
        attrs = dict(f.attrs)
        dtypes = {n: f[n].dtype for n in json.loads(f.attrs["columns"])}
    path.unlink()
    with h5py.File(path, "w", libver="v108") as f:
        for key, value in attrs.items():
            f.attrs[key] = value
        f.create_dataset("chunks", shape=(chunk_entries,), dtype="i8", chunks=(1024,), maxshape=(None,))
        f.create_dataset("chunk_rows", shape=(chunk_entries,), dtype="i8", chunks=(1024,), maxshape=(None,))
        f["chunk_rows"][0] = chunk_rows
        for name, dtype in dtypes.items():
            f.create_dataset(name, shape=(chunk_rows,), dtype=dtype, chunks=(65536,), maxshape=(None,))


def oversize_rows(run: Path, tmp: Path) -> None:
    _declare(run, 10**11)


def oversize_chunk_list(run: Path, tmp: Path) -> None:
    _declare(run, 10, chunk_entries=10**11)


def deeply_nested_run_json(run: Path, tmp: Path) -> None:
    data = json.loads((run / "run.json").read_text())
    data["card"]["deep"] = json.loads("[" * 900 + "]" * 900)
    (run / "run.json").write_text(json.dumps(data))


def merged_virtual_in_directory(run: Path, tmp: Path) -> None:
    """A virtual merge output renamed to a segment name: virtual datasets are for merge outputs only."""
    store.merge(run, tmp / "virtual.h5", virtual=True)
    os.replace(tmp / "virtual.h5", run / "seg-0000-000099.h5")


HOSTILE = {
    "external_storage": (external_storage, "external storage"),
    "external_link": (external_link, "external link"),
    "soft_link": (soft_link, "soft link"),
    "looping_soft_link": (looping_soft_link, "soft link"),
    "looping_counts_link": (looping_counts_link, "soft link"),
    "virtual_dataset": (virtual_dataset, "virtual dataset"),
    "fifo_segment": (fifo_segment, "not a regular file"),
    "fifo_run_json": (fifo_run_json, "not a regular file"),
    "run_json_to_dev_zero": (run_json_to_dev_zero, "symbolic link"),
    "segment_link_to_fifo": (segment_link_to_fifo, "symbolic link"),
    "segment_link_outside": (segment_link_outside, "symbolic link"),
    "oversize_rows": (oversize_rows, "declares shape"),
    "oversize_chunk_list": (oversize_chunk_list, "declares shape"),
    "deeply_nested_run_json": (deeply_nested_run_json, "nested more than"),
    "merged_virtual_in_directory": (merged_virtual_in_directory, "segment's name"),
}


@pytest.fixture(params=sorted(HOSTILE))
def hostile(request, tmp_path):
    """(run directory, expected phrase of the error, the scratch folder outside it)."""
    make, phrase = HOSTILE[request.param]
    outside = tmp_path / "outside"
    outside.mkdir()
    run = make_run(tmp_path / "run")
    make(run, outside)
    return run, phrase, outside


def cli(capsys, *argv):
    with no_hang():
        code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, phrase):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flavorscan: error: "), err
    assert phrase in lines[0], lines[0]


# -- every reader, in process (fast) ----------------------------------------------------------------------


def test_info_refuses(hostile, capsys):
    run, phrase, _ = hostile
    assert_one_line(*cli(capsys, "info", run)[::2], phrase)
    with pytest.raises(UserError, match=phrase):
        with no_hang():
            store.load(run)


def test_merge_refuses_and_writes_nothing(hostile, capsys, tmp_path):
    run, phrase, _ = hostile
    for extra in ([], ["--virtual"]):
        out = tmp_path / f"merged{len(extra)}.h5"
        assert_one_line(*cli(capsys, "merge", run, "-o", out, *extra)[::2], phrase)
        assert not out.exists() and not out.with_name(out.name + ".tmp").exists()


def test_plot_refuses(hostile, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    run, phrase, _ = hostile
    code, _, err = cli(capsys, "plot", run, "--x", "x", "-o", tmp_path / "x.png")
    assert_one_line(code, err, phrase)
    assert not (tmp_path / "x.png").exists()


def test_report_refuses(hostile, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    run, phrase, _ = hostile
    assert_one_line(*cli(capsys, "report", run, "-o", tmp_path / "report")[::2], phrase)


def test_refine_refuses(hostile, capsys, tmp_path):
    run, phrase, _ = hostile
    assert_one_line(*cli(capsys, "refine", run, "--out", tmp_path / "refined")[::2], phrase)


def test_resume_refuses(hostile):
    """A writer opening the directory (a resume) refuses it too: it must not count a hostile segment's
    chunks as finished, nor read through it."""
    run, phrase, _ = hostile
    with pytest.raises(UserError, match=phrase):
        with no_hang():
            store.RunWriter(run, CARD, {"seed": 7}).close()


def test_external_data_never_reaches_an_output(tmp_path, capsys):
    """The secret stored outside the directory appears in no output, whatever the command printed."""
    run = make_run(tmp_path / "run")
    external_storage(run, tmp_path)
    out = tmp_path / "merged.h5"
    cli(capsys, "merge", run, "-o", out)
    assert not out.exists()
    code, stdout, _ = cli(capsys, "info", run, "--json")
    assert code == 2 and "4.24242" not in stdout


def test_valid_run_passes_every_check(tmp_path, capsys):
    """The checks refuse only hostile files: the same run unmodified reads, merges (both ways) and resumes."""
    run = make_run(tmp_path / "run")
    code, out, err = cli(capsys, "info", run)
    assert code == 0, err
    assert cli(capsys, "merge", run, "-o", tmp_path / "m.h5")[0] == 0
    assert cli(capsys, "merge", run, "-o", tmp_path / "v.h5", "--virtual")[0] == 0
    for merged in ("m.h5", "v.h5"):
        assert cli(capsys, "info", tmp_path / merged)[0] == 0
        np.testing.assert_array_equal(store.load(tmp_path / merged)["x"], store.load(run)["x"])
    with store.RunWriter(run, CARD, {"seed": 7}) as writer:
        assert writer.finished_chunks() == set(range(6))


def test_virtual_file_whose_source_is_hostile(tmp_path, capsys):
    """A virtual merge output is accepted with virtual datasets, but its sources are checked like segments:
    a source that became an external link or a FIFO is refused."""
    run = make_run(tmp_path / "run")
    assert store.merge(run, tmp_path / "v.h5", virtual=True)["rows"] == 60
    outside = tmp_path / "outside"
    outside.mkdir()
    external_link(run, outside)
    assert_one_line(*cli(capsys, "info", tmp_path / "v.h5")[::2], "external link")
    fifo_segment(run, outside)
    assert_one_line(*cli(capsys, "info", tmp_path / "v.h5")[::2], "not a regular file")


# -- through the real command line (subprocesses: a hang is a timeout, a crash an exit status) --------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fifo_segment", "fifo_run_json", "segment_link_to_fifo", "looping_soft_link",
                                  "oversize_rows", "external_storage"])
def test_cli_subprocess_never_hangs_or_crashes(tmp_path, name):
    make, phrase = HOSTILE[name]
    outside = tmp_path / "outside"
    outside.mkdir()
    run = make_run(tmp_path / "run")
    make(run, outside)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    for argv in (["info", run], ["merge", run, "-o", tmp_path / "m.h5"]):
        result = subprocess.run([sys.executable, "-m", "flavorscan", *map(str, argv)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and phrase in result.stderr, result.stderr
