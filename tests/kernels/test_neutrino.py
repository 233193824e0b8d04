"""Neutrino-mass kernels against analytic facts of Eq. (5), the letter's TX-I table and a PMNS round trip."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flavorscan.kernels.constants import base_inputs
from flavorscan.kernels.neutrino import loop_integral_i0, m0_prefactor, mass_matrix, neutrino_observables, oscillation_observables
from flavorscan.scanner.config import resolve_card
from flavorscan.scanner.models.lq.evaluation import m0i0_from_masses
from flavorscan.scanner.pipeline import model_inputs, point_params
from tests.reference.neutrino_mass_matrix import i0_eq4, m0_eq3, mass_matrix_eq3
from tests.reference.takagi_numpy import pmns_matrix

M_W = 80.37
i0 = jax.jit(loop_integral_i0)
observables_of_matrix = jax.jit(oscillation_observables)
mass_matrix_jit = jax.jit(mass_matrix)

# Values transcribed from docs/physics/inputs.md (not read from kernels/data): g, pole lepton masses and the
# up-quark masses of Eq. (3) for each nu_quark_masses choice a card accepts ("1TeV", "low", explicit list; the
# explicit one is the arXiv:1112.3112 transcription quoted there).
G_DOC = 0.652
M_LEP_DOC = (0.51099895e-3, 0.1056583755, 1.77686)
NU_QUARK_CHOICES_DOC = {
    "1TeV": ("1TeV", (1.10e-3, 0.532, 150.7)),
    "low": ("low", (2.16e-3, 1.27, 160.0)),
    "explicit": ([1.17e-3, 0.543, 148.1], (1.17e-3, 0.543, 148.1)),
}
ALL_SIGN_PATTERNS = [(s1, s2, s3) for s1 in (1, -1) for s2 in (1, -1) for s3 in (1, -1)]


def lq_card(nu_quark_masses, signs=(1, -1, -1), **scale):
    """A resolved [point] card (couplings left at zero) through the same validation as `flavorscan point`."""
    point = dict(M_R2=1500.0, M_S1=1200.0, nu_term_signs=list(signs), nu_quark_masses=nu_quark_masses)
    point.update(scale or {"m0I0": 1.73e-6})
    return resolve_card({"model": "lq", "measurements": "paper2022", "point": point})


def random_couplings(rng):
    """Four complex 3x3 matrices, magnitudes log-uniform in [1e-3, 1], phases uniform."""
    def one():
        return 10.0 ** rng.uniform(-3, 0, (3, 3)) * np.exp(1j * rng.uniform(0, 2 * np.pi, (3, 3)))
    return dict(fL=one(), fR=one(), yL=one(), yR=one())


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


@pytest.mark.parametrize("choice", sorted(NU_QUARK_CHOICES_DOC))
def test_mass_matrix_entry_by_entry_against_eq3_reference(choice):
    """M_nu of the kernel against tests/reference/neutrino_mass_matrix.py (explicit index sums written from
    docs/physics/leptoquark.md section 2, masses from docs/physics/inputs.md) on random complex couplings, for every
    nu_term_signs pattern and each quark-mass choice of a card. Besides the full sum, each term is isolated by zeroing the
    couplings the other two need (term 1: y^R = f^R = 0; term 2: y^L = 0; term 3: f^L = 0), so a
    transpose, conjugation, D_l/D_u placement or sign error in one term cannot hide behind a larger one."""
    card_choice, m_up_doc = NU_QUARK_CHOICES_DOC[choice]
    rng = np.random.default_rng(2022 + len(choice))
    zero = np.zeros((3, 3), complex)
    isolations = {"all": (), "term1": ("yR", "fR"), "term2": ("yL",), "term3": ("fL",)}
    for signs in ALL_SIGN_PATTERNS:
        inputs = model_inputs(lq_card(card_choice, signs))
        for zeroed in isolations.values():
            couplings = random_couplings(rng)
            couplings.update({name: zero for name in zeroed})
            m0i0 = 10.0 ** rng.uniform(-7, -5)
            kernel = np.asarray(mass_matrix_jit(dict(couplings, m0I0=m0i0), inputs))
            reference = mass_matrix_eq3(couplings["fL"], couplings["fR"], couplings["yL"], couplings["yR"],
                                        m0i0, m_up_doc, M_LEP_DOC, signs)
            np.testing.assert_allclose(kernel, reference, rtol=1e-12, atol=0, err_msg=f"{signs} {zeroed}")


def test_m0_prefactor_matches_leptoquark_md():
    """m0 = 3 g^2 m_t / (sqrt(2) (16 pi^2)^2) (docs/physics/leptoquark.md section 2) for the g of
    docs/physics/inputs.md and each m_t."""
    assert float(base_inputs()["g"]) == G_DOC
    for g in (G_DOC, 2 * M_W / 246.22, 0.3):
        for _, (_, m_up) in sorted(NU_QUARK_CHOICES_DOC.items()):
            assert float(m0_prefactor(g, m_up[2])) == pytest.approx(m0_eq3(g, m_up[2]), rel=1e-14)


def test_reference_i0_reproduces_the_values_quoted_in_leptoquark_md():
    """Guard the test's own transcription of Eqs. (4)-(5): the value 1.92 and the exact zero at degeneracy."""
    assert i0_eq4(math.pi / 4, math.pi / 4, (1000.0, 1200.0, 1500.0, 1300.0), M_W) == pytest.approx(1.92, abs=0.005)
    assert abs(i0_eq4(math.pi / 4, math.pi / 4, (1000.0, 1000.0, 1500.0, 1300.0), M_W)) < 1e-12


