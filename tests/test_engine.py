"""The scan engine through the real CLI: identical rows for 1 and 4 devices, for shards, for two processes
joined by jax.distributed (SLURM auto-detection), and after SIGKILL + resume. Subprocesses share a
persistent JAX compilation cache so each kernel compiles once."""

import json
import random
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from scanner import load
from scanner.store import info

CARD = """
model = "lq"
measurements = "paper2022"
[scan]
n = 3000
chunk_size = 256
seed = 11
keep = "all"
mass_scale = "dm3l"
nu_term_signs = [1, -1, -1]
M_R2 = { range = [1000.0, 3000.0] }
M_S1 = { range = [1000.0, 3000.0], prior = "log" }
[scan.fR]
probability = 0.5
magnitude = [1e-3, 1.0]
phase = "uniform"
[scan.yL]
pattern = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
magnitude = [1e-2, 1.5]
[scan.fL]
probability = [[0, 0, 1], [0, 0, 1], [0, 0, 1]]
magnitude = [1e-6, 1.0]
[scan.yR]
probability = 0.3
magnitude = [1e-3, 1.0]
"""


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    path = tmp_path_factory.mktemp("card") / "scan.toml"
    path.write_text(CARD)
    return path


def flavorscan(args, env, devices=1, **kwargs):
    environment = dict(env)
    if devices > 1:
        environment["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], env=environment, capture_output=True,
                          text=True, **kwargs)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, card, env):
    out = tmp_path_factory.mktemp("reference")
    result = flavorscan(["run", str(card), "--out", str(out), "--quiet"], env)
    assert result.returncode == 0, result.stderr
    return load(out)


