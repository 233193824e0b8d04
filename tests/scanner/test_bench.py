"""``flavorscan bench`` (keys and types of its JSON, float32 really float32, bad arguments) and the numpy
baseline of scripts/numpy_baseline.py, which doubles as an independent cross-check of the JAX pipeline:
same observables to ~1e-8 and the same pass flags on JAX's own benchmark points and on perturbed TX-I points.
No timing is asserted anywhere (performance is measured by scripts/bench_compare.py, see BENCHMARKS.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from flavorscan.scanner.cli import main
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"model": str, "n": int, "dtype": str, "device": str, "compile_seconds": float, "seconds": float,
        "evals_per_s": float}


@pytest.fixture(scope="module")
def baseline():
    return load_script("numpy_baseline")


def run_cli(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------------------------------------ bench command

@pytest.fixture(scope="module")
def bench_json():
    """One tiny float64 benchmark in a child process (the test process keeps its own JAX state)."""
    result = subprocess.run([sys.executable, "-m", "flavorscan", "bench", "--model", "lq", "--n", "24", "--chunk-size",
                             "8", "--repeat", "2", "--json"], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, FLAVORSCAN_X64="1"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_bench_json_keys_and_types(bench_json):
    for key, kind in KEYS.items():
        assert key in bench_json, key
        assert isinstance(bench_json[key], kind), (key, bench_json[key])
    assert bench_json["model"] == "lq"
    assert bench_json["n"] == 24
    assert bench_json["dtype"] == "float64"
    assert bench_json["device"] == "cpu"
    assert bench_json["chunk_size"] == 8 and bench_json["chunks"] == 3
    assert bench_json["points_computed"] >= 24
    assert bench_json["repeat"] == 2 and len(bench_json["seconds_runs"]) == 2
    assert bench_json["compile_seconds"] > 0 and bench_json["seconds"] > 0
    assert bench_json["evals_per_s"] == pytest.approx(24 / bench_json["seconds"])
    assert isinstance(bench_json["viable"], int) and 0 <= bench_json["viable"] <= 24
    assert isinstance(bench_json["jax_version"], str) and isinstance(bench_json["devices"], int)


@pytest.mark.slow
def test_bench_float32_is_computed_in_float32():
    """The test process runs with x64 on: --dtype float32 must re-run in a child with FLAVORSCAN_X64=0, and
    the child checks the dtype of the computed columns (it refuses to report float32 for float64 work)."""
    result = subprocess.run([sys.executable, "-m", "flavorscan", "bench", "--model", "lq", "--n", "8", "--chunk-size",
                             "8", "--dtype", "float32", "--json"], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, FLAVORSCAN_X64="1"))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["dtype"] == "float32"
    assert payload["x64"] is False
    for key, kind in KEYS.items():
        assert isinstance(payload[key], kind), key


def test_lq_bench_card_is_the_fixed_work():
    from flavorscan.scanner.bench.throughput import bench_card

    card = bench_card("lq", 100, 50)
    scan = card["scan"]
    assert card["model"] == "lq" and card["measurements"] == "paper2022"
    assert scan["n"] == 100 and scan["chunk_size"] == 50 and scan["keep"] == "viable"
    assert scan["M_R2"] == {"range": [1000.0, 3000.0], "prior": "uniform"}
    assert scan["M_S1"] == {"range": [1000.0, 3000.0], "prior": "uniform"}
    assert scan["m0I0"] == {"range": [1e-8, 1e-5], "prior": "log"}
    for name in ("fR", "fL", "yR", "yL"):
        entry = scan["couplings"][name]
        assert entry["probability"] == [[1.0] * 3] * 3 and entry["phase"] == "uniform"
        assert entry["magnitude_lo"] == [[1e-4] * 3] * 3 and entry["magnitude_hi"] == [[1.0] * 3] * 3
    assert card["constraints"]["enabled"] == "default"


@pytest.mark.parametrize("argv, needle", [
    (["--model", "nope", "--n", "5"], "--model: unknown benchmark 'nope'"),
    (["--model", "lq", "--n", "0"], "--n"),
    (["--model", "lq", "--n", "10", "--repeat", "0"], "--repeat"),
    (["--model", "lq", "--n", "10", "--chunk-size", "0"], "--chunk-size"),
    (["--model", "lq", "--n", "10", "--seed", "-1"], "--seed"),
    (["--model", "lq", "--card", "x.toml"], "--card"),
    (["--model", "lq-yield", "--breakdown"], "--breakdown"),
    (["--model", "lq", "--seconds-budget", "5"], "--seconds-budget"),
    (["--model", "lq-yield", "--card", "runs/tx1_nh.toml"], "lq-yield needs a lq card with a [scan]"),
    (["--model", "lq-yield", "--card", "runs/zprime_lmutau.toml"], "lq-yield needs a lq card with a [scan]"),
])
def test_bad_arguments_exit_2_one_line(argv, needle, capsys):
    code, out, err = run_cli(["bench", *argv], capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


@pytest.mark.parametrize("argv", [["--model", "lq", "--n", "many"],
                                  ["--model", "lq", "--dtype", "float16"], ["--n", "5"]])
def test_argparse_errors_exit_2_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------------ lq-yield

YIELD_TEST_CARD = ROOT / "tests" / "cards" / "refine_tx1_box.toml"
"""tests/test_refine.py's scan card (its compiled refiner is reused when both files run in one process)."""