@pytest.mark.parametrize("choice", sorted(NU_QUARK_CHOICES_DOC))
def test_point_card_with_mixing_angles_and_masses_gives_m0_i0_of_the_doc(choice):
    """A [point] with theta, phi, M1..M4 instead of m0I0 (`flavorscan point` path: resolve_card, model_inputs,
    point_params) gets m0I0 = m0(g, the card's m_t) x I0 from docs/physics/leptoquark.md Eqs. (3)-(5) evaluated here;
    m0i0_from_masses, which the scan path also calls, agrees under vmap too."""
    card_choice, m_up_doc = NU_QUARK_CHOICES_DOC[choice]
    cases = [  # (theta, phi, (M1, M2, M3, M4)): near-degenerate, the doc's 1.92 example, unequal angles
        (0.3, 1.1, (1000.0, 1010.0, 1030.0, 1020.0)),
        (math.pi / 4, math.pi / 4, (1000.0, 1200.0, 1500.0, 1300.0)),
        (0.05, -0.7, (2500.0, 1800.0, 1200.0, 3100.0)),
    ]
    for theta, phi, masses in cases:
        card = lq_card(card_choice, theta=theta, phi=phi, **dict(zip(("M1", "M2", "M3", "M4"), masses)))
        inputs = model_inputs(card)
        expected = m0_eq3(G_DOC, m_up_doc[2]) * i0_eq4(theta, phi, masses, M_W)
        assert abs(expected) > 1e-9
        assert float(point_params(card, inputs)["m0I0"]) == pytest.approx(expected, rel=1e-10)
    thetas, phis, m = (np.array(x) for x in zip(*[(c[0], c[1], c[2]) for c in cases]))
    vectorised = jax.vmap(lambda t, p, ms: m0i0_from_masses(t, p, tuple(ms), inputs))(thetas, phis, m)
    expected = [m0_eq3(G_DOC, m_up_doc[2]) * i0_eq4(t, p, ms, M_W) for t, p, ms in cases]
    np.testing.assert_allclose(np.asarray(vectorised), expected, rtol=1e-10)


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
    """docs/physics/leptoquark.md section 7: 'expected here' column and its tolerances."""
    obs = jax.jit(neutrino_observables)(tx1_params(), base_inputs("paper2022", "1TeV", nu_term_signs=(1, -1, -1)))
    expected = {  # name: (value, relative tolerance)
        "dm21_sq": (7.61e-5, 0.03), "dm3l_sq": (2.535e-3, 0.005), "s12_sq": (0.3154, 0.002),
        "s23_sq": (0.508, 0.002), "s13_sq": (0.0222, 0.03),
        "m1_eV": (0.0067, 0.01), "m2_eV": (0.0110, 0.01), "m3_eV": (0.0508, 0.005),
    }
    for name, (value, tolerance) in expected.items():
        assert float(obs[name]) == pytest.approx(value, rel=tolerance), name
    assert float(obs["ordering"]) == 0.0


