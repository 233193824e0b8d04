"""Reliability of the store (docs/reliability.md): a full disk, racing writers, output paths that are not
regular files, damaged metadata and damaged compressed data. Each test reproduces a breakage of issue 17
and fails without its fix."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from flavorscan.scanner import store
from flavorscan.scanner.cli import main
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.store import format as store_format
from flavorscan.scanner.store import writer as store_writer

ROOT = Path(__file__).resolve().parents[2]
CARD = {"model": "lq", "measurements": "paper2022", "scan": {"seed": 7, "n": 10**6, "chunk_size": 1000}}
OTHER = dict(CARD, measurements="current")


def chunk_rows(c: int, n: int = 512, columns: int = 3) -> dict:
    """n rows of chunk c: chunk-major point ids, random (incompressible) floats."""
    rng = np.random.default_rng(c)
    rows = {"point_id": c * 1000 + np.arange(n, dtype=np.int64), "chunk": np.full(n, c, dtype=np.int64)}
    rows.update({f"x{k}": rng.normal(size=n) for k in range(columns)})
    return rows


def write_run(directory, chunks, card=CARD, **kwargs):
    kwargs.setdefault("rows_per_segment", 512)
    with store.RunWriter(directory, card, {"seed": 7}, **kwargs) as writer:
        for c in chunks:
            writer.add_chunk(c, chunk_rows(c), counts={"points": 1000, "kept": 512})
    return writer


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, phrase=""):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flavorscan: error: "), err
    assert phrase in lines[0], lines[0]


def assert_intact(run: Path) -> set:
    """Every complete segment reads (info and load), no .tmp is left; returns the finished chunks."""
    assert not list(run.glob("*.tmp")) and not list(run.glob(".*.tmp")), sorted(os.listdir(run))
    summary = store.info(run)
    rows = store.load(run)
    assert len(rows.get("point_id", [])) == summary["rows"]
    done = set()
    for path in sorted(run.glob("seg-*.h5")):
        with h5py.File(path, "r") as f:
            done.update(f["chunks"][:].tolist())
    return done


# --------------------------------------------------------------------------------------------------
# 3. disk full


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str):
    """A tmpfs of ``size`` mounted at ``path`` (root only; skips with the reason otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root: the full-disk test is skipped (the simulated ENOSPC "
                    "tests still run)")
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode}): the full-disk "
                    f"test is skipped")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_writer_on_a_full_disk(tmp_path):
    """A 3 MB tmpfs, 512-row segments: a one-line UserError when the disk is full (before: RuntimeError
    from h5py, a half-closed HDF5 file, exit 139 under the CLI), every finished segment intact, no .tmp."""
    with small_tmpfs(tmp_path / "disk", "3m") as disk:
        run = disk / "run"
        with pytest.raises(UserError, match="No space left on device") as caught:
            write_run(run, range(400))
        assert "\n" not in str(caught.value)
        done = assert_intact(run)
        assert done and len(done) < 400
        with store.RunWriter(run, CARD, {"seed": 7}) as writer:  # a resume sees exactly the written chunks
            assert writer.finished_chunks() == done


def test_merge_onto_a_full_disk(tmp_path, capsys):
    """merge -o onto a 1 MB tmpfs: one line, exit 2, nothing left behind, the run untouched (before: SIGSEGV
    after ~1,000 lines of h5py __dealloc__ errors)."""
    run = tmp_path / "run"
    write_run(run, range(100), rows_per_segment=5000)
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        for extra in ([], ["--virtual"]):
            code, _, err = cli(capsys, "merge", run, "-o", disk / "merged.h5", *extra)
            if extra:  # a virtual file is small: it fits
                assert code == 0, err
                continue
            assert_one_line(code, err, "No space left on device")
            assert os.listdir(disk) == []
    assert_intact(run)


