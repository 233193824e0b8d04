"""Delta F = 2 from leptoquark boxes (kernels/leptoquark/mixing.py) against independent references.

References (never the kernel): the box coefficient from a quadrature of the loop integral with explicit coupling sums
(tests/reference/lq_mixing_numpy.py), and flavio 2.7.1's DeltaM_s, DeltaM_d, eps_K and x12_D for that coefficient
given as a WET coefficient at m_t (its own running to the hadronic scale, matrix elements and SM amplitude); the
n_f = 6 step from the leptoquark mass to m_t is LO, [alpha_s(M)/alpha_s(m_t)]^(6/21), with a one-loop alpha_s written
out here.
"""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np
import pytest

from flavorscan.kernels.constants import base_inputs
from flavorscan.kernels.leptoquark import mixing
from tests.kernels.lq_points import MATRICES, random_point
from tests.reference import lq_mixing_numpy as ref

M_T = 172.5


@pytest.fixture(scope="module")
def flavio_setup():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import flavio
        from flavio.physics import ckm as flavio_ckm
    par = flavio.default_parameters.get_central_all()
    inputs = dict(base_inputs("paper2022"), ckm=flavio_ckm.get_ckm(par), m_W=np.float64(par["m_W"]))
    sm = {o: flavio.sm_prediction(o) for o in ("DeltaM_s", "DeltaM_d", "eps_K", "x12_D")}
    return flavio, inputs, sm


def test_box_coefficients_against_quadrature():
    """C = -(sum lambda lambda*)^2/(128 pi^2 M^2) with the coupling orientation of each meson, R2 and S1, and the
    up-type (D) combination, against the quadrature reference for random complex couplings and unequal masses."""
    rng = np.random.default_rng(41)
    inputs = base_inputs("current")
    for _ in range(5):
        params = random_point(rng, rng.uniform(800, 3000), rng.uniform(800, 3000), scale=0.3)
        want = ref.coefficients(params, inputs["ckm"])
        for key, (out_row, in_row) in {"bs": (1, 2), "bd": (0, 2), "sd": (0, 1)}.items():
            got = [complex(c) for c in mixing.down_type_coefficients(params, inputs, out_row, in_row)]
            np.testing.assert_allclose(got, want[key], rtol=1e-8)
    assert ref.euclidean_box_integral(1000.0) == pytest.approx(1.0 / (16 * math.pi**2 * 1e6), rel=1e-10)


def test_sm_limit_and_positive_definiteness():
    """No couplings: r_mix = 1, eps_k_np = x12_d_np = 0. A real product with the phase of the SM top box increases
    Delta M_s (the box has the sign of the SM box), the opposite sign of the product leaves (...)^2 unchanged."""
    inputs = base_inputs("current")
    zero = {k: np.zeros((3, 3), complex) for k in MATRICES}
    zero.update(M_R2=1000.0, M_S1=1000.0, m0I0=1e-6)
    out = mixing.mixing_observables(zero, inputs)
    assert float(out["r_mix_bs"]) == 1.0 and float(out["eps_k_np"]) == 0.0 and float(out["x12_d_np"]) == 0.0
    ckm = inputs["ckm"]
    lambda_t = ckm[2, 2] * np.conj(ckm[2, 1])
    for sign in (1.0, -1.0):
        params = dict(zero)
        fhat = np.zeros((3, 3), complex)
        fhat[1, 2] = 0.3 * sign * lambda_t / abs(lambda_t)  # fhat_s fhat_b* has the phase of lambda_t
        fhat[2, 2] = 0.3 * sign
        params["fR"] = ckm @ fhat
        assert float(mixing.mixing_observables(params, inputs)["r_mix_bs"]) > 1.0


def _alpha_s(mu):
    """One-loop n_f = 6 from alpha_s(m_t) = 0.10798 (written out independently of kernels/leptoquark/qcd.py)."""
    return 1.0 / (1.0 / 0.10798 + 7.0 / (2.0 * math.pi) * math.log(mu / M_T))


def test_observables_against_flavio(flavio_setup):
    """r_mix_bs, r_mix_bd, eps_k_np, x12_d_np for the reference box coefficients at the leptoquark masses: flavio 2.7.1
    with the same coefficients (run to m_t at LO) in its WET: Delta M_s, Delta M_d to 2e-3, the new-physics eps_K to
    5e-3, x12_D (new physics much larger than flavio's SM M12) to 3e-2 (LO running down to 2 GeV). Couplings of size 0.1 keep the new physics
    at 10-50% of the B amplitudes: for new physics several times the SM the kernel's LO running leaves 0.4% of the
    new amplitude (wilson runs at higher order), which cancellations between R2 and S1 can enhance."""
    flavio, inputs, sm = flavio_setup
    import wilson

    rng = np.random.default_rng(7)
    for _ in range(3):
        params = random_point(rng, rng.uniform(900, 2500), rng.uniform(900, 2500), scale=0.1)
        got = {k: float(v) for k, v in jax.jit(mixing.mixing_observables)(params, inputs).items()}
        coefficients = ref.coefficients(params, inputs["ckm"])
        masses = (float(params["M_R2"]), float(params["M_S1"]))

        def at_mt(pair):
            return sum(c * (_alpha_s(m) / _alpha_s(M_T)) ** (6.0 / 21.0) for c, m in zip(pair, masses))

        def np_pred(observable, key, value):
            w = wilson.Wilson({key: value}, scale=M_T, eft="WET", basis="flavio")
            return flavio.np_prediction(observable, w)

        assert got["r_mix_bs"] == pytest.approx(np_pred("DeltaM_s", "CVLL_bsbs", at_mt(coefficients["bs"]))
                                                / sm["DeltaM_s"], rel=2e-3)
        assert got["r_mix_bd"] == pytest.approx(np_pred("DeltaM_d", "CVLL_bdbd", at_mt(coefficients["bd"]))
                                                / sm["DeltaM_d"], rel=2e-3)
        eps_np = np_pred("eps_K", "CVLL_sdsd", at_mt(coefficients["sd"])) - sm["eps_K"]
        assert got["eps_k_np"] == pytest.approx(eps_np, rel=5e-3)
        # flavio's D operator is (c-bar u)^2: the conjugate of (u-bar c)^2; |M12| is blind to it. Couplings x sqrt(10)
        # (coefficients x 100) so that flavio's SM M12 (x12 = 0.004) is a 1% effect.
        big = dict(params, **{k: np.sqrt(10.0) * params[k] for k in MATRICES})
        x12 = np_pred("x12_D", "CVLL_ucuc", 100.0 * np.conj(at_mt(coefficients["cu"])))
        assert float(mixing.mixing_observables(big, inputs)["x12_d_np"]) == pytest.approx(x12, rel=3e-2)