def test_printed_sign_pattern_gives_inverted_ordering_for_tx1():
    """The letter's printed (+,+,-) misses its own TX-I (docs/physics/leptoquark.md section 2); with TX-I's real
    couplings it even flips the ordering to inverted (docs/validation.md section 6.1), where Table III is normal. The
    ordering is derived independently here: Eq. (3) from tests/reference, numpy singular values, and the
    rule of docs/physics/leptoquark.md section 2 (normal iff the two lightest masses are the closest pair)."""
    signs = (1, 1, -1)
    params = tx1_params()
    obs = jax.jit(neutrino_observables)(params, base_inputs("paper2022", "1TeV", nu_term_signs=signs))
    reference = mass_matrix_eq3(*(np.asarray(params[k]) for k in ("fL", "fR", "yL", "yR")), params["m0I0"],
                                NU_QUARK_CHOICES_DOC["1TeV"][1], M_LEP_DOC, signs)
    a, b, c = np.sort(np.linalg.svd(reference, compute_uv=False)) * 1e9  # eV
    assert b**2 - a**2 > c**2 - b**2  # inverted: (m3, m1, m2) = (a, b, c)
    assert float(obs["ordering"]) == 1.0
    masses = [float(obs[k]) for k in ("m3_eV", "m1_eV", "m2_eV")]
    assert masses == pytest.approx([a, b, c], rel=1e-9)


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
    # exactly degenerate spectrum: y^L = 1 and f^L = D_u^{-1} built from the inputs' own m_up_nu, so that
    # 2 (y^L)^T D_u f^L = 2 (M_nu proportional to the identity)
    m_up = np.asarray(inputs["m_up_nu"])
    degenerate = dict(params, fR=jnp.zeros((3, 3), complex), yR=jnp.zeros((3, 3), complex),
                      yL=jnp.eye(3, dtype=complex), fL=jnp.asarray(np.diag(m_up[2] / m_up).astype(complex)))
    m_nu = np.asarray(mass_matrix_jit(degenerate, inputs))
    singular = np.linalg.svd(m_nu, compute_uv=False)
    assert singular.min() > 0 and (singular.max() - singular.min()) <= 4 * np.finfo(float).eps * singular.max()
    np.testing.assert_allclose(m_nu, 4 * params["m0I0"] * np.eye(3), rtol=1e-15, atol=0)
    value, grad = value_and_grad(1.0, degenerate)
    assert np.isfinite(float(value)) and np.isfinite(float(grad))


def test_scan_with_mixing_angle_and_mass_ranges_stores_m0_i0_of_the_doc():
    """A [scan] with I0 ranges (theta, phi, M1..M4) instead of an m0I0 prior: the point function computes
    m0I0 from each point's sampled angles and masses and stores all seven columns. Every stored m0I0 must
    equal m0 x I0 of docs/physics/leptoquark.md Eqs. (3)-(5) evaluated here from the stored theta, phi, M1..M4 (fails if
    the scan path mixes up the angles or masses, e.g. passes theta twice)."""
    from flavorscan.scanner.pipeline import make_point_function
    from flavorscan.scanner.models.lq.sampling import sample as sample_lq

    card = resolve_card({"model": "lq", "measurements": "paper2022", "scan": {
        "n": 16, "chunk_size": 16, "nu_term_signs": [1, -1, -1],
        "M_R2": {"range": [1000.0, 2000.0]}, "M_S1": {"range": [1000.0, 2000.0]},
        "I0": {"theta": [0.1, 1.4], "phi": [-1.2, 1.2], "M1": [800.0, 3000.0], "M2": [800.0, 3000.0],
               "M3": [800.0, 3000.0], "M4": [800.0, 3000.0]},
        "fR": {"probability": 1.0, "magnitude": [1e-3, 1.0], "phase": "uniform"}}}, "I0 scan")
    inputs = model_inputs(card)
    columns = jax.jit(jax.vmap(make_point_function(card, inputs)))(sample_lq(card["scan"], 0, 16))
    _, m_up_doc = NU_QUARK_CHOICES_DOC["1TeV"]
    for k in range(16):
        theta, phi = float(columns["theta"][k]), float(columns["phi"][k])
        masses = tuple(float(columns[name][k]) for name in ("M1", "M2", "M3", "M4"))
        assert len({theta, phi, *masses}) == 6  # six distinct sampled values: a swap cannot go unnoticed
        expected = m0_eq3(G_DOC, m_up_doc[2]) * i0_eq4(theta, phi, masses, M_W)
        assert float(columns["m0I0"][k]) == pytest.approx(expected, rel=1e-10)
