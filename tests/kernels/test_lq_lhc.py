"""LHC pair-production branching ratios (kernels/leptoquark/lhc.py) against hand-computed two-body widths.

Reference: Gamma(S -> q l) = (|l|^2 + |r|^2) M (1 - m_q^2/M^2)^2/(16 pi) per final state, written out here per
component and channel with plain Python; the sum rule (all channels plus the light-quark-tau "rest" = 1) and the CKM
rotation of the down-type couplings.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from flavorscan.kernels.constants import base_inputs
from flavorscan.kernels.leptoquark import lhc

MATRICES = ("fL", "fR", "yL", "yR")
INPUTS = base_inputs("current")
M_T = float(INPUTS["m_t_pole"])


def widths(params, ckm):
    """{component: {channel: width}} by explicit sums (the module docstring's formula, M/16 pi dropped)."""
    fl, fr, yl, yr = (np.asarray(params[k]) for k in MATRICES)
    v = np.asarray(ckm)
    fhat = np.array([[sum(np.conj(v[i, k]) * fr[i, l] for i in range(3)) for l in range(3)] for k in range(3)])
    yhat = np.array([[-sum(v[i, k] * yl[i, l] for i in range(3)) for l in range(3)] for k in range(3)])

    def ps(quark, mass):
        return (1 - (M_T / mass) ** 2) ** 2 if quark == 2 else 1.0

    m_r2, m_s1 = params["M_R2"], params["M_S1"]
    out = {"r53": {}, "r23": {}, "s1": {}}
    leptons = {"tau": 2, "mu": 1, "e": 0}
    for lep, j in leptons.items():
        out["r53"][f"t{lep}"] = (abs(fl[2, j]) ** 2 + abs(fr[2, j]) ** 2) * ps(2, m_r2)
        out["s1"][f"t{lep}"] = (abs(yl[2, j]) ** 2 + abs(yr[2, j]) ** 2) * ps(2, m_s1)
        out["r23"][f"b{lep}"] = abs(fhat[2, j]) ** 2
    for lep, j in (("mu", 1), ("e", 0)):
        out["r53"][f"j{lep}"] = sum(abs(fl[i, j]) ** 2 + abs(fr[i, j]) ** 2 for i in (0, 1))
        out["s1"][f"j{lep}"] = sum(abs(yl[i, j]) ** 2 + abs(yr[i, j]) ** 2 for i in (0, 1))
        out["r23"][f"j{lep}"] = sum(abs(fhat[k, j]) ** 2 for k in (0, 1))
    out["r53"]["rest"] = sum(abs(fl[i, 2]) ** 2 + abs(fr[i, 2]) ** 2 for i in (0, 1))
    out["s1"]["rest"] = sum(abs(yl[i, 2]) ** 2 + abs(yr[i, 2]) ** 2 for i in (0, 1))
    out["r23"]["rest"] = sum(abs(fhat[k, 2]) ** 2 for k in (0, 1))
    out["r23"]["tnu"] = sum(abs(fl[2, j]) ** 2 for j in range(3)) * ps(2, m_r2)
    out["r23"]["jnu"] = sum(abs(fl[i, j]) ** 2 for i in (0, 1) for j in range(3))
    out["s1"]["bnu"] = sum(abs(yhat[2, j]) ** 2 for j in range(3))
    out["s1"]["jnu"] = sum(abs(yhat[k, j]) ** 2 for k in (0, 1) for j in range(3))
    return out


def test_branching_ratios_against_explicit_widths():
    rng = np.random.default_rng(8)
    for _ in range(4):
        params = {k: rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)) for k in MATRICES}
        params.update(M_R2=rng.uniform(400, 2500), M_S1=rng.uniform(400, 2500), m0I0=1e-6)
        got = jax.jit(lhc.lhc_observables)(params, INPUTS)
        want = widths(params, INPUTS["ckm"])
        for lq, channels in lhc.CHANNELS.items():
            total = sum(want[lq].values())
            for channel in channels:
                assert float(got[f"bound_lhc_pair_{lq}_{channel}"]) == pytest.approx(want[lq][channel] / total, rel=1e-10)
            assert sum(float(got[f"bound_lhc_pair_{lq}_{c}"]) for c in channels) + want[lq]["rest"] / total == \
                pytest.approx(1.0, rel=1e-12)


def test_single_channel_and_no_couplings():
    """One coupling: that channel has BR = 1; a top channel stays 1 below the top threshold's phase-space factor
    only through the normalisation; no couplings: every BR is 0 (finite gradient)."""
    params = {k: np.zeros((3, 3), complex) for k in MATRICES}
    params.update(M_R2=1000.0, M_S1=1200.0, m0I0=1e-6)
    zero = lhc.lhc_observables(params, INPUTS)
    assert all(float(v) == 0.0 for v in zero.values())
    params["yL"][2, 2] = 0.7  # S1 -> t tau and, through y-hat = -V^T y^L, b nu (mostly)
    out = lhc.lhc_observables(params, INPUTS)
    t_tau = (1 - (M_T / 1200.0) ** 2) ** 2 * 0.49
    b_nu = 0.49 * abs(INPUTS["ckm"][2, 2]) ** 2
    total = t_tau + 0.49 * sum(abs(INPUTS["ckm"][2, k]) ** 2 for k in range(3))
    assert float(out["bound_lhc_pair_s1_ttau"]) == pytest.approx(t_tau / total, rel=1e-12)
    assert float(out["bound_lhc_pair_s1_bnu"]) == pytest.approx(b_nu / total, rel=1e-12)
    grad = jax.grad(lambda m: lhc.lhc_observables(dict(params, yL=params["yL"] * m), INPUTS)["bound_lhc_pair_s1_ttau"])
    assert math.isfinite(float(grad(0.0)))
