"""Report section 8.5: the leptoquark observables that flavio also computes, on random points, against flavio 2.7.1
fed by wilson 2.5.2.

Independent chain: the tree-level SMEFT matching of R2 and S1 written from the Lagrangian without the kernels
(tests/reference/lq_smeft_wilson.py, every Warsaw class), each leptoquark at its own mass, run by wilson to the WET
at 4.8 GeV (b decays) and to the WET-3 at 2 GeV (K and pi decays), linearised as that module explains, and
flavio's new-physics predictions divided by its SM predictions. Delta F = 2 is a one-loop effect (not in the
tree-level matching): its box coefficient comes from the quadrature reference tests/reference/lq_mixing_numpy.py,
run at LO to m_t and handed to flavio there. flavorscan's side is the kernels with wilson's CKM, G_F and v
(the two normalisations coincide), the same ratio to its own SM limit (the point with all couplings zero).

Not in the table: the Z and W vertices (flavio's Z-pole observables take SMEFT coefficients at m_Z, which the
tree-level matching does not produce: the model's effect is a loop; checked against a numerical one-loop
integration in tests/kernels/test_lq_electroweak.py), lepton-flavour violation (loop level; flavio's rate formulas
are checked in tests/kernels/test_lq_lfv.py), Q_W(Cs) (tests/kernels/test_lq_first_generation.py).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import flavorscan.kernels  # noqa: F401  (float64)
import jax

from flavorscan.kernels.constants import base_inputs
from flavorscan.kernels.leptoquark import leptoquark_observables

from .report import fmt, table

SEED = 2026
N_POINTS = 3
COUPLING_SCALE = 0.05
M_T = 172.5
MATRICES = ("fL", "fR", "yL", "yR")

B_DECAYS = (
    # (flavorscan observable, flavio observable or (observable, q2min, q2max), how to compare)
    ("r_d", "Rtaul(B->Dlnu)", "ratio"),
    ("r_dstar", "Rtaul(B->D*lnu)", "ratio"),
    ("br_bc_taunu", "BR(Bc->taunu)", "ratio"),
    ("br_bs_mumu", "BR(Bs->mumu)", "ratio"),
    ("br_bs_ee", "BR(Bs->ee)", "ratio"),
    ("r_k", ("<Rmue>(B+->Kll)", 1.1, 6.0), "value"),
    ("r_kstar", ("<Rmue>(B0->K*ll)", 1.1, 6.0), "value"),
    ("r_nunu_k", "BR(B+->Knunu)", "ratio"),
    ("r_nunu_kstar", "BR(B0->K*nunu)", "ratio"),
)
LIGHT_DECAYS = (
    ("br_kp_pinunu", "BR(K+->pinunu)", "value"),
    ("br_kl_pinunu", "BR(KL->pinunu)", "value"),
    ("r_k_e_mu", "Remu(K+->lnu)", "ratio"),
    ("r_pi_e_mu", "pion", "ratio"),
)
MIXING = (
    ("r_mix_bs", "DeltaM_s", "CVLL_bsbs", "bs"),
    ("r_mix_bd", "DeltaM_d", "CVLL_bdbd", "bd"),
    ("eps_k_np", "eps_K", "CVLL_sdsd", "sd"),
    ("x12_d_np", "x12_D", "CVLL_ucuc", "cu"),
)


def _alpha_s(mu):
    """One-loop n_f = 6 from alpha_s(m_t) = 0.10798 (as tests/kernels/test_lq_mixing.py)."""
    return 1.0 / (1.0 / 0.10798 + 7.0 / (2.0 * math.pi) * math.log(mu / M_T))


def wcxf_sd_nunu(wet: dict) -> dict:
    """wilson 2.5.2 returns CL_sd<a><b> as the coefficient of (d-bar s)(nu_a-bar nu_b) normalised with V_ts V_td^*; the
    WCxf file and flavio 2.7.1 define it with (s-bar d)(nu_b-bar nu_a)... and V_td V_ts^*: conjugate and swap the
    neutrino flavours (tests/kernels/test_flavio_crosscheck.py, test_nunu_smeft_running_against_wilson)."""
    nus = ("nue", "numu", "nutau")
    out = dict(wet)
    for a in nus:
        for b in nus:
            for chirality in ("CL", "CR"):
                key, partner = f"{chirality}_sd{a}{b}", f"{chirality}_sd{b}{a}"
                out[key] = np.conj(wet.get(partner, 0.0))
    return out


def random_points():
    rng = np.random.default_rng(SEED)
    points = []
    for _ in range(N_POINTS):
        params = {k: COUPLING_SCALE * (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))) for k in MATRICES}
        params.update(M_R2=float(rng.uniform(1000.0, 2000.0)), M_S1=float(rng.uniform(1000.0, 2000.0)), m0I0=1e-6)
        points.append(params)
    return points


def flavio_rows():
    """Rows (point, observable, flavorscan, flavio, rel. diff.) and the largest |relative difference| per observable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import flavio
        import wilson
        from tests.reference import lq_mixing_numpy as boxes
        from tests.reference import lq_smeft_wilson as smeft

        inputs = smeft.kernel_inputs_with_wilson_parameters(base_inputs("paper2022"))
        kernel = jax.jit(leptoquark_observables)
        zero = {k: np.zeros((3, 3), complex) for k in MATRICES}
        zero.update(M_R2=1500.0, M_S1=1500.0, m0I0=1e-6)
        sm_ours = {k: float(v) for k, v in kernel(zero, inputs).items()}
        # flavio with wilson's CKM (flavio 2.7.1: gamma = 1.15, wilson 2.5.2: 1.27; the WET normalisation of wilson's
        # matching uses its own CKM, and a CP-violating ratio such as K_L -> pi nu nu moves by tens of per cent)
        par = dict(flavio.default_parameters.get_central_all(),
                   **{k: smeft.WILSON_PARAMETERS[k] for k in ("Vus", "Vub", "Vcb", "gamma")})
        # P -> l nu at 2 GeV instead of flavio's m_rho0 (tests/kernels/test_lq_first_generation.py)
        par_light = dict(par, m_rho0=2.0)

        def flavio_value(name, wc, parameters=par):
            if isinstance(name, tuple):
                return flavio.classes.Observable[name[0]].prediction_par(parameters, wc, *name[1:])
            return flavio.classes.Observable[name].prediction_par(parameters, wc)

        def pion(wc):
            return (flavio_value("BR(pi+->enu)", wc, par_light) / flavio_value("Gamma(pi+->munu)", wc, par_light))

        empty_b = wilson.Wilson({}, scale=smeft.MU_B, eft="WET", basis="flavio")
        empty_light = wilson.Wilson({}, scale=2.0, eft="WET-3", basis="flavio")
        sm_b = {n: flavio_value(f, empty_b) for _, f, _ in B_DECAYS for n in [f if isinstance(f, str) else f[0]]}
        sm_light = {f: (pion(empty_light) if f == "pion" else flavio_value(f, empty_light, par_light))
                    for _, f, _ in LIGHT_DECAYS}
        empty_mix = wilson.Wilson({}, scale=M_T, eft="WET", basis="flavio")
        sm_mix = {f: flavio_value(f, empty_mix) for _, f, _, _ in MIXING}

        rows, worst = [], {}
        for index, params in enumerate(random_points(), start=1):
            ours = {k: float(v) for k, v in kernel(params, inputs).items()}
            ckm = inputs["ckm"]
            tensors = ((smeft.r2_warsaw_full(params["fL"], params["fR"], params["M_R2"], ckm), params["M_R2"]),
                       (smeft.s1_warsaw_full(params["yL"], params["yR"], params["M_S1"], ckm), params["M_S1"]))
            wet_b, wet_light = {}, {}
            for tensor, mass in tensors:
                w = wilson.Wilson(smeft.to_wcxf(tensor, smeft.EPS), scale=mass, eft="SMEFT", basis="Warsaw")
                for target, scale, eft in ((wet_b, smeft.MU_B, "WET"), (wet_light, 2.0, "WET-3")):
                    for key, value in w.match_run(scale, eft, "flavio").dict.items():
                        target[key] = target.get(key, 0.0) + value / smeft.EPS
            w_b = wilson.Wilson({k: v for k, v in wet_b.items() if abs(v) > 0}, scale=smeft.MU_B, eft="WET",
                                basis="flavio")
            w_light = wilson.Wilson({k: v for k, v in wcxf_sd_nunu(wet_light).items() if abs(v) > 0}, scale=2.0,
                                    eft="WET-3", basis="flavio")
            label = f"{index} (M_R2 = {params['M_R2']:.0f}, M_S1 = {params['M_S1']:.0f})"
            results = []
            for name, observable, how in B_DECAYS:
                key = observable if isinstance(observable, str) else observable[0]
                value = flavio_value(observable, w_b)
                reference = value / sm_b[key] if how == "ratio" else value
                mine = ours[name] / sm_ours[name] if how == "ratio" else ours[name]
                results.append((name, key, how, mine, reference))
            for name, observable, how in LIGHT_DECAYS:
                value = pion(w_light) if observable == "pion" else flavio_value(observable, w_light, par_light)
                key = "BR(pi+->enu)/Gamma(pi+->munu)" if observable == "pion" else observable
                if how == "ratio":
                    results.append((name, key, how, ours[name] / sm_ours[name], value / sm_light[observable]))
                else:
                    results.append((name, key, how, ours[name], value))
            pairs = boxes.coefficients(params, ckm)
            masses = (params["M_R2"], params["M_S1"])
            for name, observable, key, which in MIXING:
                at_mt = sum(c * (_alpha_s(m) / _alpha_s(M_T)) ** (6.0 / 21.0) for c, m in zip(pairs[which], masses))
                if which == "cu":  # flavio's (c-bar u)^2 is the conjugate; x100 so that flavio's SM M12 is ~1%
                    value = flavio_value(observable, wilson.Wilson(
                        {key: 100.0 * np.conj(at_mt)}, scale=M_T, eft="WET", basis="flavio")) / 100.0
                    results.append((name, f"{observable} (C × 100, ÷ 100)", "value", ours[name], value))
                    continue
                value = flavio_value(observable, wilson.Wilson({key: at_mt}, scale=M_T, eft="WET", basis="flavio"))
                if name == "eps_k_np":
                    results.append((name, f"{observable} − SM", "value", ours[name], value - sm_mix[observable]))
                else:
                    results.append((name, observable, "ratio", ours[name], value / sm_mix[observable]))
            for name, key, how, mine, reference in results:
                diff = (mine - reference) / abs(reference)
                worst[name] = max(worst.get(name, 0.0), abs(diff))
                shown = "NP/SM" if how == "ratio" else "value"
                rows.append((label, f"`{name}`", f"{key} ({shown})", fmt(mine), fmt(reference), f"{100 * diff:+.2f}%"))
                label = ""
    return rows, worst