def assert_same_rows(a, b):
    """Bitwise identical rows (NaN equal to NaN)."""
    assert set(a) == set(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_reference_run_is_complete(reference):
    assert len(reference["point_id"]) == 3000
    np.testing.assert_array_equal(reference["point_id"], np.arange(3000))
    assert reference["viable"].dtype == bool
    finite = np.isfinite(reference["dm21_sq"])
    assert finite.mean() > 0.99


def test_four_devices_give_identical_rows(tmp_path, card, env, reference):
    """Every device runs the same compiled per-chunk programs on whole chunks, so the rows are bitwise
    identical to a one-device run."""
    result = flavorscan(["run", str(card), "--out", str(tmp_path), "--quiet"], env, devices=4)
    assert result.returncode == 0, result.stderr
    assert_same_rows(load(tmp_path), reference)


def test_shards_in_one_directory_give_identical_rows(tmp_path, card, env, reference):
    for shard in ("1/3", "0/3", "2/3"):
        result = flavorscan(["run", str(card), "--out", str(tmp_path), "--shard", shard, "--quiet"], env)
        assert result.returncode == 0, result.stderr
    assert_same_rows(load(tmp_path), reference)


def finished_chunks(directory) -> int:
    return info(directory)["finished_chunks"] if (directory / "run.json").exists() else 0


def test_sigkill_then_resume_gives_identical_rows(tmp_path, card, env, reference):
    """Kill the run three times while it writes one segment per chunk (each time a random 0-0.3 s after it
    finished a new chunk, so the kill lands between and inside segment writes), then resume to completion.
    Fails if a kill leaves an unreadable file, if resuming changes or duplicates any row, or if the kills
    did not land mid-run (then the test would prove nothing)."""
    rng = np.random.default_rng(3)
    mid_run_kills = 0
    for attempt in range(3):
        before = finished_chunks(tmp_path)
        process = subprocess.Popen(
            [sys.executable, "-m", "scanner.cli", "run", str(card), "--out", str(tmp_path), "--quiet",
             "--segment-rows", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while process.poll() is None and finished_chunks(tmp_path) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        running = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        load(tmp_path)  # every segment on disk is readable after the kill
        mid_run_kills += running and finished_chunks(tmp_path) < 12
    assert mid_run_kills >= 2, f"only {mid_run_kills} of 3 kills landed while the run was still writing"
    survived = finished_chunks(tmp_path)
    result = flavorscan(["run", str(card), "--out", str(tmp_path), "--quiet"], env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["chunks_skipped"], summary["chunks_evaluated"]) == (survived, 12 - survived)
    assert_same_rows(load(tmp_path), reference)


def test_different_card_in_same_directory_is_refused(tmp_path, card, env):
    flavorscan(["run", str(card), "--out", str(tmp_path), "--quiet", "--n", "256"], env)
    result = flavorscan(["run", str(card), "--out", str(tmp_path), "--quiet", "--n", "512"], env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    restarted = flavorscan(["run", str(card), "--out", str(tmp_path), "--quiet", "--n", "512", "--restart"], env)
    assert restarted.returncode == 0, restarted.stderr
    assert len(load(tmp_path)["point_id"]) == 512


@pytest.mark.parametrize("extra, environment, needle", [
    (["--distributed"], {}, "--distributed: cannot start jax.distributed"),
    (["--seed", str(2**64)], {}, "--seed"),
    (["--n", str(2**60)], {}, "--n: at most 2^53"),
    ([], {"FLAVORSCAN_X64": "0"}, "needs float64"),
])
def test_bad_run_options_are_one_line(card, env, tmp_path, extra, environment, needle):
    clean = {k: v for k, v in env.items() if not k.startswith("SLURM_")}  # "outside a cluster"
    result = flavorscan(["run", str(card), "--out", str(tmp_path / "out"), *extra], dict(clean, **environment))
    assert result.returncode == 2 and needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_bad_shard_is_one_line(card, env, tmp_path):
    result = flavorscan(["run", str(card), "--out", str(tmp_path), "--shard", "3/3"], env)
    assert result.returncode == 2 and "--shard" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def free_slurm_job_id() -> int:
    """A SLURM job id whose coordinator port (jax's SlurmCluster: 61440 + id % 4096) is free here."""
    for _ in range(50):
        job_id = random.randrange(10_000, 1_000_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", 61440 + job_id % 4096))
            except OSError:
                continue
        return job_id
    pytest.skip("no free port in the range jax's SLURM cluster detection uses")


def test_distributed_processes_under_slurm_give_identical_rows(tmp_path, card, env, reference):
    """Two real processes, as `srun -n 2 flavorscan run --distributed` starts them: jax.distributed
    detects the SLURM environment, starts its coordination service, and each process evaluates the chunks
    of its process index into the shared run directory."""
    job_id = free_slurm_job_id()
    processes = []
    for rank in range(2):
        slurm = dict(env, SLURM_JOB_ID=str(job_id), SLURM_STEP_NODELIST="127.0.0.1", SLURM_NTASKS="2",
                     SLURM_PROCID=str(rank), SLURM_LOCALID=str(rank), SLURM_STEP_NUM_NODES="1")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "scanner.cli", "run", str(card), "--out", str(tmp_path), "--quiet",
             "--distributed"], env=slurm, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    shards = sorted(json.loads(stdout.strip().splitlines()[-1])["shard"] for stdout, _ in outputs)
    assert shards == ["0/2", "1/2"]
    assert_same_rows(load(tmp_path), reference)


def test_progress_of_a_resumed_run_counts_what_is_left(tmp_path):
    """A run resumed over half of its chunks reports progress against the points it still has to evaluate
    (here 500 of 1050, the partial last chunk done before) and ends its line; the summary counts the skipped
    chunks. Before, the total was every planned point, so a resumed run never reached it."""
    import io

    from scanner.config import resolve_card
    from scanner.engine import Progress, ScanEngine
    from scanner.store import RunWriter

    card = resolve_card({"model": "zprime", "measurements": "paper2022", "scan": {
        "n": 1050, "chunk_size": 100, "keep": "all", "charges": "Lmu-Ltau",
        "g_X": {"range": [1e-5, 1e-2], "prior": "log"}, "m_Zp": {"range": [1e-3, 10.0], "prior": "log"}}})
    engine = ScanEngine(card)
    assert engine.planned_chunks((0, 2)) == range(0, 11, 2)
    with RunWriter(tmp_path, card, planned_chunks=engine.n_chunks) as writer:
        first = engine.run(writer, shard=(0, 2))
    assert (first["chunks_evaluated"], first["points_evaluated"]) == (6, 550)  # chunk 10 holds 50 points
    stream = io.StringIO()
    with RunWriter(tmp_path, card, planned_chunks=engine.n_chunks) as writer:
        second = engine.run(writer, progress=Progress(stream, enabled=True))
    assert (second["chunks_skipped"], second["chunks_evaluated"], second["points_evaluated"]) == (6, 5, 500)
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith(f"{500:>12,d}/500 points") and "500 rows kept" in last and last.endswith("\n")
    np.testing.assert_array_equal(load(tmp_path)["point_id"], np.arange(1050))


def test_progress_is_silent_off_a_terminal():
    """Progress writes nothing when its stream is not a TTY (logs of batch jobs stay clean)."""
    import io

    from scanner.engine import Progress

    stream = io.StringIO()
    Progress(stream).update(10, 10, 3, 1.0)
    assert stream.getvalue() == ""
