"""Z-pole widths of every lepton, the invisible width and Z/W lepton universality (kernels/leptoquark/zdecay.py)
against independent references.

References (never the kernel): the exact one-loop Z vertex integrated numerically for every lepton and the neutrinos
(tests/reference/lq_electroweak_numpy.py, built on lq_dipoles_numpy.z_vertex_exact), the W vertex at q^2 = 0 as a
numerical Feynman-parameter integral with two quark masses (same reference module), the leading-log SU(2) relation of
SMEFT (delta_W = delta g^nu - delta g^l) as a limit, and flavio 2.7.1's Z and W widths from the SMEFT coefficients
C_phil1, C_phil3, C_phie equivalent to the kernel's coupling shifts (which checks the width and ratio formulas).
"""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np
import pytest

from flavorscan.kernels.constants import base_inputs
from flavorscan.kernels.leptoquark import zdecay
from tests.kernels.lq_points import MATRICES, point
from tests.reference import lq_electroweak_numpy as ref

E, MU, TAU = 0, 1, 2
U, C, T = 0, 1, 2
INPUTS = base_inputs("paper2022")
M_Z = float(INPUTS["m_Z"])
_OBS = jax.jit(zdecay.zdecay_observables)


def observables(params, inputs=INPUTS):
    return {k: float(v) for k, v in _OBS(params, inputs).items()}


@pytest.mark.parametrize("lepton,name", [(E, "dgamma_z_ee_rel"), (MU, "dgamma_z_mumu_rel")])
def test_z_widths_of_every_lepton_against_exact_one_loop(lepton, name):
    """Gamma(Z -> e e), Gamma(Z -> mu mu) for single couplings to each quark of every loop, M = 1 and 2 TeV: the kernel
    (first order in m_Z^2/M^2) against the numerically integrated exact vertex, within 2 m_Z^2/M^2 (light quarks)
    or 0.2 m_Z^2/M^2 (top) relative, as for tau (tests/kernels/test_lq_dipoles.py). The tau kernel, generalised to a
    flavour matrix, must give the same numbers for every lepton."""
    for mass in (1000.0, 2000.0):
        for matrix in MATRICES:
            for q in (U, C, T):
                params = point(mass, mass, **{matrix: ((q, lepton, 1.0),)})
                got = observables(params)[name]
                want = ref.dgamma_z(params, INPUTS, M_Z, lepton)
                tolerance = (2.0 if q != T else 0.2) * (M_Z / mass) ** 2
                assert got == pytest.approx(want, rel=tolerance, abs=1e-7), (matrix, q, mass, got, want)


def test_widths_are_lepton_blind():
    """The same coupling to e, mu or tau gives the same shift of its own width and none of the others'."""
    values = []
    for lepton, name in ((E, "dgamma_z_ee_rel"), (MU, "dgamma_z_mumu_rel"), (TAU, "dgamma_z_tautau_rel")):
        out = observables(point(yL=((T, lepton, 0.7),), fR=((C, lepton, 0.5),)))
        values.append(out[name])
        others = {"dgamma_z_ee_rel", "dgamma_z_mumu_rel", "dgamma_z_tautau_rel"} - {name}
        assert all(out[k] == 0.0 for k in others)
    np.testing.assert_allclose(values, values[0], rtol=1e-12)


def test_invisible_width_against_exact_one_loop():
    """n_nu_z from R^{2/3} (f^L, up quarks) and S1 (y-hat^L, down quarks) neutrino loops against the exact vertex.
    f^L_{t tau} = 1 at 1 TeV raises the invisible width (top term +2.7e-3 of one neutrino width); a y^L_{t tau}
    coupling reaches the neutrino only through y-hat^L = -V^T y^L (b-quark loop, 1.5e-4)."""
    for mass in (1000.0, 2000.0):
        for matrix, q in (("fL", T), ("fL", C), ("yL", T), ("yL", C)):
            params = point(mass, mass, **{matrix: ((q, TAU, 1.0),)})
            got = observables(params)["n_nu_z"] - 3.0
            want = ref.n_nu(params, INPUTS, M_Z) - 3.0
            assert got == pytest.approx(want, rel=2.0 * (M_Z / mass) ** 2, abs=2e-7), (matrix, q, mass, got, want)
    assert observables(point(fL=((T, TAU, 1.0),)))["n_nu_z"] == pytest.approx(3.0027, abs=1e-4)


