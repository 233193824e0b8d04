"""Charged LFV beyond l -> l' gamma (kernels/leptoquark/lfv.py) against independent references.

References (never the kernel): flavio 2.7.1's BR(mu->eee), BR(tau->mumumu), BR(tau->eee), BR(tau->phimu),
BR(tau->rhomu), BR(tau->pimu) for random WET coefficients (the rate formulas); wilson's tree-level SMEFT -> WET
matching of the full S1 and R2 Warsaw-basis exchange (tests/reference/lq_smeft_wilson.py, r2_warsaw_full,
s1_warsaw_full; the Fierz and charge-conjugation identities there are checked numerically in
tests/kernels/test_lq_semileptonic.py) for the tau -> l q q-bar coefficients; flavio's a_mu for the sign and
normalisation of the dipole mapping; the exact one-loop photon vertex (tests/reference/lq_electroweak_numpy.py) for
the charge-radius penguin.
"""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np
import pytest

from flavorscan.kernels.constants import base_inputs
from flavorscan.kernels.leptoquark import dipoles, lfv
from tests.kernels import lq_points
from tests.kernels.lq_points import MATRICES
from tests.reference import lq_electroweak_numpy as ew

E, MU, TAU = 0, 1, 2
INPUTS = base_inputs("paper2022")


def random_point(rng, m_r2=1300.0, m_s1=1700.0):
    """Complex normal couplings with E|z|^2 = 0.25 (lq_points.random_point)."""
    return lq_points.random_point(rng, m_r2, m_s1, scale=0.5 / math.sqrt(2))


@pytest.fixture(scope="module")
def fw():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import flavio
        import wilson
        from flavio.physics.running import running
    return flavio, wilson, running, flavio.default_parameters.get_central_all()


def _cn(rng, size=1e-9):
    return size * complex(rng.normal(), rng.normal())


def test_three_lepton_rates_against_flavio(fw):
    """Gamma(l -> 3 l') for random vector and dipole coefficients: tau decays exactly (flavio's formula, BR with the
    tau lifetime), mu -> 3e to 0.5% (flavio normalises to the tree-level muon width G_F^2 m^5/(192 pi^3), which is
    0.44% above 1/tau_mu; the kernel divides by the measured width)."""
    flavio, wilson, running, par = fw
    rng = np.random.default_rng(5)
    cases = (("mu", "e", "BR(mu->eee)", 1.0, "WET-4", par["tau_mu"], "eemue", "mueee"),
             ("tau", "mu", "BR(tau->mumumu)", 1.8, "WET-4", par["tau_tau"], "mumutaumu", "taumumumu"),
             ("tau", "e", "BR(tau->eee)", 1.8, "WET-4", par["tau_tau"], "eetaue", "taueee"))
    for heavy, light, observable, scale, eft, lifetime, pair, pair_lr in cases:
        for _ in range(3):
            c = {f"CVLL_{pair}": _cn(rng), f"CVLR_{pair_lr}": _cn(rng), f"CVLR_{pair}": _cn(rng),
                 f"CVRR_{pair}": _cn(rng), f"Cgamma_{heavy}{light}": _cn(rng, 1e-12), f"Cgamma_{light}{heavy}": _cn(rng, 1e-12)}
            w = wilson.Wilson(c, scale=scale, eft=eft, basis="flavio")
            e = math.sqrt(4 * math.pi * running.get_alpha_e(par, scale, nf_out=4))
            m = par[f"m_{heavy}"]
            coefficients = {"CVLL": c[f"CVLL_{pair}"], "CVLR": c[f"CVLR_{pair_lr}"], "CVRL": c[f"CVLR_{pair}"],
                            "CVRR": c[f"CVRR_{pair}"], "C7": e / m * c[f"Cgamma_{heavy}{light}"],
                            "C7p": e / m * np.conj(c[f"Cgamma_{light}{heavy}"])}
            ours = float(lfv.gamma_three_leptons(m, par[f"m_{light}"], coefficients)) * lifetime
            assert ours == pytest.approx(flavio.np_prediction(observable, w), rel=5e-3 if heavy == "mu" else 1e-10)


