"""A model added from outside the package (tests/third_model: its kernel and spec) runs through every command.

It is registered only through the FLAVORSCAN_MODELS environment variable: no file of flavorscan names it.
run -> info -> merge -> refine -> plot -> report -> point -> fit, all through the command line.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

SCAN_CARD = """\
model = "toy"
measurements = "paper2022"
title = "toy scalar"
[scan]
n = 256
chunk_size = 64
seed = 4
keep = "all"
best_per_chunk = 4
g = { range = [1e-4, 3e-3], prior = "log" }
m = { range = [1e-3, 10.0], prior = "log" }
[constraints]
enabled = ["delta_a_mu"]
[refine]
steps = 200
"""

POINT_CARD = """\
model = "toy"
measurements = "paper2022"
[point]
g = 1e-3
m = 0.5
[constraints]
enabled = ["delta_a_mu"]
[refine]
n_starts = 3
"""


def test_toy_loop_integral_against_quadrature():
    """The test model's own kernel against scipy quadrature of the same integral."""
    integrate = pytest.importorskip("scipy.integrate")
    from tests.third_model.kernel import loop_integral

    for r in (1e-8, 1e-4, 0.3, 1.0, 40.0, 1e3, 1e5):
        breaks = [p for p in (1 / r, 1 - r**0.5) if 0 < p < 1]  # the integrand's two end-point scales
        exact = integrate.quad(lambda x: (1 - x) ** 2 * (1 + x) / ((1 - x) ** 2 + x * r), 0, 1, epsrel=1e-13,
                               limit=500, points=breaks)[0]
        assert float(loop_integral(r)) == pytest.approx(exact, rel=1e-8), r


@pytest.fixture(scope="module")
def toy_env(env):
    return dict(env, FLAVORSCAN_MODELS="tests.third_model.spec:SPEC", PYTHONPATH=str(ROOT))


def flavorscan(env, *args, expect=0):
    result = subprocess.run([sys.executable, "-m", "flavorscan", *map(str, args)], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == expect, result.stderr
    return result.stdout


def test_third_model_through_every_command(tmp_path, toy_env):
    pytest.importorskip("matplotlib")
    card = tmp_path / "toy.toml"
    card.write_text(SCAN_CARD)
    run = tmp_path / "run"
    summary = json.loads(flavorscan(toy_env, "run", card, "--out", run, "--quiet"))
    assert summary["points_evaluated"] == 256 and summary["rows_kept"] == 256

    info = json.loads(flavorscan(toy_env, "info", run, "--json"))
    assert info["card"]["model"] == "toy" and info["counts"]["points"] == 256 and info["complete"]
    assert {"g", "m", "delta_a_mu", "pass_delta_a_mu", "viable", "candidate"} <= set(info["columns"])

    flavorscan(toy_env, "merge", run, "-o", tmp_path / "merged.h5")
    from flavorscan.scanner.store import load

    rows = load(tmp_path / "merged.h5")
    assert len(rows["point_id"]) == 256 and np.array_equal(np.sort(rows["point_id"]), np.arange(256))

    refined = json.loads(flavorscan(toy_env, "refine", run, "--out", tmp_path / "refined"))
    assert refined["rows_refined"] == 16  # 4 candidates in each of 4 chunks
    assert refined["viable_after"] >= refined["viable_before"]

    flavorscan(toy_env, "plot", run, "--x", "m", "--y", "g", "-o", tmp_path / "mg.png")
    flavorscan(toy_env, "report", run, "-o", tmp_path / "report")
    assert (tmp_path / "mg.png").stat().st_size > 0 and (tmp_path / "report" / "index.html").exists()

    point = tmp_path / "point.toml"
    point.write_text(POINT_CARD)
    result = json.loads(flavorscan(toy_env, "point", point, "--json"))
    g, m = 1e-3, 0.5
    assert result["observables"]["toy_coupling_sq"] == pytest.approx(g * g, rel=1e-15)
    assert "delta_a_mu" in result["constraints"]
    fit = json.loads(flavorscan(toy_env, "fit", point, "--json"))
    assert fit["n_starts"] == 3 and math.isfinite(fit["loss"])


def test_unregistered_model_is_a_one_line_error(tmp_path, env):
    card = tmp_path / "toy.toml"
    card.write_text(POINT_CARD)
    result = subprocess.run([sys.executable, "-m", "flavorscan", "point", str(card)], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "model: unknown model 'toy'" in result.stderr
