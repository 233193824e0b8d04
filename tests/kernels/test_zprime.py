"""Light Z' kernels (kernels.zprime): quadrature, analytic limits, an independent numpy implementation
(tests/reference/zprime_numpy.py) and jit/vmap/grad over the whole mass range.

Compilations are shared: each test vmaps over its cases instead of recompiling per case.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flavorscan.kernels import constants
from flavorscan.kernels.zprime import OBSERVABLES, models, radiative_mass, trident, trident_epa, zprime_inputs, zprime_observables
from flavorscan.kernels.zprime.borexino import borexino_ratio
from flavorscan.kernels.zprime.couplings import couplings, loop_epsilon, vacuum_polarization
from flavorscan.kernels.zprime.g2 import delta_a, loop_functions
from tests.reference import charges_anomalies
from tests.reference import zprime_numpy as ref

INPUTS = zprime_inputs()


def make_params(charges, *args, **kwargs):
    """The params of one point from a card-style charge spec (named model, catalog:<i> or a table)."""
    from flavorscan.scanner.models.zprime.card import resolve_charges

    return models.make_params(resolve_charges(charges), *args, **kwargs)
M_MU = float(INPUTS["m_lep"][1])
M_TAU = float(INPUTS["m_lep"][2])


def stack(points):
    return jax.tree_util.tree_map(lambda *x: np.stack(x), *points)


# --- g-2 loop functions ---------------------------------------------------------------------------------


def test_loop_functions_match_quadrature():
    zs = np.logspace(-6, 8, 57)
    f_v, f_a = jax.jit(jax.vmap(loop_functions))(zs)
    want_v = np.array([ref.f_v(z) for z in zs])
    want_a = np.array([ref.f_a(z) for z in zs])
    np.testing.assert_allclose(f_v, want_v, rtol=1e-10, atol=0)
    np.testing.assert_allclose(f_a, want_a, rtol=1e-10, atol=0)


def test_loop_function_limits():
    small = np.array([1e-10, 1e-8])
    large = np.array([1e4, 1e5, 1e6])
    f_v, f_a = jax.jit(jax.vmap(loop_functions))(np.concatenate([small, large]))
    f_v, f_a = np.asarray(f_v), np.asarray(f_a)
    # z -> 0: F_V -> 1/2 (corrections O(sqrt z)), F_A -> 1/z (corrections O(z ln z))
    assert np.all(np.abs(f_v[:2] - 0.5) < 2 * np.sqrt(small))
    assert np.all(np.abs(f_a[:2] * small - 1) < 2 * small * np.log(1 / small))
    # z -> inf: F_V = 1/(3z) + (25/12 - ln z)/z², F_A = 5/(3z) + (19/12 - ln z)/z², up to O(ln² z/z³)
    lz = np.log(large)
    assert np.all(np.abs((f_v[2:] - 1 / (3 * large)) * large**2 - (25 / 12 - lz)) < lz**2 / large)
    assert np.all(np.abs((f_a[2:] - 5 / (3 * large)) * large**2 - (19 / 12 - lz)) < lz**2 / large)


def test_delta_a_light_and_heavy_limits():
    g_v, g_a = 3e-4, 2e-4
    light, heavy = 1e-5 * M_MU, 1e3 * M_MU
    got = jax.jit(jax.vmap(delta_a, in_axes=(None, None, 0, None)))(g_v, g_a, np.array([light, heavy]), M_MU)
    approx_light = (g_v**2 - 2 * g_a**2 * M_MU**2 / light**2) / (8 * math.pi**2)
    approx_heavy = M_MU**2 * (g_v**2 - 5 * g_a**2) / (12 * math.pi**2 * heavy**2)
    np.testing.assert_allclose(got[0], approx_light, rtol=1e-4)
    np.testing.assert_allclose(got[1], approx_heavy, rtol=2e-5)


# --- kinetic mixing ------------------------------------------------------------------------------------


# just above threshold the two log singularities of the reference integrand nearly merge at x = 1/2 and
# QUADPACK reports roundoff while still agreeing to 1e-12
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_vacuum_polarization_matches_quadrature():
    rs = np.concatenate(
        [-np.logspace(8, -6, 15), np.logspace(-6, 10, 33), [0.4999, 0.5, 3.99, 3.9999999, 4.0000001, 4.01, 4.04, 4.1]]
    )
    got = np.asarray(jax.jit(jax.vmap(vacuum_polarization))(rs))
    want = np.array([ref.vacuum_polarization(r) for r in rs])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-13)


def test_loop_epsilon():
    g = 1e-3
    e = math.sqrt(4 * math.pi * float(INPUTS["alpha_dipole"]))
    eps0 = float(loop_epsilon(g, 0.0, INPUTS))
    assert eps0 == pytest.approx(e * g * math.log(M_TAU**2 / M_MU**2) / (12 * math.pi**2), rel=1e-13)
    assert eps0 == pytest.approx(g / 69.3, rel=1e-3)
    masses = np.array([1e-3, 0.1, 2 * M_MU * 0.999, 2 * M_MU * 1.001, 1.0, 2 * M_TAU * 1.01, 10.0, 500.0])
    got = jax.jit(jax.vmap(loop_epsilon, in_axes=(None, 0, None)))(g, masses**2, INPUTS)
    want = [ref.loop_epsilon(g, m * m, INPUTS) for m in masses]
    np.testing.assert_allclose(got, want, rtol=1e-9)


# --- trident -------------------------------------------------------------------------------------------


def lmu_ltau_couplings(g, m):
    return couplings(make_params("Lmu-Ltau", g, m, 0.0), INPUTS)


def test_trident_contact_closed_form_and_methods():
    g, m = 1e-3, 0.5
    c = lmu_ltau_couplings(g, m)
    args = (c["g_nu"][1], c["g_v_lep"][1], c["g_a_lep"][1])
    s_w2, v = float(INPUTS["s_W2"]), float(INPUTS["v"])
    # the massless-muon contact formula of arXiv:1406.2332 (flavio's R_trident)
    closed = (1 + (1 + 4 * s_w2 + 2 * v**2 * g**2 / m**2) ** 2) / (1 + (1 + 4 * s_w2) ** 2)
    assert float(trident.trident_ratio(*args, m, INPUTS, method="contact")) == pytest.approx(closed, rel=1e-13)
    with pytest.raises(ValueError):
        trident.trident_ratio(*args, m, INPUTS, method="nope")
    # tests/kernels/test_trident.py compares the default ("epa") with the full calculation and the anchors


# --- NSI, Borexino -------------------------------------------------------------------------------------


def test_nsi_b_minus_3lmu_and_mixing_cancellation():
    g, m = 1e-4, 0.05
    y_n, g_f = float(INPUTS["zp_Y_n"]), float(INPUTS["G_F"])
    out, _ = evaluate([make_params("B-3Lmu", g, m, 0.0), make_params("B-3Lmu", g, m, 3e-3)])
    # ε^u = ε^d = g² X_Lμ (2 X_q)/(2√2 G_F m²), X_Lμ = -3, X_q = 1/3; ε^⊕ = (3 + 3 Y_n) ε^u
    want = (3 + 3 * y_n) * g**2 * (-3) * (2 / 3) / (2 * math.sqrt(2) * g_f * m**2)
    np.testing.assert_allclose(out["eps_nsi_mumu"], want, rtol=1e-12)
    np.testing.assert_allclose(out["eps_nsi_ee"], 0.0, atol=1e-15 * abs(want))
    np.testing.assert_allclose(out["eps_nsi_ee_minus_mumu"], -want, rtol=1e-12)


def test_borexino():
    masses = np.array([1e-8, 1e-6, 1e-4, 1e-3, 0.03, 1.0])
    points = [make_params("Le-Lmu", 1e-5, m, 0.0) for m in masses] + [make_params("Lmu-Ltau", 0.0, 0.01, 0.0)]
    batch = stack(points)

    def ratio(p):
        return borexino_ratio(couplings(p, INPUTS), p["m_Zp"], INPUTS)

    got = np.asarray(jax.jit(jax.vmap(ratio))(batch))
    assert got[-1] == pytest.approx(1.0, abs=1e-15)  # no Z' coupling: the SM
    want = [ref.borexino(ref.couplings(p, INPUTS), float(p["m_Zp"]), INPUTS) for p in points[:-1]]
    np.testing.assert_allclose(got[:-1], want, rtol=1e-10)
    assert got[0] > got[1] > got[2] > 1.0  # L_e - L_mu: constructive nu_e e interference, growing for light Z'


# --- every observable against the independent implementation ----------------------------------------

CASES = [
    (spec, eps, m)
    for spec, eps in (("Lmu-Ltau", "loop"), ("B-3Lmu", 1e-3), ("Le-Lmu", 0.0), ("catalog:17", 2e-4), ("B3-3Lmu", -1e-4))
    for m in (1e-4, 3e-3, 0.05, 2 * M_MU * 1.0001, 0.5, 3.0, 40.0, 800.0)
]


def case_points(seed=1):
    rng = np.random.default_rng(seed)
    return [
        make_params(spec, 10 ** rng.uniform(-4, -1), m, eps, g_bs_L=10 ** rng.uniform(-10, -7), g_bs_R=1e-9)
        for spec, eps, m in CASES
    ]


TANGENT_KEYS = ("g_X", "m_Zp", "epsilon", "g_bs_L")
BATCH = 64  # every evaluate() call is padded to this size: one compilation for all tests


def tangent_direction(x):
    """A direction in (g_X, m_Zp, ε, g_bs_L) with every component non-zero and of the parameter's own size,
    so that a NaN or infinite partial derivative cannot hide."""
    return jnp.array([1.0, 0.7, -1.3, 0.9]) * jnp.maximum(jnp.abs(x), 1e-3)


@functools.lru_cache(maxsize=None)
def _compiled_evaluator():
    """jit(vmap) of (observables, their derivative along tangent_direction), forward mode."""

    def one(p):
        def observables(x):
            return zprime_observables(p | dict(zip(TANGENT_KEYS, x)), INPUTS)

        x = jnp.stack([p[k] for k in TANGENT_KEYS])
        return jax.jvp(observables, (x,), (tangent_direction(x),))

    return jax.jit(jax.vmap(one))


def evaluate(points):
    """(values, directional derivatives) of every observable for up to BATCH points, as numpy arrays."""
    assert len(points) <= BATCH
    padded = list(points) + [points[-1]] * (BATCH - len(points))
    values, tangents = _compiled_evaluator()(stack(padded))
    n = len(points)
    return {k: np.asarray(v)[:n] for k, v in values.items()}, {k: np.asarray(v)[:n] for k, v in tangents.items()}


def test_observables_match_reference():
    points = case_points()
    got, _ = evaluate(points)
    assert set(got) == {o.name for o in OBSERVABLES}
    weights = trident_epa.q2_weights()
    for i, p in enumerate(points):
        want = ref.observables(p, INPUTS, weights)
        rc = ref.couplings(p, INPUTS, q2=0.0)  # NSI: t-channel, kinetic mixing at q² = 0
        # NSI can cancel exactly (kinetic mixing in neutral matter): compare against the size of its terms
        nsi_scale = max(abs(x) for x in rc["gnu"]) * (abs(rc["gv"][0]) + 3 * abs(rc["gu"][0]) + 3 * abs(rc["gd"][0]))
        nsi_scale /= float(INPUTS["G_F"]) * float(p["m_Zp"]) ** 2
        for name, value in want.items():
            if name == "trident_ratio":  # the kernel interpolates the tabulated moments (test_trident.py: < 2e-4)
                np.testing.assert_allclose(got[name][i] - 1, value - 1, rtol=2e-4, atol=1e-12, err_msg=f"case {CASES[i]}")
                continue
            atol = 1e-13 * nsi_scale if name.startswith("eps_nsi") else 0.0
            np.testing.assert_allclose(got[name][i], value, rtol=2e-9, atol=atol, err_msg=f"{name} case {CASES[i]}")


def test_jit_vmap_grad_finite_over_mass_range():
    masses = np.concatenate(
        [np.logspace(-5, 3, 25), [2 * float(m) for m in INPUTS["m_lep"]], [float(INPUTS["zp_m_B"] - INPUTS["zp_m_K"])]]
    )
    points = [make_params("Lmu-Ltau", 1e-3, m, "loop", g_bs_L=1e-8) for m in masses]
    points += [make_params("B3-3Lmu", 1e-3, m, 1e-4, g_bs_L=1e-8, g_bs_R=1e-9) for m in masses]
    points += [make_params("Lmu-Ltau", 0.0, 0.1, 0.0)]  # everything off
    values, tangents = evaluate(points)
    for name in values:
        assert np.all(np.isfinite(values[name])), name
        assert np.all(np.isfinite(tangents[name])), name

    def total(x, p):
        return sum(zprime_observables(p | dict(zip(TANGENT_KEYS, x)), INPUTS).values())

    reverse = jax.jit(jax.vmap(lambda p: jax.grad(total)(jnp.stack([p[k] for k in TANGENT_KEYS]), p)))
    assert np.all(np.isfinite(reverse(stack(points))))


def test_derivatives_match_finite_differences():
    points = [
        make_params("Lmu-Ltau", 1e-3, 0.047, "loop", g_bs_L=1e-8),  # off the nodes of the tabulated curves
        make_params("B-3Lmu", 3e-4, 2.0, 1e-4, g_bs_L=1e-8),
    ]
    h = 1e-6
    shifted = []
    for p in points:
        x = np.array([float(p[k]) for k in TANGENT_KEYS])
        step = h * np.asarray(tangent_direction(x))
        shifted += [p | dict(zip(TANGENT_KEYS, x + sign * step)) for sign in (1, -1)]
    _, tangents = evaluate(points)
    values, _ = evaluate(shifted)
    for name, tangent in tangents.items():
        fd = (values[name][0::2] - values[name][1::2]) / (2 * h)
        if name.startswith("eps_nsi"):  # zero up to rounding for L_mu - L_tau: keep the B - 3 L_mu point
            tangent, fd = tangent[1:], fd[1:]
        np.testing.assert_allclose(tangent, fd, rtol=1e-5, atol=1e-8 * np.max(np.abs(tangent)) + 1e-300, err_msg=name)


# --- radiative muon mass (§4) --------------------------------------------------------------------------

# docs/physics/zprime.md §4 by quadrature of Feynman-parameter integrals (not the closed forms of the kernel): with
# D(x) = x m_t² + (1-x) M², f(M1) - f(M2) = ∫ ln[D1/D2] dx (f = ∫ ln D dx + 1), and with r = m_t²/M²
# M² I_F = ∫ x²/(x r + 1 - x) dx, M² I_φ = ∫ x(1-x)/(x r + 1 - x) dx; both checked against the closed forms
# of docs/physics/zprime.md §4 (agree to 1e-13 for 1e-4 <= r <= 100).
N_C, Q_F, Q_PHI = 3, 2 / 3, -5 / 3


def _quad(fn):
    from scipy.integrate import quad

    return quad(fn, 0.0, 1.0, epsabs=0.0, epsrel=1e-13, limit=200)[0]


def ref_muon_mass(coupling, m1_sq, m2_sq, m_t):
    """m_μ = N_c m_t (y_L y_R sin2θ) [f(M1) - f(M2)]/(32π²)."""
    df = _quad(lambda x: math.log((x * m_t**2 + (1 - x) * m1_sq) / (x * m_t**2 + (1 - x) * m2_sq)))
    return N_C * m_t * coupling * df / (32 * math.pi**2)


def ref_g_dipole(m_sq, m_t):
    """G(M) = -Q_F I_F + Q_φ I_φ [GeV⁻²]."""
    r = m_t**2 / m_sq
    i_f = _quad(lambda x: x * x / (x * r + 1 - x)) / m_sq
    i_phi = _quad(lambda x: x * (1 - x) / (x * r + 1 - x)) / m_sq
    return -Q_F * i_f + Q_PHI * i_phi


def ref_delta_a_mu(coupling, m1_sq, m2_sq, m_t, m_mu):
    """Δa_μ = N_c m_μ m_t (y_L y_R sin2θ) [G(M1) - G(M2)]/(16π²)."""
    return N_C * m_mu * m_t * coupling * (ref_g_dipole(m1_sq, m_t) - ref_g_dipole(m2_sq, m_t)) / (16 * math.pi**2)


def test_radiative_mass_and_dipole_absolute():
    m_t = float(INPUTS["m_up_loop"][2])
    # (y_L y_R sin2θ, M_1², M_2²): split spectra, M_1 < M_2, one state at m_t (series branch), a negative coupling
    cases = np.array(
        [
            (1.0, 1.3e6, 0.7e6),
            (0.37, 9.0e6, 1.0e6),
            (-2.1, 4.0e8, 3.9e8),
            (0.8, 0.5e6, 2.5e6),
            (1.5, m_t**2, 3 * m_t**2),
            (0.05, 1.02 * m_t**2, 0.5 * m_t**2),
        ]
    )
    k, m1_sq, m2_sq = cases.T
    m_mu = jax.jit(jax.vmap(radiative_mass.muon_mass, in_axes=(0, 0, 0, None)))(k, m1_sq, m2_sq, m_t)
    da = jax.jit(jax.vmap(radiative_mass.delta_a_mu, in_axes=(0, 0, 0, None, None)))(k, m1_sq, m2_sq, m_t, M_MU)
    want_m = [ref_muon_mass(*c, m_t) for c in cases]
    want_da = [ref_delta_a_mu(*c, m_t, M_MU) for c in cases]
    np.testing.assert_allclose(m_mu, want_m, rtol=1e-10, atol=0)
    np.testing.assert_allclose(da, want_da, rtol=1e-10, atol=0)
    # M >> m_t degenerate limit of docs/physics/zprime.md §4, Q_S = |Q_φ|: kernel approximation vs the formula
    m_sq = np.array([1e6, 1e8])
    q_s = abs(Q_PHI)
    want = 2 * M_MU**2 / m_sq * ((q_s - 1) * (np.log(m_sq / m_t**2) - 2.5) + q_s / 2)
    np.testing.assert_allclose(radiative_mass.delta_a_mu_degenerate_approx(m_sq, INPUTS), want, rtol=1e-12)


def test_radiative_mass_model():
    m_t = float(INPUTS["m_up_loop"][2])
    masses_sq = np.array([1000.0, 3000.0, 20000.0]) ** 2
    fn = jax.jit(jax.vmap(radiative_mass.delta_a_mu_all_radiative, in_axes=(0, 0, None)))
    # split spectrum against the plain formula
    got = fn(masses_sq, 0.3 * masses_sq, INPUTS)
    want = [ref.radiative_delta_a_mu(s, 0.3 * s, m_t, M_MU) for s in masses_sq]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # degenerate limit: continuous across the switch to G'/f', and the M >> m_t formula of docs/physics/zprime.md §4
    below, above = fn(masses_sq, 0.99e-5 * masses_sq, INPUTS), fn(masses_sq, 1.01e-5 * masses_sq, INPUTS)
    np.testing.assert_allclose(below, above, rtol=1e-9)
    degenerate = np.asarray(fn(masses_sq, 0.0 * masses_sq, INPUTS))
    approx = np.asarray(radiative_mass.delta_a_mu_degenerate_approx(masses_sq, INPUTS))
    rel = np.abs(degenerate / approx - 1)
    assert rel[-1] < 1e-3 and rel[0] > rel[1] > rel[2]  # corrections O(m_t²/M² ln) vanish for M >> m_t
    assert np.all(degenerate > 0)
    # couplings drop out: Δa_μ(y) with m_μ(y) radiative equals the ratio formula
    s, mu2, k = masses_sq[0], 0.3 * masses_sq[0], 0.7
    m_mu = radiative_mass.muon_mass(k, s + mu2, s - mu2, m_t)
    da = radiative_mass.delta_a_mu(k, s + mu2, s - mu2, m_t, m_mu) * (M_MU / m_mu) ** 2
    assert float(da) == pytest.approx(float(got[0]), rel=1e-12)
    # removable singularity at M = m_t: finite value and gradient
    near_top = jnp.array([m_t**2, m_t**2 * 1.0001, 4 * m_t**2])
    grads = jax.jit(jax.vmap(jax.grad(radiative_mass.delta_a_mu_all_radiative), in_axes=(0, 0, None)))(
        near_top, np.array([0.5, 0.5, 0.0]) * m_t**2, INPUTS
    )
    assert np.all(np.isfinite(grads))


# --- model layer and data ----------------------------------------------------------------------------


def field_anomalies(c):
    """The six anomaly sums from the SM field content (tests/reference/charges_anomalies.py), X_Q = X_U = X_D."""
    return charges_anomalies.anomaly_sums(c.q, c.q, c.q, c.L, c.E, c.N)


def test_anomaly_sums_match_field_content():
    # arbitrary (anomalous) charges, universal and per quark family: the kernel's sums (used to validate run-card
    # tables) against the independent ones, condition by condition
    rng = np.random.default_rng(3)
    for universal in (True, False):
        for _ in range(20):
            q = rng.integers(-4, 5, size=1 if universal else 3) / 3
            c = models.Charges(np.broadcast_to(q, (3,)).copy(), *rng.integers(-6, 7, size=(3, 3)).astype(float))
            want = field_anomalies(c)
            np.testing.assert_allclose(models.anomaly_sums(c), want, rtol=1e-12, atol=1e-12)


def test_benchmarks_and_catalog_models_are_anomaly_free():
    for name, c in models.BENCHMARKS.items():
        np.testing.assert_allclose(field_anomalies(c), 0.0, atol=1e-12, err_msg=name)
    from flavorscan.kernels import charges
    from flavorscan.scanner.models.zprime.card import resolve_charges

    cat = charges.catalog(models.CATALOG_MAX_CHARGE)
    for i, choices in enumerate(cat.muon_choices):
        if not choices:
            with pytest.raises(ValueError, match="condition 13"):
                resolve_charges(f"catalog:{i}")
            continue
        c = resolve_charges(f"catalog:{i}")
        np.testing.assert_allclose(field_anomalies(c), 0.0, atol=1e-9, err_msg=f"catalog:{i}")
        assert (c.L[1], c.E[1]) == choices[0]
        assert np.count_nonzero(c.L == c.L[1]) == 1 and np.count_nonzero(c.E == c.E[1]) == 1
        if cat.columns["vector"][i]:
            assert np.array_equal(c.L, c.E)


def test_model_errors_and_params():
    params = make_params({"q": 0, "L": [0, 1, -1], "E": [0, 1, -1], "N": [1, -1, 0]}, 1e-3, 0.01, "loop")
    assert set(params) == {"g_X", "m_Zp", "epsilon", "epsilon_loop", "X_q", "X_L", "X_E", "X_N", "g_bs_L", "g_bs_R"}
    assert params["epsilon_loop"] == 1.0 and params["X_q"].shape == (3,)
    bad = [
        (("B-3Lmu", 1e-3, 0.01, "loop"), "Lmu-Ltau"),
        (("nonsense", 1e-3, 0.01), "unknown model"),
        (("catalog:9999", 1e-3, 0.01), "out of range"),
        (({"q": 0, "L": [0, 1, -1], "E": [0, 1, 0], "N": [1, -1, 0]}, 1e-3, 0.01), "not anomaly free"),
        (({"q": 0, "L": [0, 1, -1], "E": [0, 1, -1]}, 1e-3, 0.01), "charges.N"),
        (({"q": 0, "L": [0, 1], "E": [0, 1, -1], "N": [1, -1, 0], "x": 1}, 1e-3, 0.01), "charges.x"),
        (("Lmu-Ltau", 1e-3, -1.0), "m_Zp"),
        (("Lmu-Ltau", 1e-3, 0.01, "tree"), "epsilon"),
    ]
    for args, message in bad:
        with pytest.raises(ValueError, match=message):
            make_params(*args)


def _zprime_file(measurements):
    import tomllib
    from importlib import resources

    path = resources.files("flavorscan.kernels") / "data" / "measurements" / measurements / "zprime.toml"
    with path.open("rb") as handle:
        return tomllib.load(handle)["constraint"]


def test_measurement_files():
    """Issue 15/16: every Z' entry has a structured source; approx entries say why; the default lists hold the
    limits the issue names (bound_babar_4mu and delta_n_eff in both sets, bound_na64mu in current)."""
    from flavorscan.scanner.likelihood import enabled_names, shipped_set
    from flavorscan.scanner.models import get

    names = {o.name for o in OBSERVABLES}
    spec = get("zprime")
    for measurements in constants.MEASUREMENT_SETS:
        for name, entry in _zprime_file(measurements).items():
            assert entry["observable"] in names, name
            source = entry["source"]
            assert isinstance(source, dict) and source["text"] and source.get("arxiv"), name
            assert bool(entry.get("approx")) == ("approx_reason" in entry), name
        available = {n: e for n, e in shipped_set(measurements)["constraint"].items()
                     if e["observable"] in names | {o.name for o in spec.parameters} and "zprime" in e.get("models", ("zprime",))}
        default = enabled_names({"enabled": "default", "disabled": []}, available, spec)
        assert {"bound_babar_4mu", "delta_n_eff", "trident_ratio", "delta_a_mu"} <= set(default), measurements
        assert "delta_a_e" not in default
        assert ("bound_na64mu" in default) == (measurements == "current")
        inputs = zprime_inputs(measurements)
        assert all(k in inputs for k in ("zp_Y_n", "zp_trident_log_moments", "zp_q2_ref", "zp_babar_4mu_m", "zp_neff_y"))