@pytest.mark.parametrize("mass", [160.0, 1000.0, 3000.0])
def test_w_vertex_against_numerical_integral(mass):
    """delta_W^{ll} (S1, y^L) from the closed forms J_a, J_c against the numerical Feynman-parameter integrals, for
    random complex couplings to all quarks and leptons (flavour and CKM structure included), M = m_t (x_t = 1, the
    series branch), 1 and 3 TeV: to 1e-6 relative (the precision of the 2D quadrature)."""
    rng = np.random.default_rng(int(mass))
    params = point(m_s1=mass)
    params["yL"] = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    got = np.real(np.diagonal(np.asarray(zdecay.w_vertex_correction(params, INPUTS))))
    for lepton in (E, MU, TAU):
        assert got[lepton] == pytest.approx(ref.w_vertex(params, INPUTS, lepton), rel=1e-6)


def test_w_ratios_and_the_leading_log_su2_limit():
    """r_w_taumu = (1 + 2 Re delta_W^{tau tau})/(1 + 2 Re delta_W^{mu mu}); for a top coupling the finite W vertex
    differs from the SU(2) relation delta g^nu - delta g^l of the Z vertices (exact only at leading log) by
    (1/4) x_t relative to -(1/2) x_t ln(1/x_t): 16% at 1 TeV, 10% at 3 TeV, shrinking like 1/ln(M^2/m_t^2).
    f^L (the R2 doublet with a singlet quark) and f^R, y^R (right-handed leptons) leave the W vertex unchanged."""
    ratios = []
    for mass in (1000.0, 3000.0, 30000.0):
        params = point(m_s1=mass, yL=((T, TAU, 1.0),))
        out = observables(params)
        delta_w = float(np.real(zdecay.w_vertex_correction(params, INPUTS)[TAU, TAU]))
        assert out["r_w_taumu"] == pytest.approx(1.0 + 2.0 * delta_w, rel=1e-12)
        assert out["r_w_taue"] == out["r_w_taumu"] and out["r_w_mue"] == 1.0
        corrections = zdecay.z_vertex_corrections(params, INPUTS)
        relation = float(np.real(corrections["nu"][1][TAU, TAU] - corrections["L"][1][TAU, TAU]))
        ratios.append(delta_w / relation)
    assert ratios[0] == pytest.approx(1.16, abs=0.01) and ratios[1] == pytest.approx(1.10, abs=0.01)
    assert 1.0 < ratios[2] < ratios[1]
    for matrix in ("fL", "fR", "yR"):
        out = observables(point(**{matrix: ((T, TAU, 1.0), (C, MU, 0.5))}))
        assert out["r_w_taumu"] == 1.0 and out["r_w_mue"] == 1.0