def flavio_lines(report) -> list[str]:
    """Section 8.5 (records the largest deviation per observable in ``report.results["flavio_crosscheck"]``)."""
    rows, worst = flavio_rows()
    report.results["flavio_crosscheck"] = worst
    L = ["### 8.5 Cross-check against flavio on random points", ""]
    L += [
        f"{N_POINTS} random points (seed {SEED}): every coupling complex normal with scale {COUPLING_SCALE}, "
        "M_R2 and M_S1 uniform in [1, 2] TeV. flavio 2.7.1 gets wilson 2.5.2's running of the independent "
        "tree-level SMEFT matching (tests/reference/lq_smeft_wilson.py; ΔF = 2: the quadrature box of "
        "tests/reference/lq_mixing_numpy.py at m_t); flavorscan's kernels use wilson's CKM, G_F and v. Ratios "
        "NP/SM are each code's prediction divided by its own SM value (flavorscan's observables multiply these "
        "ratios by the SM inputs of kernels/data/constants.toml [sm]). Module docstring of "
        "scripts/validation/lq_flavio.py: what is not in the table and why.",
        "",
    ]
    L += table(("point [GeV]", "observable", "flavio", "flavorscan", "flavio value", "rel. diff."), rows)
    L += ["Largest |relative difference| per observable: "
          + ", ".join(f"`{n}` {100 * d:.2g}%" for n, d in worst.items()) + ".", ""]
    L += [
        "Where they differ: `br_bs_ee`: wilson's one-loop SMEFT running turns the scalar operator O_lequ^(1) (mostly "
        "R2's f^R f^L* products) into scalar b → s ee operators (|C_S|, |C_S'| ~ 5e-6 here), which are not "
        "helicity suppressed, while the C10 amplitude is suppressed by m_e/m_Bs; the tree-level kernel omits them. "
        "This moves a BR five orders of magnitude below its experimental limit by ~10% (for μμ it stays below "
        "0.3%), so the constraint is unaffected. `x12_d_np`: the kernel's LO running from m_t to 2 GeV against "
        "wilson's (tests/kernels/test_lq_mixing.py: 3%). Everything else agrees to below 1%: the charged-current "
        "coefficients and the νν coefficients include the SMEFT running above m_Z (kernels/leptoquark/bctaunu.py, "
        "neutral.py). wilson 2.5.2 returns the s → d νν coefficients complex conjugated with respect to the WCxf "
        "definition that flavio 2.7.1 uses; the table corrects for it (`wcxf_sd_nunu`; without the correction "
        "BR(K_L → π0νν) would differ by tens of per cent).",
        "",
    ]
    return L
