"""Leptoquark semileptonic observables and bounds against independent references.

References used (never the kernel code itself): the plain-Python implementation in
tests/reference/lq_semileptonic_numpy.py, a tree-level matching re-derived here with explicit Dirac
matrices, exact SM limits, wilson 2.5.2 running matrices outside the tabulated range (numbers recorded
below), and the measurement-set data files' internal consistency.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernels.constants import base_inputs, measurement_set
from kernels.leptoquark import bctaunu, bounds, bsll, neutral
from kernels.leptoquark.couplings import f_r_hat
from tests.reference import lq_semileptonic_numpy as ref

MODULES = (
    (bsll, bsll.bsll_observables),
    (bctaunu, bctaunu.bctaunu_observables),
    (neutral, neutral.neutral_observables),
    (bounds, bounds.bound_observables),
)
MATRICES = ("fL", "fR", "yL", "yR")


def all_observables(params, inputs):
    out = {}
    for _, fn in MODULES:
        out.update(fn(params, inputs))
    return out


def random_point(rng, lo_mass=700.0, hi_mass=4000.0):
    """Complex couplings with log-uniform magnitudes in [1e-3, 1] and uniform phases; masses uniform."""
    params = {}
    for name in MATRICES:
        mag = 10.0 ** rng.uniform(-3.0, 0.0, (3, 3))
        params[name] = mag * np.exp(1j * rng.uniform(0.0, 2.0 * np.pi, (3, 3)))
    params["M_R2"] = rng.uniform(lo_mass, hi_mass)
    params["M_S1"] = rng.uniform(lo_mass, hi_mass)
    params["m0I0"] = 1e-6
    return params


def zero_point(m_r2=1500.0, m_s1=1200.0):
    params = {name: np.zeros((3, 3), complex) for name in MATRICES}
    params.update(M_R2=m_r2, M_S1=m_s1, m0I0=1e-6)
    return params


@pytest.fixture(scope="module", params=["paper2022", "current"])
def inputs(request):
    return base_inputs(request.param)


def test_names_are_declared_and_unique(inputs):
    """Every kernel returns exactly the names of its OBSERVABLES, names are unique and include the contract."""
    seen = []
    for module, fn in MODULES:
        out = fn(zero_point(), inputs)
        declared = [o.name for o in module.OBSERVABLES]
        assert sorted(out) == sorted(declared)
        seen += declared
    assert len(seen) == len(set(seen))
    contract = {
        "c9_ee", "c10_ee", "c9_mumu", "c10_mumu", "r_k", "r_kstar", "r_k_low", "r_kstar_low",
        "r_d", "r_dstar", "br_bc_taunu", "c_vl", "c_sl", "c_t", "c_vl_nue", "c_vl_numu",
        "eps_nsi_ee", "eps_nsi_mumu", "eps_nsi_tautau", "eps_nsi_emu", "eps_nsi_etau", "eps_nsi_mutau",
        "r_nunu_k", "br_kp_pinunu",
    }
    assert contract <= set(seen)
    assert all(n.startswith("bound_") for n in (o.name for o in bounds.OBSERVABLES))


def test_against_numpy_reference(inputs):
    """All observables agree with the independent plain-Python implementation on random complex points.

    Masses span 0.7-4 TeV so the running interpolation and both extrapolation branches are exercised.
    """
    rng = np.random.default_rng(20220221)
    jitted = jax.jit(all_observables)
    for _ in range(25):
        params = random_point(rng)
        got = jitted(params, inputs)
        want = ref.all_observables(params, inputs)
        assert set(got) == set(want)
        for name, value in want.items():
            np.testing.assert_allclose(float(got[name]), value, rtol=1e-10, atol=1e-14 * max(1.0, abs(value)),
                                       err_msg=name)


def test_zero_couplings_give_sm_exactly(inputs):
    """No leptoquark couplings: all WCs vanish and every ratio equals its SM value exactly."""
    out = all_observables(zero_point(), inputs)
    for name in ("c9_ee", "c10_ee", "c9_mumu", "c9_emu", "c_vl", "c_sl", "c_t", "c_vl_nue", "c_t_numu",
                 "eps_nsi_ee", "eps_nsi_emu", "bound_kl_ee", "bound_kk_mixing", "bound_lhc_yr_ctau"):
        assert float(out[name]) == 0.0
    for name, (r_sm, _, _) in bsll.LFU_RATIO_FITS.items():
        assert float(out[name]) == r_sm
    assert float(out["r_d"]) == 0.2950
    assert float(out["r_dstar"]) == 0.2451
    assert float(out["br_bc_taunu"]) == 0.0236
    assert float(out["r_nunu_k"]) == 1.0
    assert float(out["bound_mass_r2"]) == 1500.0 and float(out["bound_mass_s1"]) == 1200.0
    # SM K+ -> pi+ nu nu with the approximate inputs: within the SM band (8.4 +- 1.0)e-11 of inputs.md.
    assert 7.4e-11 < float(out["br_kp_pinunu"]) < 9.4e-11


def test_ratio_functions_sm_limit():
    """R_D/R_D^SM = R_D*/SM = BR(Bc)/SM = 1 at zero NP, for any C_SR argument equal to zero."""
    zero = jnp.zeros(3, complex)
    assert float(bctaunu.r_d_ratio(zero, zero, zero)) == 1.0
    assert float(bctaunu.r_dstar_ratio(zero, zero, zero)) == 1.0
    assert float(bctaunu.bc_taunu_ratio(zero, zero)) == 1.0
    assert float(neutral.r_nunu(jnp.zeros((3, 3), complex))) == 1.0


def _dirac():
    """Dirac matrices (Dirac representation), metric diag(+,-,-,-)."""
    s = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    one, zero = np.eye(2), np.zeros((2, 2))
    g0 = np.block([[one, zero], [zero, -one]]).astype(complex)
    gs = [np.block([[zero, si], [-si, zero]]).astype(complex) for si in s]
    g5 = 1j * g0 @ gs[0] @ gs[1] @ gs[2]
    return [g0] + gs, g5, np.diag([1.0, -1.0, -1.0, -1.0])


def test_fierz_identity_used_in_the_matching():
    """(u1-bar P_R u2)(u3-bar P_L u4) = +1/2 (u1-bar gamma^mu P_L u4)(u3-bar gamma_mu P_R u2) for c-number spinors.

    Quantum fields anticommute, which adds a minus sign on reordering: -1/2 in the operator identity.
    """
    gam, g5, metric = _dirac()
    pl, pr = (np.eye(4) - g5) / 2, (np.eye(4) + g5) / 2
    rng = np.random.default_rng(1)
    u = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))

    def bar(x):
        return x.conj() @ gam[0]

    lhs = (bar(u[0]) @ pr @ u[1]) * (bar(u[2]) @ pl @ u[3])
    rhs = 0.5 * sum(
        metric[m, m] * (bar(u[0]) @ gam[m] @ pl @ u[3]) * (bar(u[2]) @ gam[m] @ pr @ u[1]) for m in range(4)
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
    np.testing.assert_allclose(np.eye(4) + g5, 2 * pr)


def test_r2_c9_normalisation_from_independent_matching(inputs):
    """C9 = C10 from a separate tree-level matching of R^{2/3} exchange.

    Derivation. L contains f-hat_{q l} (d-bar_q P_R l) R + h.c. with R = R^{2/3}. Write L ⊃ O R + O^dagger R^dagger,
    O = sum f-hat_{q l} d-bar_q P_R l. The equation of motion of the heavy R gives R = O^dagger/M^2 and
    L_eff = O O^dagger / M^2 ⊃ f-hat_{s l} f-hat*_{b l} (s-bar P_R l)(l-bar P_L b) / M^2.
    Fierz for anticommuting fields (checked numerically above):
        (s-bar P_R l)(l-bar P_L b) = -1/2 (s-bar gamma^mu P_L b)(l-bar gamma_mu P_R l),
    so L_eff = K (s-bar gamma^mu P_L b)(l-bar gamma_mu P_R l) with K = -f-hat_{s l} f-hat*_{b l}/(2 M^2).
    The flavio basis: L_eff = -H_eff = (4 G_F/sqrt2) lambda_t (alpha/4pi) [C9 O9 + C10 O10] with
    O9 + O10 = (s-bar gamma P_L b)(l-bar gamma (1 + gamma_5) l) = 2 (s-bar gamma P_L b)(l-bar gamma P_R l) for C9 = C10.
    Hence C9 = C10 = K / (2 (4 G_F/sqrt2) lambda_t alpha/(4 pi)); here evaluated with G_F (the kernel uses
    v^2 = 1/(sqrt2 G_F) with v = 246.22 GeV, equal to 3e-6).
    """
    rng = np.random.default_rng(7)
    for _ in range(5):
        params = random_point(rng)
        f_hat = np.asarray(f_r_hat(params["fR"], inputs["ckm"]))
        ckm = inputs["ckm"]
        lambda_t = ckm[2, 2] * np.conj(ckm[2, 1])
        prefactor = 2.0 * (4.0 * inputs["G_F"] / math.sqrt(2.0)) * lambda_t * inputs["alpha_bsll"] / (4.0 * math.pi)
        out = bsll.bsll_observables(params, inputs)
        for name, l in (("ee", 0), ("mumu", 1)):
            k = -f_hat[1, l] * np.conj(f_hat[2, l]) / (2.0 * params["M_R2"] ** 2)
            expected = k / prefactor
            got = complex(out[f"c9_{name}"]) + 1j * complex(out[f"c9_{name}_im"])
            np.testing.assert_allclose(got, expected, rtol=1e-5)
            assert float(out[f"c10_{name}"]) == float(out[f"c9_{name}"])


def test_letter_c9_normalisation_differs():
    """TX-I: C9^ee = +0.686 here; the letter's -1.39 has twice the size, the opposite sign (leptoquark.md sec. 7)."""
    inputs = base_inputs("paper2022")
    out = bsll.bsll_observables(tx1(), inputs)
    assert out["c9_ee"] == pytest.approx(0.686, abs=0.002)
    assert abs(float(out["c9_ee_im"])) < 0.02