def test_tau_to_lepton_meson_rates_against_flavio(fw):
    """Gamma(tau -> mu V) (phi, rho0) and Gamma(tau -> mu pi0) for random vector, tensor, scalar and dipole
    coefficients: each class alone to 1e-10 (the formulas are flavio's), all together to 2e-2 (flavio's wilson
    object mixes classes slightly at the input scale)."""
    flavio, wilson, running, par = fw
    rng = np.random.default_rng(11)
    e = math.sqrt(4 * math.pi * running.get_alpha_e(par, 1.8, nf_out=3))
    f_perp = {v: running.get_f_perp(par, v, 1.8) for v in ("phi", "rho0")}
    classes = ("CVLL_taumu", "CVLR_taumu", "CVLR_q", "CVRR_taumu", "CTRR_mutau", "CTRR_taumu", "CSRR_taumu",
               "CSRR_mutau", "gamma")
    for chosen in [[k] for k in classes] + [list(classes)]:
        c = {}
        for q in "uds":
            names = {"CVLL_taumu": f"CVLL_taumu{q}{q}", "CVLR_taumu": f"CVLR_taumu{q}{q}", "CVLR_q": f"CVLR_{q}{q}taumu",
                     "CVRR_taumu": f"CVRR_taumu{q}{q}", "CTRR_mutau": f"CTRR_mutau{q}{q}", "CTRR_taumu": f"CTRR_taumu{q}{q}",
                     "CSRR_taumu": f"CSRR_taumu{q}{q}", "CSRR_mutau": f"CSRR_mutau{q}{q}"}
            for short, name in names.items():
                c[name] = _cn(rng) if short in chosen else 0.0
        c["Cgamma_taumu"] = _cn(rng, 1e-11) if "gamma" in chosen else 0.0
        c["Cgamma_mutau"] = _cn(rng, 1e-11) if "gamma" in chosen else 0.0
        w = wilson.Wilson({k: v for k, v in c.items() if v != 0}, scale=1.8, eft="WET-4", basis="flavio")
        semi = {q: [c[f"CVLL_taumu{q}{q}"], c[f"CVLR_taumu{q}{q}"], c[f"CVLR_{q}{q}taumu"], c[f"CVRR_taumu{q}{q}"],
                    c[f"CTRR_mutau{q}{q}"], c[f"CTRR_taumu{q}{q}"]] for q in "uds"}
        rel = 2e-2 if len(chosen) > 1 else 1e-10
        for meson, quarks, name in (("phi", {"s": 1.0}, "BR(tau->phimu)"),
                                    ("rho0", {"u": 1 / math.sqrt(2), "d": -1 / math.sqrt(2)}, "BR(tau->rhomu)")):
            ours = float(lfv.gamma_tau_vector(semi, quarks, par["m_tau"], par["m_mu"], par[f"m_{meson}"],
                                              par[f"f_{meson}"], f_perp[meson], e, c["Cgamma_taumu"],
                                              c["Cgamma_mutau"])) * par["tau_tau"]
            theirs = flavio.np_prediction(name, w)
            if theirs > 0:
                assert ours == pytest.approx(theirs, rel=rel), (chosen, name)
        vectors = {q: (semi[q][0], semi[q][3], semi[q][1], semi[q][2]) for q in "ud"}
        scalars = {q: (c[f"CSRR_taumu{q}{q}"], 0.0, np.conj(c[f"CSRR_mutau{q}{q}"]), 0.0) for q in "ud"}
        ours = float(lfv.gamma_tau_pion(vectors, scalars, par["m_tau"], par["m_mu"], par["m_pi0"], par["f_pi0"],
                                        par["m_u"], par["m_d"])) * par["tau_tau"]
        theirs = flavio.np_prediction("BR(tau->pimu)", w)
        if theirs > 0:
            assert ours == pytest.approx(theirs, rel=1e-8), (chosen, "pi")


_SEMI_KEYS = {  # kernel tree entry -> flavio WET name (tau -> mu)
    "CVLL": "CVLL_taumu{q}", "CVLR": "CVLR_taumu{q}", "CVRL": "CVLR_{q}taumu", "CVRR": "CVRR_taumu{q}",
    "CSRR": "CSRR_taumu{q}", "CTRR": "CTRR_taumu{q}", "CSRR_ltau": "CSRR_mutau{q}", "CTRR_ltau": "CTRR_mutau{q}",
}


@pytest.mark.parametrize("lq", ["R2", "S1"])
def test_tree_level_matching_against_wilson(fw, lq):
    """tau -> mu q q-bar coefficients (q = u, d, s; vector, scalar, tensor) from random complex couplings: the kernel
    against wilson's tree-level matching of the full Warsaw-basis exchange at M_Z (no running), to 1e-6 of the
    largest coefficient."""
    _, wilson, _, _ = fw
    from tests.reference import lq_smeft_wilson as smeft

    inputs = smeft.kernel_inputs_with_wilson_parameters(INPUTS)
    rng = np.random.default_rng(23 if lq == "R2" else 29)
    params = random_point(rng)
    if lq == "R2":
        params["yL"][:] = 0.0
        params["yR"][:] = 0.0
        tensors = smeft.r2_warsaw_full(params["fL"], params["fR"], params["M_R2"], inputs["ckm"])
    else:
        params["fL"][:] = 0.0
        params["fR"][:] = 0.0
        tensors = smeft.s1_warsaw_full(params["yL"], params["yR"], params["M_S1"], inputs["ckm"])
    w = wilson.Wilson(smeft.to_wcxf(tensors, smeft.EPS), scale=smeft.M_Z, eft="SMEFT", basis="Warsaw")
    wet = {k: v / smeft.EPS for k, v in w.match_run(smeft.M_Z, "WET", "flavio").dict.items()}
    tree = lfv.tree_tau_quark_coefficients(params, inputs, TAU, MU)
    scale = max(abs(complex(v)) for q in tree.values() for v in q.values())
    assert scale > 1e-8
    for q in "uds":
        for key, name in _SEMI_KEYS.items():
            got = complex(tree[q][key])
            want = complex(wet.get(name.format(q=2 * q), 0.0))
            assert abs(got - want) < 1e-6 * scale, (lq, q, key, got, want)