def test_z_and_w_formulas_against_flavio():
    """Width and ratio formulas: the kernel's coupling shifts expressed as SMEFT coefficients at M_Z
    (delta g_L = -(v^2/2)(C_phil1 + C_phil3), delta g_R = -(v^2/2) C_phie, delta g^nu = -(v^2/2)(C_phil1 - C_phil3),
    delta_W = v^2 C_phil3; flavio's smeftew conventions) give flavio's Gamma(Z -> mu mu), Gamma(Z -> nu nu) and
    Rtaumu(W -> l nu) shifts (the kernel is first order, so flavio's linear term is taken, from +-C): the W ratio to
    2e-3, the Z widths to 1e-2, because flavio adds the tree-level shift to its full SM width, which carries
    0.7% of radiative corrections (a pure C_phil1 or C_phie shows the same -0.7%)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import flavio
        import wilson

    params = point(m_r2=1000.0, m_s1=1000.0, fR=((T, MU, 1.2),), fL=((T, MU, 0.9),), yL=((C, MU, 0.8),))
    out = observables(params)
    corrections = zdecay.z_vertex_corrections(params, INPUTS)
    dg_l = float(np.real(corrections["L"][0][MU, MU]))
    dg_r = float(np.real(corrections["R"][0][MU, MU]))
    dg_nu = float(np.real(corrections["nu"][0][MU, MU]))
    v2 = 1.0 / (math.sqrt(2.0) * 1.1663787e-5)
    c1_minus_c3 = -2.0 * dg_nu / v2
    # C_phil3_11,22 would also shift G_F (muon decay) and through it every width in flavio: the charged-lepton
    # shift is given as C_phil1 alone

    def linear(observable, wcs):
        """flavio's first-order relative shift: (X(+C) - X(-C))/(2 X_SM)."""
        values = [flavio.np_prediction(observable, wilson.Wilson({k: sign * v for k, v in wcs.items()},
                                                                 scale=91.1876, eft="SMEFT", basis="Warsaw"))
                  for sign in (1.0, -1.0)]
        return (values[0] - values[1]) / (2.0 * flavio.sm_prediction(observable))

    shift = linear("Gamma(Z->mumu)", {"phil1_22": -2.0 * dg_l / v2, "phie_22": -2.0 * dg_r / v2})
    assert out["dgamma_z_mumu_rel"] == pytest.approx(shift, rel=1e-2)
    # the invisible width through C_phil1 - C_phil3 in the tau flavour (no G_F shift); Gamma(Z->nunu) sums 3 flavours
    shift = linear("Gamma(Z->nunu)", {"phil1_33": c1_minus_c3 / 2.0, "phil3_33": -c1_minus_c3 / 2.0})
    assert out["n_nu_z"] - 3.0 == pytest.approx(3.0 * shift, rel=1e-2)
    params_w = point(m_s1=1000.0, yL=((T, TAU, 1.0),))
    delta_w = float(np.real(zdecay.w_vertex_correction(params_w, INPUTS)[TAU, TAU]))
    shift = linear("Rtaumu(W->lnu)", {"phil3_33": delta_w / v2})
    assert observables(params_w)["r_w_taumu"] - 1.0 == pytest.approx(shift, rel=2e-3)


def test_lq_scale_loop_masses():
    """loop_quark_masses = "lq_scale": MSbar masses at 1 TeV run at one loop to each leptoquark mass; at M = 1 TeV
    the top loop uses m_t(1 TeV) = 150.7 GeV instead of 160 GeV, shrinking the top term like x_t ln(1/x_t)."""
    running = base_inputs("paper2022", loop_quark_masses="lq_scale")
    params = point(yL=((T, TAU, 1.0),))
    letter = observables(params)["dgamma_z_tautau_rel"]
    scheme = observables(params, running)["dgamma_z_tautau_rel"]

    def top_term(m_t):
        x = (m_t / 1000.0) ** 2
        return x * (x - 1.0 - math.log(x)) / (x - 1.0) ** 2

    assert scheme / letter == pytest.approx(top_term(150.7) / top_term(160.0), rel=0.03)


def test_w_loop_functions_through_g_s_equal_the_printed_closed_forms():
    """x L(x) and J_c(x), written through the shared g_S, against their printed closed forms (numpy, away from
    x = 1) and their limits L(1) = 1, J_c(1) = 0, J_c(0) = -1/4."""
    from flavorscan.kernels.leptoquark.loops import g_S

    x = np.array([1e-12, 1e-6, 3e-2, 0.4, 0.9, 1.2, 3.0, 40.0])
    got_a, got_up, _ = (np.asarray(v) for v in zdecay.w_loop_functions(x, x[::-1], g_S(x), g_S(x[::-1])))
    x_log = x**2 * np.log(x) / (x - 1.0)
    j_c = (2.0 * x**2 * np.log(x) - 3.0 * x**2 + 4.0 * x - 1.0) / (4.0 * (x - 1.0) ** 2)
    np.testing.assert_allclose(got_up, j_c, rtol=1e-12, atol=1e-15)
    other = x[::-1]
    expected_a = (x_log[:, None] - (other**2 * np.log(other) / (other - 1.0))[None, :]) / (2.0 * (x[:, None] - other[None, :])) - 0.25
    np.testing.assert_allclose(got_a, expected_a, rtol=1e-11, atol=1e-15)
    one = np.array([1.0, 1e-300])
    _, at_one, _ = (np.asarray(v) for v in zdecay.w_loop_functions(one, one, g_S(one), g_S(one)))
    np.testing.assert_allclose(at_one, [0.0, -0.25], atol=1e-15)
