"""The scan engine through the real CLI: identical rows for 1 and 4 devices, for shards, for two processes
joined by jax.distributed (SLURM auto-detection), and after SIGKILL + resume. Subprocesses share a
persistent JAX compilation cache so each kernel compiles once.

The engine is model-generic (devices, shards and chunk keys never see the physics), so the four-device run
uses the Z' kernel: with several local devices the chunk program is compiled once per device, which for the
leptoquark kernel took 4-7 minutes of the suite's time on a 2-core machine."""

import json
import random
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from flavorscan.scanner.store import info, load

pytestmark = pytest.mark.slow  # every test here starts flavorscan processes

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


ZPRIME_CARD = """
model = "zprime"
measurements = "current"
[scan]
n = 3000
chunk_size = 256
seed = 5
keep = "all"
charges = ["Lmu-Ltau", "B-3Lmu"]
g_X = { range = [1e-5, 1e-2], prior = "log" }
m_Zp = { range = [1e-3, 10.0], prior = "log" }
"""

LONG_RUN_CHUNKS = 47
"""The SIGKILL test's run: the card's chunks 0-11 and 35 more, so that a kill a random 0-0.3 s after a chunk
lands while the run still writes even when the machine is loaded (with 12 chunks it sometimes finished first)."""


def card_file(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("card") / "scan.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    return card_file(tmp_path_factory, CARD)


@pytest.fixture(scope="module")
def long_card(tmp_path_factory):
    return card_file(tmp_path_factory, CARD.replace("n = 3000", f"n = {LONG_RUN_CHUNKS * 256}"))


def flavorscan(args, env, devices=1, **kwargs):
    environment = dict(env)
    if devices > 1:
        environment["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return subprocess.run([sys.executable, "-m", "flavorscan", *args], env=environment, capture_output=True,
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


def test_four_devices_give_identical_rows(tmp_path_factory, env):
    """Every device runs the same compiled per-chunk programs on whole chunks, so the rows are bitwise
    identical to a one-device run (Z' kernel: module docstring)."""
    card = card_file(tmp_path_factory, ZPRIME_CARD)
    rows = {}
    for devices in (1, 4):
        out = tmp_path_factory.mktemp(f"devices{devices}")
        result = flavorscan(["run", str(card), "--out", str(out), "--quiet"], env, devices=devices)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["chunks_evaluated"] == 12
        rows[devices] = load(out)
    assert len(rows[1]["point_id"]) == 3000 and np.isfinite(rows[1]["delta_a_mu"]).all()
    assert_same_rows(rows[4], rows[1])


def test_shards_in_one_directory_give_identical_rows(tmp_path, card, env, reference):
    for shard in ("1/3", "0/3", "2/3"):
        result = flavorscan(["run", str(card), "--out", str(tmp_path), "--shard", shard, "--quiet"], env)
        assert result.returncode == 0, result.stderr
    assert_same_rows(load(tmp_path), reference)


def finished_chunks(directory) -> int:
    return info(directory)["finished_chunks"] if (directory / "run.json").exists() else 0


def test_sigkill_then_resume_gives_identical_rows(tmp_path, long_card, env, reference):
    """Kill the run three times while it writes one segment per chunk (each time a random 0-0.3 s after it
    finished a new chunk, so the kill lands between and inside segment writes), then resume to completion.
    Fails if a kill leaves an unreadable file, if resuming changes or duplicates any row, or if the kills
    did not land mid-run (then the test would prove nothing). The run is the reference card with more chunks
    (LONG_RUN_CHUNKS): its first 3000 rows must be the reference rows, since a chunk's points depend only on
    (seed, chunk index)."""
    rng = np.random.default_rng(3)
    mid_run_kills = 0
    for attempt in range(3):
        before = finished_chunks(tmp_path)
        process = subprocess.Popen(
            [sys.executable, "-m", "flavorscan", "run", str(long_card), "--out", str(tmp_path), "--quiet",
             "--segment-rows", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while process.poll() is None and finished_chunks(tmp_path) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        running = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        load(tmp_path)  # every segment on disk is readable after the kill
        mid_run_kills += running and finished_chunks(tmp_path) < LONG_RUN_CHUNKS
    assert mid_run_kills >= 2, f"only {mid_run_kills} of 3 kills landed while the run was still writing"
    survived = finished_chunks(tmp_path)
    result = flavorscan(["run", str(long_card), "--out", str(tmp_path), "--quiet"], env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["chunks_skipped"], summary["chunks_evaluated"]) == (survived, LONG_RUN_CHUNKS - survived)
    resumed = load(tmp_path)
    np.testing.assert_array_equal(resumed["point_id"], np.arange(LONG_RUN_CHUNKS * 256))
    assert_same_rows({name: values[:3000] for name, values in resumed.items()}, reference)


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
            [sys.executable, "-m", "flavorscan", "run", str(card), "--out", str(tmp_path), "--quiet",
             "--distributed"], env=slurm, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    shards = sorted(json.loads(stdout.strip().splitlines()[-1])["shard"] for stdout, _ in outputs)
    assert shards == ["0/2", "1/2"]
    assert_same_rows(load(tmp_path), reference)


def test_dm3l_mass_scale_equals_direct_evaluation_at_the_stored_m0i0(card, reference):
    """mass_scale = "dm3l" evaluates a texture at m0I0 = 1 and rescales the neutrino observables
    analytically (M_nu is linear in m0I0). Evaluating the stored rows again with the scale sampled, i.e.
    directly at the stored m0I0 (a second Takagi factorisation), must give the same columns: fails if the
    rescaling rule is wrong for any observable, or if some observable depends on m0I0 but is not rescaled."""
    import jax

    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.models.lq.evaluation import dm3l_targets, params_from_columns
    from flavorscan.scanner.pipeline import make_point_function, model_inputs

    scan_card = load_card(card)
    direct_card = dict(scan_card, scan=dict(scan_card["scan"], mass_scale="sampled"))
    function = jax.jit(jax.vmap(make_point_function(direct_card, model_inputs(direct_card))))
    rows = {name: values[:256] for name, values in reference.items()}
    direct = jax.device_get(function(params_from_columns(direct_card, rows)))
    finite = np.isfinite(rows["chi2_total"])
    # The phases are compared where they are defined to better than ~1e-8 rad: no mixing angle within
    # 1e-3 of 0 or pi/2 (sin and cos of each > 1e-3) and no mass ratio or relative gap below 1e-6. Elsewhere
    # round-off is amplified without bound (measured: 1e-6 rad at s13^2 = 1 - 8e-11, pi at m3 = 1e-21 eV).
    masses = np.sort(np.stack([rows[f"m{k}_eV"][finite] for k in (1, 2, 3)]), axis=0)
    sines = np.stack([rows[f"s{ij}_sq"][finite] for ij in ("12", "13", "23")])
    conditioned = ((np.sqrt(np.clip(sines * (1 - sines), 0, None)) > 1e-3).all(0) & (masses[0] / masses[2] > 1e-6)
                   & (np.diff(masses, axis=0).min(0) / masses[2] > 1e-6))
    assert finite.sum() > 200 and conditioned.sum() > 50
    m_max = masses[2].max()
    conditioned_all = np.zeros_like(finite)
    conditioned_all[finite] = conditioned
    normal, inverted = dm3l_targets(scan_card)  # the set's best fits per ordering
    target = np.where(rows["ordering"][finite] > 0.5, abs(inverted), abs(normal))
    np.testing.assert_allclose(np.abs(rows["dm3l_sq"][finite]), target, rtol=1e-12)
    mixing = ("s12_sq", "s13_sq", "s23_sq", "delta_cp", "alpha21", "alpha31")
    for name, values in direct.items():
        if name not in rows or name == "reason":
            continue
        # columns that depend on the mixing matrix (and totals over them) only where it is well conditioned
        depends_on_mixing = name.split("_", 1)[-1] in mixing or name in mixing + ("chi2_total", "penalty_total", "viable")
        rows_compared = finite & conditioned_all if depends_on_mixing else finite
        stored, again = rows[name][rows_compared], values[rows_compared]
        if values.dtype == bool:
            assert (again == stored).all(), name
        elif name in ("delta_cp", "alpha21", "alpha31"):
            gap = np.abs(np.angle(np.exp(1j * (again - stored))))  # difference on the circle
            assert (gap < 1e-8).all(), (name, gap.max())
        else:
            # Takagi's round-off is absolute, ~eps * m_max: masses, m_bb and splittings (differences of
            # near-equal squares) are compared to 1e3 eps m_max (or m_max^2); chi^2 and penalties are O(1)
            # sums that vanish on the fit (chi2_dm3l_sq ~ 1e-28) and are compared to 1e-8
            absolute = {"m1_eV": m_max, "m2_eV": m_max, "m3_eV": m_max, "m_bb_eV": m_max,
                        "dm21_sq": m_max**2, "dm3l_sq": m_max**2}.get(name, 0.0) * 1e3 * np.finfo(float).eps
            absolute = 1e-8 if name.startswith(("chi2_", "penalty_")) else max(absolute, 1e-300)
            np.testing.assert_allclose(again, stored, rtol=1e-8 if depends_on_mixing else 1e-10, atol=absolute,
                                       err_msg=name)


def test_sigterm_writes_the_buffered_chunks_and_exits_130(tmp_path, card, env, reference):
    """SIGTERM (scancel, a SLURM time limit) stops the run after the current step and the writer writes every
    chunk it had buffered (one segment per 10^6 rows here, so nothing was on disk before the signal):
    exit status 130, finished chunks on disk, their rows equal to the uninterrupted run's. Before, SIGTERM
    killed the process and lost the buffer."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flavorscan", "run", str(card), "--out", str(tmp_path), "--quiet", "--n", "2000000",
         "--segment-rows", "1000000", "--segment-seconds", "1000"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(8.0)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    summary = info(tmp_path)
    assert 0 < summary["finished_chunks"] < summary["planned_chunks"]
    rows = load(tmp_path)
    assert len(rows["point_id"]) == 256 * summary["finished_chunks"]  # keep = "all": whole chunks
    early = rows["point_id"] < 3000  # the points of the 3000-point reference run (chunks depend on the seed only)
    assert early.sum() > 0
    for name in reference:
        np.testing.assert_array_equal(rows[name][early], reference[name][: early.sum()], err_msg=name)