def test_dipole_mapping_against_flavio_a_mu(fw):
    """Cgamma = (e/2) sigma_R: the kernel's diagonal dipole in flavio's C7_mumu normalisation
    ((4 G_F/sqrt2) (e/16 pi^2) m_mu mu-bar_L sigma mu_R F) gives flavio's a_mu shift = the kernel's Delta a_mu, sign
    included; the LFV coefficients use the same mapping off the diagonal."""
    flavio, wilson, _, par = fw
    rng = np.random.default_rng(2)
    params = random_point(rng)
    sigma_l, sigma_r = dipoles.total_dipole_coefficients(params, INPUTS)
    e = math.sqrt(4 * math.pi * float(INPUTS["alpha_dipole"]))
    m_mu = par["m_mu"]
    c = e / 2.0 * complex(sigma_r[MU, MU])
    c7 = c / (4 * par["GF"] / math.sqrt(2) * e / (16 * math.pi**2) * m_mu)
    w = wilson.Wilson({"C7_mumu": c7}, scale=1.0, eft="WET-3", basis="flavio")
    shift = flavio.np_prediction("a_mu", w) - flavio.sm_prediction("a_mu")
    delta = float(dipoles.dipole_observables(params, INPUTS)["delta_a_mu"])
    assert shift == pytest.approx(delta * (m_mu / float(INPUTS["m_lep"][MU])) ** 2, rel=1e-6)
    coefficients = lfv.lfv_coefficients(params, INPUTS, MU, E)
    assert complex(coefficients["Cgamma_ij"]) == pytest.approx(e / 2 * complex(sigma_r[MU, E]), rel=1e-12)


def test_photon_penguin_against_exact_vertex():
    """K_{L,R} of tau -> mu, tau -> e at q = m_tau (light-quark thresholds included; leptoquarks at 1-1.2 TeV) and of
    mu -> e at q = m_mu (leptoquarks at 150-180 GeV, so that q^2/M^2 stays above the reference's numerical floor)
    against the exact one-loop photon vertex integrated numerically: tau decays to 1e-3, mu -> e to 5e-2 (observed
    3%: the s quark, m_s ~ m_mu, sits at the light-quark threshold, where the composite of the two asymptotic forms of
    zdecay.py is least accurate; for quarks that light at q ~ m_mu the perturbative loop is only a logarithmic
    estimate anyway). The reference cancels O(1) terms down to O(q^2/M^2), which is why mu -> e is tested with light
    leptoquarks (at 400 GeV its own error is already ~10%)."""
    m_lep = np.asarray(INPUTS["m_lep"])
    for (initial, final), masses in (((TAU, MU), (1000.0, 1200.0)), ((TAU, E), (1000.0, 1200.0)),
                                     ((MU, E), (150.0, 180.0))):
        params = random_point(np.random.default_rng(9), m_r2=masses[0], m_s1=masses[1])
        k_l, k_r = lfv.photon_penguin(params, INPUTS, m_lep[initial])
        want_l, want_r = ew.photon_penguin(params, INPUTS, float(m_lep[initial]), initial, final)
        rel = 1e-3 if initial == TAU else 5e-2
        assert complex(k_l[final, initial]) == pytest.approx(want_l, rel=rel)
        assert complex(k_r[final, initial]) == pytest.approx(want_r, rel=rel)


def test_zero_couplings_and_finite_gradients():
    """No couplings: every rate 0; rates and their gradients finite at a random point and at zero couplings."""
    zero = {k: np.zeros((3, 3), complex) for k in MATRICES}
    zero.update(M_R2=1000.0, M_S1=1000.0, m0I0=1e-6)
    assert all(float(v) == 0.0 for v in lfv.lfv_observables(zero, INPUTS).values())
    rng = np.random.default_rng(4)
    base = random_point(rng)

    def total(flat):
        params = {k: flat[k][0] + 1j * flat[k][1] for k in MATRICES}
        params.update(M_R2=flat["M"][0], M_S1=flat["M"][1], m0I0=1e-6)
        out = lfv.lfv_observables(params, INPUTS)
        return sum(v * 1e8 for v in out.values())

    for params in (base, zero):
        flat = {k: np.stack([np.real(params[k]), np.imag(params[k])]) for k in MATRICES}
        flat["M"] = np.array([params["M_R2"], params["M_S1"]])
        grad = jax.jit(jax.grad(total))(flat)
        assert all(np.all(np.isfinite(np.asarray(g))) for g in jax.tree_util.tree_leaves(grad))