def test_running_reproduces_anchor_matrices():
    """The ln-interpolated running matrix equals the three tabulated wilson matrices at 1, 1.5, 2 TeV."""
    for scale, matrix in zip(bctaunu.RUNNING_SCALES, bctaunu.RUNNING_MATRICES):
        np.testing.assert_allclose(np.asarray(bctaunu.running_matrix(scale)), matrix, rtol=1e-13, atol=1e-15)
    midpoint = math.sqrt(1000.0 * 1500.0)
    np.testing.assert_allclose(
        np.asarray(bctaunu.running_matrix(midpoint)),
        0.5 * (bctaunu.RUNNING_MATRICES[0] + bctaunu.RUNNING_MATRICES[1]),
        rtol=1e-12,
    )


def test_running_extrapolation_against_wilson():
    """Outside [1, 2] TeV the linear-in-ln extension stays close to wilson 2.5.2 (one-loop SMEFT -> WET).

    Reference numbers: wilson 2.5.2, lequ1_3332 / lequ3_3332 at Lambda run and matched to the WET flavio basis
    at 4.8 GeV, normalised to the tree-level matching (recorded in the session that wrote this test; the same
    computation runs live in tests/test_flavio_crosscheck.py for the anchors).
    Large entries within 0.5%, the small C_SL -> C_T entry within 3e-4 absolute.
    """
    wilson_matrices = {
        700.0: [[1.56901, -0.22984], [-0.00333, 0.87681]],
        3000.0: [[1.70326, -0.39362], [-0.00557, 0.86055]],
        5000.0: [[1.74898, -0.45357], [-0.00637, 0.85570]],
    }
    for scale, matrix in wilson_matrices.items():
        got = np.asarray(bctaunu.running_matrix(scale))
        np.testing.assert_allclose(got[0], matrix[0], rtol=5e-3)
        np.testing.assert_allclose(got[1, 1], matrix[1][1], rtol=5e-3)
        assert abs(got[1, 0] - matrix[1][0]) < 3e-4


