"""scanner.store on real files: segments, resume after SIGKILL, shards, load/info/merge, CLI."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
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

ROOT = Path(__file__).resolve().parents[2]
CARD = {"model": "lq", "measurements": "paper2022", "scan": {"seed": 7, "n": 24000, "chunk_size": 100}}
N_CHUNKS = 150
PROV = {"seed": 7, "measurements": "paper2022", "git_commit": "abc123", "dtype": "float64"}


def make_chunk(c: int, seed: int = 7, chunk_major: bool = True) -> dict:
    """Deterministic kept rows of chunk c (0..11 rows; every 5th chunk keeps none)."""
    rng = np.random.default_rng([seed, c])
    n = 0 if c % 5 == 0 else int(rng.integers(0, 12))
    idx = np.sort(rng.choice(100, n, replace=False)).astype(np.int64)
    pid = c * 100 + idx if chunk_major else idx * 10_000 + c
    return {
        "point_id": pid,
        "chunk": np.full(n, c, dtype=np.int64),
        "x": rng.normal(size=n),
        "ordering": rng.integers(0, 2, n).astype(np.int8),
        "pass_a": rng.random(n) < 0.7,
        "viable": rng.random(n) < 0.5,
    }


def write_run(directory, chunks, shard=(0, 1), card=CARD, prov=PROV, **kwargs):
    kwargs.setdefault("rows_per_segment", 40)
    with store.RunWriter(directory, card, prov, shard=shard, **kwargs) as w:
        for c in chunks:
            rows = make_chunk(c)
            w.add_chunk(c, rows, counts={"points": 100, "viable": int(rows["viable"].sum())})
    return w


def expected(chunks, **kw) -> dict:
    parts = [make_chunk(c, **kw) for c in chunks]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(out["point_id"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def assert_same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def segments(directory) -> list[Path]:
    return sorted(Path(directory).glob("seg-*.h5"))


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------------------


def test_round_trip(tmp_path):
    run = tmp_path / "run"
    w = write_run(run, range(30), planned_chunks=30)
    assert len(w.segments_written) >= 2
    data = store.load(run)
    assert_same(data, expected(range(30)))
    assert data["ordering"].dtype == np.int8 and data["viable"].dtype == np.bool_
    assert list(store.load(run, ["x", "chunk"])) == ["x", "chunk"]
    np.testing.assert_array_equal(store.load(run, "x")["x"], data["x"])
    with pytest.raises(UserError, match="no column 'nope'") as error:
        store.load(run, ["nope"])
    assert "(allowed: chunk, ordering, pass_a, point_id, viable, x)" in str(error.value)  # a short list in full
    with pytest.raises(UserError, match=r"no column 'chunks' .*did you mean 'chunk'"):
        store.load(run, ["chunks"])

    meta = json.loads((run / "run.json").read_text())
    assert meta["card_hash"] == store.card_hash(CARD) and meta["card"] == CARD
    with h5py.File(segments(run)[0], "r") as f:
        assert f.attrs["format"] == "flavorscan-segment"
        assert f.attrs["format_version"] == store.FORMAT_VERSION
        assert json.loads(f.attrs["card"]) == CARD
        assert f.attrs["shard"] == "0/1"
        assert f.attrs["git_commit"] == "abc123" and f.attrs["seed"] == 7
        assert f.attrs["measurements"] == "paper2022" and f.attrs["dtype"] == "float64"
        assert json.loads(f.attrs["provenance"]) == PROV
        assert json.loads(f.attrs["columns"]) == list(make_chunk(1))
        ds = f["x"]
        assert ds.compression == "gzip" and ds.shuffle and ds.chunks == (min(ds.shape[0], 65536),)
        assert f["chunks"].dtype == np.int64 and f["chunk_rows"].shape == f["chunks"].shape
    # no process-local state needed: a fresh writer sees every chunk as finished
    with store.RunWriter(run, CARD, PROV) as w2:
        assert w2.finished_chunks() == set(range(30))
    assert len(segments(run)) == len(w.segments_written)  # nothing buffered -> no empty segment


def test_zero_row_chunks_are_finished(tmp_path):
    run = tmp_path / "run"
    empty = {k: v[:0] for k, v in make_chunk(1).items()}
    with store.RunWriter(run, CARD, PROV) as w:
        for c in (3, 4, 9):
            w.add_chunk(c, empty)
    (seg,) = segments(run)
    with h5py.File(seg, "r") as f:
        assert f["x"].shape == (0,) and sorted(f["chunks"][:]) == [3, 4, 9]
    with store.RunWriter(run, CARD, PROV) as w:
        assert w.finished_chunks() == {3, 4, 9}
    data = store.load(run)
    assert all(len(v) == 0 for v in data.values()) and data["x"].dtype == np.float64
    summary = store.info(run)
    assert summary["finished_chunks"] == 3 and summary["rows"] == 0 and summary["viable_fraction"] is None


def test_empty_run_directory(tmp_path):
    run = tmp_path / "run"
    store.RunWriter(run, CARD, PROV).close()
    assert store.load(run) == {}
    assert store.info(run)["segments"] == 0
    assert store.merge(run, tmp_path / "m.h5")["rows"] == 0
    assert store.merge(run, tmp_path / "v.h5", virtual=True)["rows"] == 0
    assert store.load(tmp_path / "m.h5") == {} and store.load(tmp_path / "v.h5") == {}


def test_bad_chunks_are_value_errors(tmp_path):
    with store.RunWriter(tmp_path / "run", CARD, PROV) as w:
        good = make_chunk(1)
        w.add_chunk(1, good)
        with pytest.raises(ValueError, match="already recorded"):
            w.add_chunk(1, good)
        with pytest.raises(ValueError, match="rows"):
            w.add_chunk(2, {**good, "x": np.zeros(len(good["x"]) + 1)})
        with pytest.raises(ValueError, match="differ"):
            w.add_chunk(2, {**good, "x": good["x"].astype(np.float32)})
        with pytest.raises(ValueError, match="differ"):
            w.add_chunk(2, {k: v for k, v in good.items() if k != "x"})
        with pytest.raises(ValueError, match="point_id"):
            w.add_chunk(2, {k: v for k, v in good.items() if k != "point_id"})
        with pytest.raises(ValueError, match="1-D"):
            w.add_chunk(2, {**good, "x": np.zeros((len(good["x"]), 2))})
        with pytest.raises(ValueError, match="reserved"):
            w.add_chunk(2, {**good, "chunks": good["chunk"]})
        with pytest.raises(ValueError):
            w.add_chunk(-1, good)
        w.add_chunk(2, make_chunk(2))
    with pytest.raises(ValueError, match="closed"):
        w.add_chunk(3, make_chunk(3))
    with pytest.raises(ValueError, match="shard"):
        store.RunWriter(tmp_path / "run", CARD, PROV, shard=(2, 2))
    assert store.info(tmp_path / "run")["finished_chunks"] == 2


def test_different_card_refused_and_restart_wipes(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(10))
    other = {**CARD, "measurements": "current"}
    with pytest.raises(UserError, match=r"different card \(measurements: \"paper2022\" there, \"current\" here\); use --restart"):
        store.RunWriter(run, other, PROV)
    # identity: keys allowed to differ between resumes (here the number of points) are left out
    ident = {k: v for k, v in CARD.items() if k != "scan"} | {"seed": 7}
    write_run(tmp_path / "r2", range(3), identity=ident)
    bigger = {**CARD, "scan": {**CARD["scan"], "n": 99999}}
    with store.RunWriter(tmp_path / "r2", bigger, PROV, identity=ident) as w:
        assert w.finished_chunks() == {0, 1, 2}

    (run / "seg-0003-000002.h5.tmp").write_bytes(b"junk")
    with store.RunWriter(run, other, PROV, restart=True) as w:
        assert w.finished_chunks() == set()
        w.add_chunk(5, make_chunk(5))
    assert [p.name for p in segments(run)] == ["seg-0000-000000.h5"]
    assert not list(run.glob("*.tmp"))
    assert json.loads((run / "run.json").read_text())["card"] == other
    assert_same(store.load(run), expected([5]))


def test_segment_sequence_numbers_do_not_collide(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(0, 10))
    first = {p.name for p in segments(run)}
    write_run(run, range(10, 20))
    write_run(run, range(20, 25), shard=(1, 3))
    names = [p.name for p in segments(run)]
    assert first < set(names) and len(names) == len(set(names))
    assert any(n.startswith("seg-0001-") for n in names)
    assert_same(store.load(run), expected(range(25)))


def test_stray_tmp_ignored_and_own_removed(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(8))
    (run / "seg-0000-000050.h5.tmp").write_bytes(b"\x89HDF\r\n half a file")
    (run / "seg-0001-000000.h5.tmp").write_bytes(b"")  # another shard, maybe still writing
    assert_same(store.load(run), expected(range(8)))
    assert store.info(run)["tmp_files"] == 2
    with store.RunWriter(run, CARD, PROV) as w:
        assert w.finished_chunks() == set(range(8))
        w.add_chunk(8, make_chunk(8))
    assert not (run / "seg-0000-000050.h5.tmp").exists()
    assert (run / "seg-0001-000000.h5.tmp").exists()
    assert_same(store.load(run), expected(range(9)))


def test_two_shards_in_one_directory(tmp_path):
    run = tmp_path / "run"
    w0 = store.RunWriter(run, CARD, PROV, shard=(0, 2), rows_per_segment=25)
    w1 = store.RunWriter(run, CARD, {**PROV, "git_commit": "def456"}, shard=(1, 2), rows_per_segment=25)
    with pytest.raises(UserError, match="another process"):
        store.RunWriter(run, CARD, PROV, shard=(1, 2))
    for c in range(0, 40, 2):  # interleaved, as two concurrent processes would
        w0.add_chunk(c, make_chunk(c))
        w1.add_chunk(c + 1, make_chunk(c + 1))
    w0.flush()
    assert set(range(0, 40, 2)) <= w1.finished_chunks()  # sees the other shard's segments
    with pytest.raises(UserError, match="another process is writing"):
        store.RunWriter(run, CARD, PROV, shard=(2, 3), restart=True).close()
    w0.close()
    w1.close()
    assert {p.name[:8] for p in segments(run)} == {"seg-0000", "seg-0001"}
    reference = tmp_path / "ref"
    write_run(reference, range(40), rows_per_segment=1000)
    assert_same(store.load(run), store.load(reference))
    summary = store.info(run)
    assert summary["shards"] == ["0/2", "1/2"]
    assert summary["provenance_variants"]["git_commit"] == ["abc123", "def456"]


def test_duplicate_chunks_read_once(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_run(a, range(0, 6), rows_per_segment=1000)
    write_run(b, range(3, 9), rows_per_segment=1000, shard=(1, 2))
    for p in segments(b):
        shutil.copy(p, a / p.name)
    assert_same(store.load(a), expected(range(9)))
    assert store.info(a)["duplicate_chunks"] == 3
    store.merge(a, tmp_path / "m.h5")
    store.merge(a, tmp_path / "v.h5", virtual=True)
    assert_same(store.load(tmp_path / "m.h5"), expected(range(9)))
    assert_same(store.load(tmp_path / "v.h5"), expected(range(9)))


def test_corrupt_segment_is_user_error(tmp_path, capsys):
    run = tmp_path / "run"
    write_run(run, range(5))
    (run / "seg-0000-000099.h5").write_bytes(b"not an hdf5 file" * 10)
    with pytest.raises(UserError, match="cannot read"):
        store.load(run)
    with pytest.raises(UserError, match="cannot read"):
        store.RunWriter(run, CARD, PROV)
    code, out, err = cli(capsys, "info", run)
    assert code == 2 and err.count("\n") == 1 and "seg-0000-000099.h5" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------------
# interruption: SIGKILL at random moments

KILL_SCRIPT = """
import sys, time
from tests.scanner.test_store import CARD, PROV, N_CHUNKS, make_chunk
from flavorscan.scanner.store import RunWriter
w = RunWriter(sys.argv[1], CARD, PROV, rows_per_segment=12, seconds_per_segment=0.01)
todo = sorted(set(range(N_CHUNKS)) - w.finished_chunks())
print("ready", flush=True)
for c in todo:
    print(c, flush=True)  # announced before add_chunk: finished must be a subset of announced
    w.add_chunk(c, make_chunk(c))
    time.sleep(0.001)