@pytest.mark.slow
def test_cli_run_on_a_full_disk(tmp_path, env):
    """`flavorscan run --segment-rows 512` on a 3 MB tmpfs: exit 2, one line, finished segments readable by
    `flavorscan info`, no .tmp."""
    from tests.scanner.test_reliability_signals import ENGINE_CARD

    card = tmp_path / "card.toml"
    card.write_text(ENGINE_CARD)
    with small_tmpfs(tmp_path / "disk", "3m") as disk:
        result = subprocess.run(
            [sys.executable, "-m", "flavorscan", "run", str(card), "--out", str(disk / "run"), "--quiet",
             "--n", "200000", "--segment-rows", "512"], env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 2, result.stderr[-3000:]
        assert len(result.stderr.strip().splitlines()) == 1 and "No space left" in result.stderr
        info = subprocess.run([sys.executable, "-m", "flavorscan", "info", str(disk / "run")], env=env,
                              capture_output=True, text=True, timeout=120)
        assert info.returncode == 0, info.stderr
        assert_intact(disk / "run")


def test_writer_write_failure_simulated(tmp_path, monkeypatch):
    """ENOSPC in the middle of a segment write (simulated: runs without root): one-line UserError, the tmp
    file removed, the segments before intact, and the writer writes nothing more (its close does not retry)."""
    run = tmp_path / "run"
    calls = []
    real = store_writer.write_new_file

    def failing(path, data):
        if not str(path).endswith(".h5.tmp"):  # run.json
            return real(path, data)
        calls.append(path)
        if len(calls) == 3:
            with open(path, "wb") as handle:  # half a file, then the disk is full
                handle.write(bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(store_writer, "write_new_file", failing)
    with pytest.raises(UserError, match="No space left on device"):
        write_run(run, range(10))
    assert len(calls) == 3  # no retry from close()
    monkeypatch.undo()
    assert assert_intact(run) == {0, 1}


def test_merge_write_failure_simulated(tmp_path, monkeypatch, capsys):
    """ENOSPC from the merge output's writes (simulated): HDF5 never sees the failure, the merge stops with
    one line and removes its tmp file."""
    run = tmp_path / "run"
    write_run(run, range(20), rows_per_segment=5000)
    real = store_format._LatchingFile.write

    def limited(self, data):
        if self.pos > 100_000 and self.error is None:
            self._latch(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
        return real(self, data)

    monkeypatch.setattr(store_format._LatchingFile, "write", limited)
    monkeypatch.setattr(store_format, "HDF5_CHUNK_ROWS", 512)  # many write blocks
    code, _, err = cli(capsys, "merge", run, "-o", tmp_path / "out" / "m.h5")
    assert_one_line(code, err, "No space left on device")
    assert os.listdir(tmp_path / "out") == []


# --------------------------------------------------------------------------------------------------
# 4. racing writers


def test_run_json_created_exclusively(tmp_path, monkeypatch):
    """The race made deterministic: another process creates run.json (another card) after this writer found
    none and before it creates its own. Before: this writer replaced run.json (check-then-rename) and both
    runs wrote into one directory, which became unreadable. Now the exclusive create fails, the writer reads
    the winner's run.json and refuses the different card."""
    run = tmp_path / "run"
    real = store_writer.segment_files
    raced = []

    def race(directory):
        if not raced:
            raced.append(True)
            write_run(run, [1], card=OTHER, shard=(1, 2))  # the other process wins the race
        return real(directory)

    monkeypatch.setattr(store_writer, "segment_files", race)
    with pytest.raises(UserError, match="different card"):
        store.RunWriter(run, CARD, {}, shard=(0, 2))
    assert json.loads((run / "run.json").read_text())["card_hash"] == store.card_hash(OTHER)
    assert store.info(run)["finished_chunks"] == 1
    # the same card racing: the loser joins the winner's run
    raced.clear()
    run = tmp_path / "run2"

    def race_same(directory):
        if not raced:
            raced.append(True)
            write_run(run, [1], shard=(1, 2))
        return real(directory)

    monkeypatch.setattr(store_writer, "segment_files", race_same)
    with store.RunWriter(run, CARD, {}, shard=(0, 2)) as writer:
        writer.add_chunk(0, chunk_rows(0))
    assert store.info(run)["finished_chunks"] == 2
    assert not list(run.glob(".run.json.*"))


RACE_SCRIPT = """
import sys, time
import numpy as np
from flavorscan.scanner.store import RunWriter
from flavorscan.scanner.errors import UserError
from tests.scanner.test_reliability_store import CARD, OTHER, chunk_rows
directory, index, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
card = CARD if index == 0 else OTHER
while time.time() < start:
    pass
try:
    with RunWriter(directory, card, {"seed": index}, shard=(index, 2)) as w:
        w.add_chunk(index, chunk_rows(index))
    print("ok")
except UserError as exc:
    print("refused", exc)
"""


@pytest.mark.slow
def test_two_writers_started_at_the_same_instant(tmp_path):
    """Two processes, different cards, one fresh directory, started at the same instant (repeated): exactly
    one creates the run, the other is refused; the directory always reads."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for trial in range(8):
        run = tmp_path / f"run{trial}"
        start = time.time() + 1.5
        procs = [subprocess.Popen([sys.executable, "-c", RACE_SCRIPT, str(run), str(i), str(start)], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in (0, 1)]
        outs = [p.communicate(timeout=120) for p in procs]
        verdicts = sorted(out.split()[0] if out else err for out, err in outs)
        assert verdicts == ["ok", "refused"], outs
        summary = store.info(run)
        assert summary["finished_chunks"] == 1 and summary["segments"] == 1


# --------------------------------------------------------------------------------------------------
# 5. output paths


def test_merge_output_must_be_new_or_regular(tmp_path, capsys):
    """merge -o replaces only new or regular files: a FIFO, a symbolic link, a directory are refused (before:
    the FIFO was replaced by an HDF5 file)."""
    run = tmp_path / "run"
    write_run(run, range(3))
    fifo = tmp_path / "fifo.h5"
    os.mkfifo(fifo)
    regular = tmp_path / "regular.h5"
    regular.write_bytes(b"old")
    link = tmp_path / "link.h5"
    link.symlink_to(regular)
    for target, phrase in ((fifo, "not a regular file"), (link, "symbolic link"), (tmp_path, "directory")):
        for extra in ([], ["--virtual"]):
            assert_one_line(*cli(capsys, "merge", run, "-o", target, *extra)[::2], phrase)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and regular.read_bytes() == b"old"
    assert cli(capsys, "merge", run, "-o", regular)[0] == 0  # a regular file is replaced
    assert store.info(regular)["rows"] == 3 * 512
    # a stale temporary file that is not a regular file (here a symbolic link) is refused, never followed
    (tmp_path / "new.h5.tmp").symlink_to(regular)
    assert_one_line(*cli(capsys, "merge", run, "-o", tmp_path / "new.h5")[::2], "not a regular file")
    assert store.info(regular)["rows"] == 3 * 512


def test_merge_refuses_a_device(tmp_path, capsys):
    """As root, `merge -o /dev/full` turned the device node into an HDF5 file; a device made with mknod is
    refused and stays a device."""
    run = tmp_path / "run"
    write_run(run, range(2))
    device = tmp_path / "full"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a character device here ({exc.strerror}): needs root")
    assert_one_line(*cli(capsys, "merge", run, "-o", device)[::2], "not a regular file")
    assert stat.S_ISCHR(os.lstat(device).st_mode)


# --------------------------------------------------------------------------------------------------
# 6. damaged metadata and damaged data


def test_rewritten_chunk_entry_is_a_damaged_segment(tmp_path, capsys):
    """/chunks entry 1 rewritten (1 -> 7) in one segment: before, info said "complete", point ids of chunk 7
    were missing and those of chunk 1 twice, and resume trusted it. Now the chunk column contradicts the
    chunk list: info, merge, load and resume refuse the segment with one line."""
    run = tmp_path / "run"
    write_run(run, range(6), rows_per_segment=1024, planned_chunks=8)
    with h5py.File(run / "seg-0000-000000.h5", "r+") as f:
        assert f["chunks"][1] == 1
        f["chunks"][1] = 7
    assert_one_line(*cli(capsys, "info", run)[::2], "damaged")
    assert_one_line(*cli(capsys, "merge", run, "-o", tmp_path / "m.h5")[::2], "damaged")
    with pytest.raises(UserError, match="damaged"):
        store.load(run)
    with pytest.raises(UserError, match="damaged.*--restart"):
        store.RunWriter(run, CARD, {"seed": 7})


def test_rewritten_chunk_entry_without_a_chunk_column(tmp_path):
    """Without a chunk column, the chunk-major point ids the segment records (point_id_chunk_size) expose the
    rewritten entry."""
    run = tmp_path / "run"
    with store.RunWriter(run, CARD, {}, rows_per_segment=10**6) as writer:
        for c in range(3):
            rows = chunk_rows(c)
            del rows["chunk"]
            writer.add_chunk(c, rows)
    with h5py.File(run / "seg-0000-000000.h5", "r+") as f:
        assert f.attrs["point_id_chunk_size"] == 1000
        f["chunks"][0] = 9
    with pytest.raises(UserError, match="point_id does not match"):
        store.info(run)


def test_raw_rewrite_of_a_chunk_list_is_detected(tmp_path):
    """The issue's reproducer: one 8-byte value of /chunks rewritten in the file's bytes. The checksum of the
    chunk list (fletcher32) catches it, whatever the cross-checks would say."""
    run = tmp_path / "run"
    write_run(run, range(6), rows_per_segment=1024)
    path = run / "seg-0000-000000.h5"
    with h5py.File(path, "r") as f:
        ds = f["chunks"]
        offset = ds.id.get_chunk_info(0).byte_offset if ds.chunks else ds.id.get_offset()
    data = bytearray(path.read_bytes())
    assert int.from_bytes(data[offset + 8 : offset + 16], "little") == 1
    data[offset + 8 : offset + 16] = (7).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="cannot read"):
        store.info(run)


def test_counts_beyond_points_are_damage(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(2), rows_per_segment=1024)
    with h5py.File(run / "seg-0000-000000.h5", "r+") as f:
        f["counts/points"][0] = 3  # fewer points than rows kept
    with pytest.raises(UserError, match="damaged"):
        store.info(run)


def _zero_inside(path: Path, column: str) -> None:
    """Zero 64 bytes (fewer in a tiny compressed chunk) in the middle of the column's first HDF5 chunk."""
    with h5py.File(path, "r") as f:
        info = f[column].id.get_chunk_info(0)
    nbytes = min(64, info.size // 3)
    data = bytearray(path.read_bytes())
    start = info.byte_offset + info.size // 2
    data[start : start + nbytes] = bytes(nbytes)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("column", ["x0", "point_id", "chunk"])
def test_zeroed_compressed_bytes(tmp_path, capsys, column):
    """64 zeroed bytes inside a column's compressed data: before, info and resume passed. Now every dataset
    carries a fletcher32 checksum: load and merge fail with one line for any column; info and resume, which
    read the chunk and point_id columns to cross-check the chunk lists, refuse damage there."""
    run = tmp_path / "run"
    write_run(run, range(4), rows_per_segment=2048)
    _zero_inside(run / "seg-0000-000000.h5", column)
    with pytest.raises(UserError, match="cannot read"):
        store.load(run)
    assert_one_line(*cli(capsys, "merge", run, "-o", tmp_path / "m.h5")[::2], "cannot read")
    if column != "x0":
        assert_one_line(*cli(capsys, "info", run)[::2], "cannot read")
        with pytest.raises(UserError, match="cannot read"):
            store.RunWriter(run, CARD, {"seed": 7})


def _rewrite_without_checksums(path: Path) -> None:
    """The segment as flavorscan wrote it before the checksums: no fletcher32, contiguous chunk lists."""
    with h5py.File(path, "r") as f:
        attrs = dict(f.attrs)
        data = {name: f[name][...] for name in f if name != "counts"}
        counts = {name: f["counts"][name][...] for name in f.get("counts", {})}
    path.unlink()
    with h5py.File(path, "w", libver="v108") as f:
        f.attrs.update(attrs)
        for name, values in data.items():
            if name in ("chunks", "chunk_rows"):
                f.create_dataset(name, data=values)
            else:
                f.create_dataset(name, data=values, chunks=(len(values),), compression="gzip", shuffle=True)
        for name, values in counts.items():
            f.create_dataset(f"counts/{name}", data=values)


def test_segments_without_checksums_stay_readable(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(4), rows_per_segment=1024)
    reference = store.load(run)
    for path in run.glob("seg-*.h5"):
        _rewrite_without_checksums(path)
        with h5py.File(path, "r") as f:
            assert not f["x0"].fletcher32
    rows = store.load(run)
    for name in reference:
        np.testing.assert_array_equal(rows[name], reference[name])
    assert store.info(run)["finished_chunks"] == 4
    with store.RunWriter(run, CARD, {"seed": 7}) as writer:
        assert writer.finished_chunks() == {0, 1, 2, 3}
        writer.add_chunk(4, chunk_rows(4))
    assert store.merge(run, tmp_path / "m.h5")["rows"] == 5 * 512


def test_new_datasets_carry_checksums(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(2))
    store.merge(run, tmp_path / "m.h5")
    for path in [*run.glob("seg-*.h5"), tmp_path / "m.h5"]:
        with h5py.File(path, "r") as f:
            for name in ("chunks", "chunk_rows", "x0", "point_id", "counts/points"):
                assert f[name].fletcher32, (path, name)


# --------------------------------------------------------------------------------------------------
# 8. run.json: one reader, bounded


def test_run_json_nested_900_deep_is_one_line(tmp_path, capsys):
    """report used to raise RecursionError on a run.json nested 900 deep; the one reader refuses it."""
    run = tmp_path / "run"
    write_run(run, range(1))
    meta = json.loads((run / "run.json").read_text())
    meta["card"]["scan"]["deep"] = json.loads("[" * 900 + "]" * 900)
    (run / "run.json").write_text(json.dumps(meta))
    with pytest.raises(UserError, match="nested more than"):
        store.read_run_json(run)
    assert_one_line(*cli(capsys, "info", run)[::2], "nested more than")


def test_run_json_size_is_bounded(tmp_path, monkeypatch):
    run = tmp_path / "run"
    write_run(run, range(1))
    monkeypatch.setattr(store.reader, "MAX_RUN_JSON_BYTES", 100)
    with pytest.raises(UserError, match="more than the 100"):
        store.read_run_json(run)