def test_nsi_sign_convention():
    """R2 gives positive eps_ee, S1 negative (the corrected sign of the letter's Eq. 6); equal sizes cancel."""
    inputs = base_inputs("paper2022")
    pref = 3.0 / (4.0 * math.sqrt(2.0) * inputs["G_F"])
    r2 = zero_point(m_r2=1000.0, m_s1=2000.0)
    r2["fL"][0, 0] = 0.3
    assert float(neutral.neutral_observables(r2, inputs)["eps_nsi_ee"]) == pytest.approx(pref * 0.09 / 1000.0**2)
    s1 = zero_point(m_r2=1000.0, m_s1=2000.0)
    # y^L in the u row only: y-hat_de = -V_ud y^L_ue, so |y-hat_de|^2 = |V_ud|^2 |y|^2.
    s1["yL"][0, 0] = 0.3
    eps_s1 = float(neutral.neutral_observables(s1, inputs)["eps_nsi_ee"])
    assert eps_s1 == pytest.approx(-pref * abs(inputs["ckm"][0, 0]) ** 2 * 0.09 / 2000.0**2)
    both = zero_point(m_r2=1000.0, m_s1=2000.0)
    both["fL"][0, 0] = 0.3
    both["yL"][0, 0] = 0.6 / abs(inputs["ckm"][0, 0])
    assert abs(float(neutral.neutral_observables(both, inputs)["eps_nsi_ee"])) < 1e-12 * pref