def test_lq_yield_json_follows_the_interface(capsys):
    code, out, err = run_cli(["bench", "--model", "lq-yield", "--card", str(YIELD_TEST_CARD), "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    for key in ("viable_per_s_random", "viable_per_s_refine"):  # docs/interface.md
        assert isinstance(result[key], float) and result[key] >= 0
    assert result["model"] == "lq-yield" and result["dtype"] == "float64" and result["device"] == "cpu"
    assert result["n"] == 8 and result["random_points"] == 8  # default n: the card's [scan] n
    assert result["refined_points"] == 4 and result["best_per_chunk"] == 2  # 2 seeds in each of 2 chunks
    assert 0 <= result["random_viable"] <= 8 and 0 <= result["refined_viable"] <= 4
    assert result["constraints"] == 7 and result["refine_steps"] == 300 and result["optimizer"] == "adam"
    assert result["viable_per_s_random"] == pytest.approx(result["random_viable"] / result["seconds_random"])
    assert result["viable_per_s_refine"] == pytest.approx(result["refined_viable"] / result["seconds_refine"])
    assert result["seconds_refine"] == pytest.approx(result["seconds_random"] + result["seconds_refinement_only"])
    assert 0 < result["cpu_seconds_random"] <= result["cpu_seconds_refine"]
    # one-sided Poisson 95% upper limit of the random count k: chi2.ppf(0.95, 2 (k + 1)) / 2 (2.996 for k = 0)
    chi2 = pytest.importorskip("scipy.stats").chi2
    upper = chi2.ppf(0.95, 2 * (result["random_viable"] + 1)) / 2 / result["seconds_random"]
    assert result["viable_per_s_random_upper95"] == pytest.approx(upper, rel=1e-9)
    assert result["speedup_lower95"] == pytest.approx(result["viable_per_s_refine"] / upper, rel=1e-9)
    if result["random_viable"] == 0:
        assert result["speedup"] is None
    else:
        assert result["speedup"] == pytest.approx(result["viable_per_s_refine"] / result["viable_per_s_random"])


@pytest.mark.parametrize("k", [0, 1, 5, 19, 300])
def test_poisson_upper_limit(k):
    chi2 = pytest.importorskip("scipy.stats").chi2
    from flavorscan.scanner.bench.yields import poisson_upper_limit

    assert poisson_upper_limit(k) == pytest.approx(chi2.ppf(0.95, 2 * (k + 1)) / 2, rel=1e-10)


def test_lq_yield_default_card():
    """The built-in default card (models/lq/cards/yield_lq_paper2022.toml): the full default paper2022 constraint set,
    a box of a factor 1.18 around a fixed texture (signs fixed), every coupling below sqrt(4 pi)."""
    import math

    from flavorscan.scanner.bench.yields import builtin_card
    from flavorscan.scanner.models.lq.presets import YIELD_CARD

    card = builtin_card(YIELD_CARD)
    assert card["measurements"] == "paper2022" and card["constraints"]["enabled"] == "default"
    scan = card["scan"]
    assert scan["n"] == 1048576 and scan["best_per_chunk"] == 128 and card["refine"]["steps"] == 100
    entries = 0
    for name in ("fR", "fL", "yR", "yL"):
        c = scan["couplings"][name]
        assert c["phase"] == "fixed"
        for i in range(3):
            for j in range(3):
                if c["probability"][i][j]:
                    entries += 1
                    assert c["magnitude_hi"][i][j] / c["magnitude_lo"][i][j] == pytest.approx(1.18 ** 2, rel=2e-5)
                    assert c["magnitude_hi"][i][j] < math.sqrt(4 * math.pi)
    assert entries == 14
    lo, hi = scan["m0I0"]["range"]
    assert hi / lo == pytest.approx(1.18 ** 2, rel=2e-5)


# ------------------------------------------------------------------------------------------------ numpy baseline

def test_numpy_baseline_runs_and_reports(baseline):
    result = baseline.bench(n=40, chunk_size=16, repeat=1)
    for key, kind in KEYS.items():
        assert isinstance(result[key], kind), key
    assert result["model"] == "lq-numpy" and result["n"] == 40
    assert result["constraints"] > 30


def test_numpy_sampling_is_the_bench_distribution(baseline):
    p = baseline.sample(np.random.default_rng(1), 20000)
    for name in ("fR", "fL", "yR", "yL"):
        magnitude = np.abs(p[name])
        assert magnitude.min() >= 1e-4 and magnitude.max() <= 1.0
        assert np.mean(np.log10(magnitude)) == pytest.approx(-2.0, abs=0.02)  # log-uniform
        assert np.mean(np.cos(np.angle(p[name]))) == pytest.approx(0.0, abs=0.02)  # uniform phase
    assert 1000 <= p["M_R2"].min() and p["M_S1"].max() <= 3000
    assert np.mean(np.log10(p["m0I0"])) == pytest.approx(-6.5, abs=0.03)


KEY_OBSERVABLES = ("m1_eV", "m2_eV", "m3_eV", "dm21_sq", "dm3l_sq", "s12_sq", "s23_sq", "s13_sq", "m_bb_eV",
                   "ordering", "delta_a_mu", "delta_a_e", "br_mu_e_gamma", "br_tau_e_gamma", "br_tau_mu_gamma",
                   "cr_mu_e_au", "c9_ee", "c10_mumu", "r_k", "r_kstar", "r_d", "r_dstar", "br_bc_taunu", "c_vl",
                   "c_sl", "c_t", "eps_nsi_ee", "eps_nsi_mutau", "r_nunu_k", "br_kp_pinunu", "dgamma_z_tautau_rel",
                   "bound_kk_mixing", "bound_lhc_fhat_btau")
ANGLES = ("delta_cp", "alpha21", "alpha31")
SUMMARY = ("chi2_total", "penalty_total", "viable", "reason")


def jax_columns(params, card=None):
    import jax

    from flavorscan.scanner.bench.throughput import bench_card
    from flavorscan.scanner.pipeline import make_point_function, model_inputs

    card = card or bench_card("lq", 8, 8)
    point_function = make_point_function(card, model_inputs(card))
    columns = jax.jit(jax.vmap(point_function))({k: np.asarray(v) for k, v in params.items()})
    return {k: np.asarray(v) for k, v in columns.items()}, point_function.constraints


def tx1_perturbed(n, seed=3):
    """TX-I (docs/physics/leptoquark.md sec. 7) with every nonzero coupling, both masses and m0I0 scattered by a few
    percent: realistic hierarchical textures with exact zeros, near the oscillation windows (mixed pass/fail)."""
    rng = np.random.default_rng(seed)
    tx1 = {
        "fR": [[0, 0, 0], [0.13, 0, -0.027], [0.036, 0.01, 0]],
        "fL": [[0, 0, 1.0], [0, 0, 6.36e-4], [0, 0, -5.32e-6]],
        "yR": [[0, 0, 0], [-0.3, 0, 1.0], [0, 0.0025, 0]],
        "yL": [[0, 0, 0], [0.02, 0, 0], [0, 1.2, 0]],
    }
    params = {}
    for name, matrix in tx1.items():
        m = np.asarray(matrix, dtype=np.float64)[None] * (1 + 0.03 * rng.standard_normal((n, 3, 3)))
        params[name] = m * np.exp(0.05j * rng.standard_normal((n, 3, 3)))
    params["M_R2"] = 1500.0 * (1 + 0.05 * rng.standard_normal(n))
    params["M_S1"] = 1200.0 * (1 + 0.05 * rng.standard_normal(n))
    params["m0I0"] = 1.73e-6 * (1 + 0.05 * rng.standard_normal(n))
    return params


@pytest.fixture(scope="module")
def agreement(baseline):
    """JAX's own benchmark points (200) and 200 perturbed TX-I points through both pipelines, and JAX's constraint
    set (the bench card's: every default paper2022 constraint)."""
    params, jax_random, _ = baseline.jax_points(200, seed=5)
    tx1 = tx1_perturbed(200)
    jax_tx1, constraint_set = jax_columns(tx1)
    c = baseline.constants()
    out = {}
    with np.errstate(all="ignore"):
        for label, p, theirs in (("random", params, jax_random), ("tx1", tx1, jax_tx1)):
            out[label] = (theirs, baseline.evaluate(p, c))
    return out, constraint_set


def baseline_observables(ours):
    """The observable columns the baseline computes (neither parameters nor constraint columns)."""
    parameters = {"M_R2", "M_S1", "m0I0"} | {k for k in ours if k[:3] in ("fR_", "fL_", "yR_", "yL_")}
    return {k for k in ours
            if k not in parameters and k not in SUMMARY and not k.startswith(("pass_", "chi2_", "penalty_"))}


def covered(constraint_set, ours):
    """JAX's constraints whose observable the baseline computes: the subset both pipelines evaluate."""
    return [c for c in constraint_set.constraints if c.observable in ours]


@pytest.mark.parametrize("label", ["random", "tx1"])
def test_numpy_baseline_matches_jax_observables(agreement, label):
    theirs, ours = agreement[0][label]
    for name in KEY_OBSERVABLES:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-8, atol=0, err_msg=name)
    for name in ANGLES:  # compared on the circle
        difference = np.abs(np.angle(np.exp(1j * (ours[name] - theirs[name]))))
        assert difference.max() < 1e-7, name
    # The baseline covers the letter's observables only (scripts/numpy_baseline.py docstring): each is a JAX column,
    # and it is most, not all, of them.
    mine = baseline_observables(ours)
    assert mine <= set(theirs)
    assert 90 <= len(mine) < len(baseline_observables(theirs))
    shared = [k for k in theirs if k in ours and theirs[k].dtype.kind == "f"
              and not k.startswith(("chi2_", "penalty_")) and k not in SUMMARY]
    assert len(shared) > 150  # every parameter and observable column is compared, not just the key ones
    assert mine <= set(shared)
    for name in shared:
        if name in ANGLES:
            continue
        # a complex quantity (name, name_im) is compared relative to its modulus
        partner = name[:-3] if name.endswith("_im") else f"{name}_im"
        modulus = np.hypot(theirs[name], theirs[partner]) if partner in theirs else np.abs(theirs[name])
        scale = np.maximum(modulus, 1e-300)
        assert np.max(np.abs(ours[name] - theirs[name]) / scale) < 1e-8, name


def jax_subset_chi2_total(theirs, constraints, correlations):
    """JAX's chi2_total restricted to ``constraints``: the sum of their chi^2 (Gaussian and oscillation kinds) with the
    set's correlations among them (pull signs from JAX's observable columns, scanner/constraints.py)."""
    names = {c.name: c for c in constraints}
    total = sum(theirs[f"chi2_{c.name}"] for c in constraints if c.kind in ("gaussian", "oscillation"))
    for correlation in correlations:
        pair = correlation["observables"]
        if not all(n in names for n in pair):
            continue
        pulls = []
        for n in pair:
            spec = names[n].spec
            mapping = spec.get("prediction", {})
            x = mapping.get("offset", 0.0) + mapping.get("scale", 1.0) * theirs[names[n].observable]
            pulls.append(np.sign(x - spec["value"]) * np.sqrt(theirs[f"chi2_{n}"]))
        a, b = pulls
        rho = correlation["rho"]
        total = total + (a * a + b * b - 2 * rho * a * b) / (1 - rho * rho) - (a * a + b * b)
    return total


@pytest.mark.parametrize("label", ["random", "tx1"])
def test_numpy_baseline_matches_jax_pass_flags(agreement, label):
    results, constraint_set = agreement
    theirs, ours = results[label]
    # The baseline evaluates exactly the JAX constraints whose observable it computes (derived, not listed), and they
    # are a large part of JAX's set; the others (new observables after the letter) are left out on purpose.
    subset = covered(constraint_set, ours)
    assert sorted(c.name for c in subset) == sorted(k[5:] for k in ours if k.startswith("pass_"))
    assert len(subset) >= 40 and len(subset) < len(constraint_set.constraints)
    mixed = 0
    for c in subset:
        np.testing.assert_array_equal(ours[f"pass_{c.name}"], theirs[f"pass_{c.name}"], err_msg=c.name)
        # chi^2 per constraint (NaN for the limit kinds in both)
        np.testing.assert_allclose(ours[f"chi2_{c.name}"], theirs[f"chi2_{c.name}"], rtol=1e-8, atol=1e-12,
                                   err_msg=c.name)
        np.testing.assert_allclose(ours[f"penalty_{c.name}"], theirs[f"penalty_{c.name}"], rtol=1e-8, atol=1e-12,
                                   err_msg=c.name)
        mixed += 0 < theirs[f"pass_{c.name}"].sum() < len(theirs[f"pass_{c.name}"])
    assert mixed >= 5  # the comparison sees both outcomes for many constraints
    # Viability over the subset, with JAX's semantics (scanner/constraints.py): every constraint passes and the row
    # is finite (reason 0).
    viable = np.logical_and.reduce([theirs[f"pass_{c.name}"] for c in subset]) & (theirs["reason"] == 0)
    np.testing.assert_array_equal(ours["viable"], viable)
    expected = jax_subset_chi2_total(theirs, subset, constraint_set.correlations)
    np.testing.assert_allclose(ours["chi2_total"], expected, rtol=1e-8)


def test_bench_compare_table_formatting():
    module = load_script("bench_compare")
    numpy_result = {"dtype": "float64", "chunk_size": 16, "n": 32, "seconds": 2.0, "cpu_seconds": 1.5,
                    "evals_per_s": 16.0, "viable": 0}
    jax_result = dict(numpy_result, seconds=0.5, evals_per_s=64.0, compile_seconds=3.0, devices=2)
    rows = [module.row("numpy", numpy_result, 16.0), module.row("jax", jax_result, 16.0)]
    assert rows[1]["ratio_vs_numpy"] == pytest.approx(4.0)
    table = module.format_table(rows)
    assert len(table.splitlines()) == 4 and "4.00" in table