w.close()
print("done", flush=True)
"""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("JAX_PLATFORMS", "cpu")
    return env


def _finished_on_disk(run) -> set:
    done = set()
    for p in segments(run):
        with h5py.File(p, "r") as f:  # every complete segment opens and reads
            for name in json.loads(f.attrs["columns"]):
                assert f[name].shape == (int(f["chunk_rows"][:].sum()),)
                f[name][...]
            done.update(f["chunks"][:].tolist())
    return done


@pytest.mark.slow
def test_resume_after_sigkill_at_random_moments(tmp_path):
    run = tmp_path / "run"
    rng = random.Random()
    announced: set = set()
    log = []
    for attempt in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, str(run)], cwd=ROOT, env=_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        delay = rng.uniform(0.02, 0.25)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lines = proc.stdout.read().split()
        announced.update(int(x) for x in lines if x.isdigit())
        finished = _finished_on_disk(run)
        log.append((attempt, delay, len(announced), len(finished), "done" in lines))
        assert finished <= announced, log
        store.load(run)  # readable in any state
        store.info(run)
    # the missing chunks, run to the end by a last process
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(run)], cwd=ROOT, env=_env(),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout.split()[-1] == "done", proc.stderr
    assert _finished_on_disk(run) == set(range(N_CHUNKS)), log
    reference = tmp_path / "ref"
    write_run(reference, range(N_CHUNKS), rows_per_segment=10_000)
    assert_same(store.load(run), store.load(reference))
    summary = store.info(run)
    assert summary["finished_chunks"] == N_CHUNKS and summary["duplicate_chunks"] == 0
    assert summary["rows"] == len(expected(range(N_CHUNKS))["x"])


CRASH_SCRIPT = """
import os, signal, sys
import flavorscan.scanner.store.writer as st
from tests.scanner.test_store import CARD, PROV, make_chunk
w = st.RunWriter(sys.argv[1], CARD, PROV, rows_per_segment=10**9)
for c in range(int(sys.argv[3]), int(sys.argv[3]) + 5):
    w.add_chunk(c, make_chunk(c))
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[2] == "before_rename":
    st.os.replace = die
