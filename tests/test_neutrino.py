"""Neutrino-mass kernels against analytic facts of Eq. (5), the letter's TX-I table and a PMNS round trip."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernels.constants import base_inputs
from kernels.neutrino import loop_integral_i0, neutrino_observables, oscillation_observables
from tests.reference.takagi_numpy import pmns_matrix

M_W = 80.37
i0 = jax.jit(loop_integral_i0)
observables_of_matrix = jax.jit(oscillation_observables)


def test_i0_vanishes_exactly_at_degeneracy():
    for masses in [(1000.0, 1000.0, 1500.0, 1300.0), (1000.0, 1200.0, 1300.0, 1300.0)]:
        assert float(i0(math.pi / 4, math.pi / 4, masses, M_W)) == 0.0


def test_i0_small_splitting_expansion():
    """I0 ~ (M3 - M4)(M1 - M2)(2 - pi^2/3)/(4 m_W^2) for sin 2theta = sin 2phi = 1 (the mixed derivative of
    the (M_b^2/m_W^2)(r - 1) term). The other terms of Eq. (5) give corrections O(m_W^2/M^2 ln), so the
    relative difference must be a few % at 1 TeV and shrink by >~ 50x per decade of M."""
    d12, d34 = 1.0, 0.7
    expansion = d34 * d12 * (2.0 - math.pi**2 / 3.0) / (4.0 * M_W**2)
    deviations = []
    for scale in (1e3, 1e4, 1e5):
        masses = (scale + d12, scale, scale + 50.0 + d34, scale + 50.0)
        deviations.append(abs(float(i0(math.pi / 4, math.pi / 4, masses, M_W)) / expansion - 1.0))
    assert deviations[0] < 0.05
    assert deviations[1] < deviations[0] / 40 and deviations[2] < deviations[1] / 40


def test_i0_value_quoted_in_leptoquark_md():
    assert float(i0(math.pi / 4, math.pi / 4, (1000.0, 1200.0, 1500.0, 1300.0), M_W)) == pytest.approx(1.92, abs=0.005)


def tx1_params():
    c = lambda x: jnp.asarray(np.array(x, dtype=complex))
    return dict(
        fR=c([[0, 0, 0], [0.13, 0, -0.027], [0.036, 0.01, 0]]),
        fL=c([[0, 0, 1.0], [0, 0, 6.36e-4], [0, 0, -5.32e-6]]),
        yR=c([[0, 0, 0], [-0.3, 0, 1.0], [0, 0.0025, 0]]),
        yL=c([[0, 0, 0], [0.02, 0, 0], [0, 1.2, 0]]),
        M_R2=1500.0, M_S1=1200.0, m0I0=1.73e-6,
    )


def test_tx1_reproduces_the_table_of_leptoquark_md():
    """leptoquark.md section 7: 'expected here' column and its tolerances."""
    obs = jax.jit(neutrino_observables)(tx1_params(), base_inputs("paper2022", "1TeV", nu_term_signs=(1, -1, -1)))
    expected = {  # name: (value, relative tolerance)
        "dm21_sq": (7.61e-5, 0.03), "dm3l_sq": (2.535e-3, 0.005), "s12_sq": (0.3154, 0.002),
        "s23_sq": (0.508, 0.002), "s13_sq": (0.0222, 0.03),
        "m1_eV": (0.0067, 0.01), "m2_eV": (0.0110, 0.01), "m3_eV": (0.0508, 0.005),
    }
    for name, (value, tolerance) in expected.items():
        assert float(obs[name]) == pytest.approx(value, rel=tolerance), name
    assert float(obs["ordering"]) == 0.0


def test_printed_sign_pattern_does_not_reproduce_tx1():
    """The letter's printed (+,+,-) misses its own TX-I (leptoquark.md section 2): guard the convention."""
    obs = jax.jit(neutrino_observables)(tx1_params(), base_inputs("paper2022", "1TeV", nu_term_signs=(1, 1, -1)))
    assert abs(float(obs["dm21_sq"]) / 7.61e-5 - 1) > 0.1 or abs(float(obs["s12_sq"]) / 0.3154 - 1) > 0.05


@pytest.mark.parametrize("inverted", [False, True])
def test_pmns_round_trip_from_known_parameters(inverted):
    """Build M = U* diag(m) U^dagger from known angles/phases (with arbitrary unphysical charged-lepton
    phases) and recover every parameter."""
    rng = np.random.default_rng(7 + inverted)
    truth = dict(s12_sq=0.31, s23_sq=0.55, s13_sq=0.0222, delta_cp=4.1, alpha21=1.3, alpha31=5.2)
    u = pmns_matrix(*truth.values())
    u = np.diag(np.exp(1j * rng.uniform(0, 2 * np.pi, 3))) @ u  # rephasing of charged leptons
    masses = np.array([0.049, 0.0498, 0.001]) if inverted else np.array([0.004, 0.0095, 0.0502])
    m_nu = u.conj() @ np.diag(masses) @ u.conj().T * 1e-9  # GeV
    obs = {k: float(v) for k, v in observables_of_matrix(jnp.asarray(m_nu)).items()}
    assert obs["ordering"] == float(inverted)
    for name, value in truth.items():
        assert obs[name] == pytest.approx(value, abs=1e-9), name
    assert [obs["m1_eV"], obs["m2_eV"], obs["m3_eV"]] == pytest.approx(list(masses), rel=1e-12)
    m3l_ref = masses[2] ** 2 - (masses[1] ** 2 if inverted else masses[0] ** 2)
    assert obs["dm3l_sq"] == pytest.approx(m3l_ref, rel=1e-12)
    m_bb_ref = abs(np.sum(u[0, :] ** 2 * masses))
    assert obs["m_bb_eV"] == pytest.approx(m_bb_ref, rel=1e-12)


def test_gradients_finite_at_exact_degeneracy_and_match_differences_elsewhere():
    inputs = base_inputs("paper2022", "1TeV", nu_term_signs=(1, -1, -1))

    def loss(scale, params):
        obs = neutrino_observables(dict(params, m0I0=params["m0I0"] * scale), inputs)
        return obs["dm21_sq"] * 1e4 + obs["s12_sq"] + obs["sum_m_eV"]

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    params = tx1_params()
    h = 1e-5
    fd = (value_and_grad(1 + h, params)[0] - value_and_grad(1 - h, params)[0]) / (2 * h)
    assert float(value_and_grad(1.0, params)[1]) == pytest.approx(float(fd), rel=1e-5)
    # exactly degenerate spectrum: M_nu proportional to the identity
    degenerate = dict(params, fR=jnp.zeros((3, 3), complex), yR=jnp.zeros((3, 3), complex),
                      yL=jnp.eye(3, dtype=complex), fL=jnp.diag(jnp.array([1.0, 1.0, 1.0]) / jnp.array([1.1e-3 / 150.7, 0.532 / 150.7, 1.0])).astype(complex))
    value, grad = value_and_grad(1.0, degenerate)
    assert np.isfinite(float(value)) and np.isfinite(float(grad))