def tx1():
    return {
        "fR": np.array([[0, 0, 0], [0.13, 0, -0.027], [0.036, 0.01, 0]], complex),
        "fL": np.array([[0, 0, 1.0], [0, 0, 6.36e-4], [0, 0, -5.32e-6]], complex),
        "yR": np.array([[0, 0, 0], [-0.3, 0, 1.0], [0, 0.0025, 0]], complex),
        "yL": np.array([[0, 0, 0], [0.02, 0, 0], [0, 1.2, 0]], complex),
        "M_R2": 1500.0,
        "M_S1": 1200.0,
        "m0I0": 1.73e-6,
    }


def _real_params(base):
    """Split complex matrices into real leaves so jax.grad can differentiate with respect to them."""
    flat = {f"{k}_re": np.real(base[k]) for k in MATRICES}
    flat.update({f"{k}_im": np.imag(base[k]) for k in MATRICES})
    flat.update(M_R2=base["M_R2"], M_S1=base["M_S1"])
    return flat


def _from_real(flat):
    params = {k: flat[f"{k}_re"] + 1j * flat[f"{k}_im"] for k in MATRICES}
    params.update(M_R2=flat["M_R2"], M_S1=flat["M_S1"], m0I0=1e-6)
    return params


@pytest.mark.parametrize("point", ["zero", "random", "tx1"])
def test_jit_vmap_grad_finite(inputs, point):
    """Every observable is finite under jit and vmap, and its gradient is finite, including at zero couplings."""
    rng = np.random.default_rng(3)
    base = {"zero": zero_point(), "random": random_point(rng), "tx1": tx1()}[point]
    flat = _real_params(base)
    names = sorted(all_observables(_from_real(flat), inputs))
    # A NaN or inf in any single derivative survives a generic weighted sum, so one reverse pass suffices.
    weights = dict(zip(names, rng.uniform(0.5, 1.5, len(names))))

    def weighted_sum(p):
        out = all_observables(_from_real(p), inputs)
        return sum(weights[n] * out[n] for n in names)

    grad = jax.jit(jax.grad(weighted_sum))(flat)
    for leaf in jax.tree_util.tree_leaves(grad):
        assert np.all(np.isfinite(np.asarray(leaf)))
    batch = jax.tree_util.tree_map(lambda x: np.stack([x, 0.5 * x + (x == 0) * 1e-3]), flat)
    batch["M_R2"] = np.array([1500.0, 2500.0])
    batch["M_S1"] = np.array([1200.0, 800.0])
    batched = jax.jit(jax.vmap(lambda p: all_observables(_from_real(p), inputs)))(batch)
    single = jax.jit(lambda p: all_observables(_from_real(p), inputs))(jax.tree_util.tree_map(lambda x: x[1], batch))
    for name in names:
        assert np.all(np.isfinite(np.asarray(batched[name]))), name
        np.testing.assert_allclose(np.asarray(batched[name])[1], float(single[name]), rtol=1e-12, atol=1e-300)


OTHER_HELPERS = {"br_mu_e_gamma", "br_tau_e_gamma", "br_tau_mu_gamma", "cr_mu_e_au", "dgamma_z_tautau_rel"}