else:  # after the rename, before the directory fsync
    real = st.fsync_path
    st.fsync_path = lambda p, directory=False: die() if directory else real(p)
w.flush()
"""


@pytest.mark.slow
def test_kill_inside_flush(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(5))
    r = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(run), "before_rename", "5"],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert len(list(run.glob("*.h5.tmp"))) == 1  # complete but never renamed: not finished
    assert _finished_on_disk(run) == set(range(5))
    assert_same(store.load(run), expected(range(5)))
    r = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(run), "after_rename", "5"],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert not list(run.glob("*.h5.tmp"))  # the new process removed its shard's stray file
    assert _finished_on_disk(run) == set(range(10))
    assert_same(store.load(run), expected(range(10)))


# --------------------------------------------------------------------------------------------------
# merge


def test_merge_physical_equals_load(tmp_path, monkeypatch):
    run = tmp_path / "run"
    write_run(run, range(0, 60, 2), shard=(0, 2), planned_chunks=60)
    write_run(run, range(1, 60, 2), shard=(1, 2), planned_chunks=60)
    out = tmp_path / "out" / "merged.h5"
    monkeypatch.setattr(store.format, "MERGE_CACHE_BYTES", 1)  # force segment cache eviction
    monkeypatch.setattr(store.format, "HDF5_CHUNK_ROWS", 7)  # many write blocks
    result = store.merge(run, out)
    assert result == {"output": str(out), "rows": len(store.load(run)["x"]), "segments": len(segments(run)),
                      "virtual": False}
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "flavorscan-merged"
        assert json.loads(f.attrs["card"]) == CARD and f.attrs["card_hash"] == store.card_hash(CARD)
        assert json.loads(f.attrs["shards"]) == ["0/2", "1/2"]
        assert list(f["chunks"][:]) == list(range(60))
        raw = {k: f[k][...] for k in json.loads(f.attrs["columns"])}
    assert_same(raw, store.load(run))  # physically sorted by point_id, same schema
    assert_same(store.load(out), store.load(run))
    s = store.info(out)
    assert s["finished_chunks"] == 60 and s["complete"] is True and s["counts"]["points"] == 6000


def test_merge_interleaved_point_ids(tmp_path):
    run = tmp_path / "run"
    with store.RunWriter(run, CARD, PROV, rows_per_segment=15) as w:
        for c in range(20):
            w.add_chunk(c, make_chunk(c, chunk_major=False))
    want = expected(range(20), chunk_major=False)
    assert_same(store.load(run), want)
    store.merge(run, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        np.testing.assert_array_equal(f["point_id"][...], want["point_id"])


def test_merge_virtual(tmp_path, monkeypatch):
    run = tmp_path / "run"
    write_run(run, range(0, 30, 2), shard=(0, 2))
    write_run(run, range(1, 30, 2), shard=(1, 2))
    out = tmp_path / "v" / "virtual.h5"
    assert store.merge(run, out, virtual=True)["virtual"] is True
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "flavorscan-virtual" and f["x"].is_virtual
        raw = f["point_id"][...]
    segment_order = np.concatenate([h5py.File(p, "r")["point_id"][...] for p in segments(run)])
    np.testing.assert_array_equal(raw, segment_order)  # segment order, not sorted
    monkeypatch.chdir(tmp_path / "v")  # relative source paths resolve from the file's directory
    assert_same(store.load(out), store.load(run))
    assert store.info(out)["rows"] == len(raw)

    victim = segments(run)[1]
    victim.unlink()
    with pytest.raises(UserError, match="missing"):
        store.load(out)
    with pytest.raises(UserError, match="missing"):
        store.info(out)
    with pytest.raises(UserError, match="missing"):
        store.merge(out, tmp_path / "again.h5")


def test_load_dataframe(tmp_path, monkeypatch):
    run = tmp_path / "run"
    write_run(run, range(6))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UserError, match="pip install pandas"):
        store.load_dataframe(run)


def test_load_dataframe_with_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    run = tmp_path / "run"
    write_run(run, range(6))
    frame = store.load_dataframe(run)
    assert isinstance(frame, pd.DataFrame)
    np.testing.assert_array_equal(frame["point_id"].to_numpy(), store.load(run)["point_id"])


# --------------------------------------------------------------------------------------------------
# CLI


def test_cli_info_and_merge(tmp_path, capsys):
    run = tmp_path / "run"
    write_run(run, range(12), planned_chunks=20)
    code, out, err = cli(capsys, "info", run)
    assert code == 0 and err == ""
    assert "finished chunks: 12 of 20 planned (incomplete)" in out and "git_commit: abc123" in out
    code, out, _ = cli(capsys, "info", run, "--json")
    s = json.loads(out)
    rows = store.load(run)
    assert s["rows"] == len(rows["x"]) and s["finished_chunks"] == 12 and s["planned_chunks"] == 20
    assert s["viable_fraction"] == pytest.approx(rows["viable"].mean())
    assert s["pass_fractions"] == {"a": pytest.approx(rows["pass_a"].mean())}
    assert s["counts"]["points"] == 1200 and s["count_fractions"]["viable"] == pytest.approx(
        rows["viable"].sum() / 1200)
    assert s["provenance"] == PROV
    assert s["card"] == CARD  # the resolved card stored with the run (run.json / root attributes)
    assert "card: model lq, measurements paper2022 (scan)" in cli(capsys, "info", run)[1]

    code, out, _ = cli(capsys, "merge", run, "-o", tmp_path / "m.h5")
    assert code == 0 and "m.h5" in out
    assert_same(store.load(tmp_path / "m.h5"), rows)
    code, out, _ = cli(capsys, "merge", run, "-o", tmp_path / "v.h5", "--virtual")
    assert code == 0
    assert_same(store.load(tmp_path / "v.h5"), rows)
    for merged in ("m.h5", "v.h5"):  # a merged file carries the card in its root attributes
        with h5py.File(tmp_path / merged, "r") as f:
            assert json.loads(f.attrs["card"]) == CARD
        assert store.info(tmp_path / merged)["card"] == CARD

    segments(run)[0].unlink()
    code, out, err = cli(capsys, "info", tmp_path / "v.h5")
    assert code == 2 and err.count("\n") == 1 and "missing" in err


@pytest.mark.parametrize("case", ["nonexistent", "not_a_run", "file_not_hdf5"])
def test_cli_errors(tmp_path, capsys, case):
    target = {
        "nonexistent": tmp_path / "nope",
        "not_a_run": tmp_path,
        "file_not_hdf5": tmp_path / "x.h5",
    }[case]
    (tmp_path / "x.h5").write_text("hello")
    for argv in (["info", target], ["info", target, "--json"], ["merge", target, "-o", tmp_path / "o.h5"]):
        code, out, err = cli(capsys, *argv)
        assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("flavorscan: error:"), err
    assert not (tmp_path / "o.h5").exists()


def test_cli_merge_requires_output(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["merge", str(tmp_path)])
    assert exc.value.code == 2 and capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("name", ["run.json", "seg-0000-000099.h5", "seg-0000-000000.h5.tmp", ".lock-0000", "x.tmp"])
def test_merge_refuses_the_run_directory_s_reserved_names(tmp_path, name):
    run = tmp_path / "run"
    write_run(run, range(4))
    before = {path.name: path.read_bytes() for path in run.iterdir()}
    with pytest.raises(UserError, match="reserves"):
        store.merge(run, run / name)
    assert {path.name: path.read_bytes() for path in run.iterdir()} == before  # nothing written or replaced
    rows = store.load(run)["x"]
    store.merge(run, run / "merged.h5")  # an ordinary name inside the directory is fine
    assert len(store.load(run / "merged.h5")["x"]) == len(rows)


# --------------------------------------------------------------------------------------------------
# audit: virtual files check which run their sources belong to; malformed metadata is a UserError


def fixed_chunk(c: int, shift: float = 0.0) -> dict:
    """Three rows per chunk, so segments of different chunks (or cards) have the same shapes."""
    return {"point_id": c * 100 + np.arange(3, dtype=np.int64), "x": np.full(3, c + shift)}


def write_fixed(directory, chunks, card=CARD, shift=0.0, prov=PROV, **kwargs):
    with store.RunWriter(directory, card, prov, rows_per_segment=1000, **kwargs) as w:
        for c in chunks:
            w.add_chunk(c, fixed_chunk(c, shift))


def _virtual_reads(path, capsys, match):
    for call in (store.load, store.info, lambda p: store.merge(p, p.parent / "again.h5")):
        with pytest.raises(UserError, match=match):
            call(path)
    code, out, err = cli(capsys, "info", path)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err


def test_virtual_file_refuses_sources_of_another_card(tmp_path, capsys):
    run, out = tmp_path / "run", tmp_path / "v.h5"
    write_fixed(run, range(4))
    store.merge(run, out, virtual=True)
    other = {**CARD, "scan": {**CARD["scan"], "seed": 9}}
    write_fixed(run, range(4), card=other, shift=0.5, restart=True)  # same names and shapes, other run
    _virtual_reads(out, capsys, "different card")


def test_virtual_file_refuses_sources_holding_other_chunks(tmp_path, capsys):
    run, out = tmp_path / "run", tmp_path / "v.h5"
    write_fixed(run, range(4))
    store.merge(run, out, virtual=True)
    write_fixed(run, range(4, 8), restart=True)  # same card, same file name and shape, other chunks
    _virtual_reads(out, capsys, "chunks")


def test_virtual_file_refuses_rewritten_sources(tmp_path, capsys):
    run, out = tmp_path / "run", tmp_path / "v.h5"
    write_fixed(run, range(4))
    store.merge(run, out, virtual=True)
    # same card, chunks and shapes, rewritten by other code (whose rows may differ)
    write_fixed(run, range(4), shift=0.5, prov={**PROV, "git_commit": "def456"}, restart=True)
    _virtual_reads(out, capsys, "rewritten")


def test_virtual_file_without_source_records_is_still_checked(tmp_path, capsys):
    """Virtual files written before sources were recorded stay readable, with card and chunk checks."""
    run, out = tmp_path / "run", tmp_path / "v.h5"
    write_run(run, range(0, 30, 2), shard=(0, 2))
    write_run(run, range(1, 30, 2), shard=(1, 2))
    store.merge(run, out, virtual=True)
    with h5py.File(out, "r+") as f:
        if "virtual_sources" in f.attrs:
            del f.attrs["virtual_sources"]
    assert_same(store.load(out), store.load(run))
    assert store.info(out)["finished_chunks"] == 30
    other = {**CARD, "scan": {**CARD["scan"], "seed": 9}}
    names = [p.name for p in segments(run)]
    for name in names:  # each segment replaced by one of another card with the same shape
        with h5py.File(run / name, "r+") as f:
            f.attrs["card_hash"] = store.card_hash(other)
        _virtual_reads(out, capsys, "different card")
        with h5py.File(run / name, "r+") as f:
            f.attrs["card_hash"] = store.card_hash(CARD)
    assert_same(store.load(out), store.load(run))


def _set_run_json(run, **changes):
    meta = json.loads((run / "run.json").read_text())
    meta.update(changes)
    (run / "run.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("changes", [
    {"format_version": "abc"}, {"format_version": [1]}, {"format_version": 1.5}, {"format_version": True},
    {"format_version": -1}, {"planned_chunks": "abc"}, {"planned_chunks": -3}, {"planned_chunks": 2.5},
    {"planned_chunks": {}}, {"card_hash": 5}, {"card": "lq"}, {"provenance": "abc"}, {"provenance": [1]},
    {"planned_chunks": 10**30},
])
def test_malformed_run_json_is_user_error(tmp_path, capsys, changes):
    run = tmp_path / "run"
    write_run(run, range(3), planned_chunks=3)
    _set_run_json(run, **changes)
    for call in (store.info, store.load, lambda p: store.RunWriter(p, CARD, PROV).close()):
        with pytest.raises(UserError, match="run.json"):
            call(run)
    code, out, err = cli(capsys, "info", run)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err


def test_absurdly_nested_run_json_is_user_error(tmp_path, capsys):
    """run.json nested 100000 deep: json raises RecursionError, which must read as a damaged file (before: a
    RecursionError traceback from info, merge, run and load)."""
    run = tmp_path / "run"
    write_run(run, range(2))
    (run / "run.json").write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = cli(capsys, "info", run)
    assert code == 2 and err.count("\n") == 1 and "run.json" in err and "Traceback" not in err, err


def test_malformed_run_json_without_segments(tmp_path, capsys):
    d = tmp_path / "D"
    d.mkdir()
    (d / "run.json").write_text('{"format":"flavorscan-run","card_hash":"x","format_version":"abc"}')
    code, out, err = cli(capsys, "info", d)
    assert code == 2 and err.count("\n") == 1 and "format_version" in err, err


@pytest.mark.parametrize("attr, value", [
    ("format_version", "abc"), ("planned_chunks", "abc"), ("planned_chunks", -1), ("planned_chunks", 2.5),
    ("shard", "x/y"), ("shard", "3/2"), ("provenance", "[1]"), ("provenance", "{"), ("columns", '"x"'),
    ("columns", '["x", 1]'), ("columns", '["x"]'), ("card_hash", 5), ("segments", "abc"), ("segments", -2),
    ("shards", '"0/1"'), ("shards", '["a"]'), ("provenance_variants", "[1]"),
    ("provenance_variants", '{"seed": 7}'),
])
def test_malformed_file_attributes_are_user_errors(tmp_path, capsys, attr, value):
    run = tmp_path / "run"
    write_run(run, range(6), planned_chunks=6)
    merged = tmp_path / "m.h5"
    store.merge(run, merged)
    for path in (segments(run)[0], merged):
        with h5py.File(path, "r+") as f:
            f.attrs[attr] = value
    for target in (run, merged):
        for call in (store.info, store.load, lambda p: store.merge(p, tmp_path / "again.h5")):
            with pytest.raises(UserError):
                call(target)
        code, out, err = cli(capsys, "info", target)
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("name, data", [
    ("chunk_rows", np.array([-1, 1, 1, 1, 1, 1])), ("chunks", np.array([-1, 1, 2, 3, 4, 5])),
    ("chunks", np.arange(6) + 0.5), ("chunks", np.array([b"a"] * 6)),
])
def test_malformed_chunk_lists_are_user_errors(tmp_path, capsys, name, data):
    run = tmp_path / "run"
    write_run(run, range(6), rows_per_segment=1000)
    (seg,) = segments(run)
    with h5py.File(seg, "r+") as f:
        del f[name]
        f[name] = data
    for call in (store.info, store.load, lambda p: store.merge(p, tmp_path / "again.h5")):
        with pytest.raises(UserError):
            call(run)


def test_planned_chunks_beyond_memory_is_cheap(tmp_path):
    run = tmp_path / "run"
    write_run(run, range(3), planned_chunks=3)
    _set_run_json(run, planned_chunks=10**15)
    s = store.info(run)
    assert s["planned_chunks"] == 10**15 and s["complete"] is False


def test_runwriter_docstring_states_that_n_is_part_of_the_identity(tmp_path):
    doc = " ".join(store.RunWriter.__doc__.split())
    identity = doc.split("identity:", 1)[1].split("planned_chunks:")[0]
    assert "number of points is part of" in identity and "minus" not in identity
    write_run(tmp_path / "r", range(2))
    bigger = {**CARD, "scan": {**CARD["scan"], "n": 99999}}  # default identity: the whole card, n included
    with pytest.raises(UserError, match="different card"):
        store.RunWriter(tmp_path / "r", bigger, PROV)


def test_segment_seconds_count_from_the_previous_segment(tmp_path):
    """--segment-seconds is a deadline since the writer opened or last wrote a segment: a chunk that
    finishes after it is written at once (before, the clock started at the first buffered chunk, so a segment
    always waited for a second chunk and a slow chunk could be lost to a kill)."""
    writer = store.RunWriter(tmp_path, CARD, PROV, rows_per_segment=10**6, seconds_per_segment=0.05)
    time.sleep(0.1)
    writer.add_chunk(0, make_chunk(0))
    assert len(writer.segments_written) == 1  # past the deadline: written with its first chunk
    writer.add_chunk(1, make_chunk(1))
    assert len(writer.segments_written) == 1  # a fresh period began with the segment
    time.sleep(0.1)
    writer.add_chunk(2, make_chunk(2))
    assert len(writer.segments_written) == 2
    writer.close()
    assert _finished_on_disk(tmp_path) == {0, 1, 2}


def test_run_json_is_readable_like_the_segments(tmp_path):
    """run.json gets the mode of every other file (0666 & ~umask), as the segments do: before, it was written
    through tempfile.mkstemp and stayed 0600, so collaborators could not read a shared run."""
    umask = os.umask(0o022)
    try:
        write_run(tmp_path / "run", [0, 1])
    finally:
        os.umask(umask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "run").iterdir() if not p.name.startswith(".")}
    assert modes["run.json"] == 0o644 and set(modes.values()) == {0o644}, modes