@pytest.mark.parametrize("name", ["paper2022", "current"])
def test_measurement_data_consistent(name):
    """leptoquark.toml: every constraint names a known observable, with the fields its kind needs."""
    data = measurement_set(name)
    ours = {o.name for module, _ in MODULES for o in module.OBSERVABLES}
    required = {
        "gaussian": {"value"},
        "upper_limit": {"value"},
        "lower_limit": {"value"},
        "range": {"lo", "hi"},
        "mass_dependent_upper_limit": {"mass", "masses", "limits"},
    }
    bound_names = {o.name for o in bounds.OBSERVABLES}
    constrained = set()
    for key, c in data["constraint"].items():
        if c["observable"] not in ours | OTHER_HELPERS:
            continue  # common.toml: neutrino, g-2, trident (other kernels)
        constrained.add(c["observable"])
        assert required[c["kind"]] <= set(c), key
        assert c.get("source"), key
        if c["kind"] == "gaussian":
            assert "sigma" in c or {"sigma_lo", "sigma_hi"} <= set(c), key
        if "mass_scaling" in c:
            assert c["mass_scaling"]["mass"] in ("M_R2", "M_S1") and c["mass_scaling"]["power"] in (1, 2)
        if c["kind"] == "mass_dependent_upper_limit":
            assert c["mass"] in ("M_R2", "M_S1") and np.all(np.diff(c["masses"]) > 0)
            assert len(c["masses"]) == len(c["limits"]) >= 2
            assert c.get("approx") is True
    assert bound_names <= constrained, bound_names - constrained
    assert OTHER_HELPERS <= constrained
    (corr,) = data["correlation"]
    assert corr["observables"] == ["r_d", "r_dstar"] and -1 < corr["rho"] < 0
    expected_rho = {"paper2022": -0.38, "current": -0.39}[name]
    assert corr["rho"] == expected_rho
    if name == "current":
        assert {"r_k", "r_kstar", "r_k_low", "r_kstar_low", "r_nunu_k", "br_kp_pinunu"} <= constrained
        assert data["constraint"]["r_nunu_k"]["prediction"] == {"offset": 0.0, "scale": 4.71e-6}
    else:
        assert "c9_ee" in constrained


def test_bound_mass_scaling_example():
    """A point at the letter's K_L -> e e limit for M_R2 = 2 TeV: |fhat_de fhat*_se| = 2.0e-3 x 4."""
    inputs = base_inputs("paper2022")
    params = zero_point(m_r2=2000.0)
    # Put fhat directly: f^R = V fhat (V unitary) gives f-hat^R = V^dagger f^R = fhat.
    fhat = np.zeros((3, 3), complex)
    fhat[0, 0], fhat[1, 0] = 0.1, 0.08j
    params["fR"] = inputs["ckm"] @ fhat
    out = bounds.bound_observables(params, inputs)
    assert float(out["bound_kl_ee"]) == pytest.approx(0.008, rel=1e-12)
    limit = measurement_set("paper2022")["constraint"]["bound_kl_ee"]
    assert limit["value"] * (params["M_R2"] / 1000.0) ** limit["mass_scaling"]["power"] == pytest.approx(0.008)


@pytest.mark.parametrize("name", ["paper2022", "current"])
def test_s1_table_intervals_have_equal_rates_at_both_ends(name):
    """The interfering S1 intervals bound a rate: both endpoints must give (nearly) the same BR.

    With the ranges of the data files (the letter's intervals mirrored, see leptoquark.toml) BR(K+ -> pi+ nu nu)
    and R_nunu at the two ends agree within 15%; the letter's unmirrored ends differ by a factor 8-9.
    """
    inputs = base_inputs(name)
    ckm = inputs["ckm"]
    data = measurement_set(name)["constraint"]
    cases = (("bound_kpinunu_ee", (0, 0), (1, 0), "br_kp_pinunu"), ("bound_bknunu_mumu", (2, 1), (1, 1), "r_nunu_k"))
    for constraint, first, second, observable in cases:
        c = data[constraint]
        m_s1 = 1300.0
        scale = (m_s1 / 1000.0) ** c["mass_scaling"]["power"]
        rates = []
        for x in (c["lo"] * scale, c["hi"] * scale):
            y_hat = np.zeros((3, 3), complex)
            y_hat[first] = math.sqrt(abs(x))
            y_hat[second] = math.copysign(math.sqrt(abs(x)), x)
            params = zero_point(m_s1=m_s1)
            params["yL"] = -np.conj(ckm) @ y_hat  # inverts y-hat = -V^T y^L for unitary V
            out = all_observables(params, inputs)
            assert float(out[constraint]) == pytest.approx(x, rel=1e-10)
            rates.append(float(out[observable]))
        assert rates[0] == pytest.approx(rates[1], rel=0.15), (constraint, rates)
