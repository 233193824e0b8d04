"""Coupling combinations bounded by the letter's tables: kaon decays, LHC single couplings, mass floors.

Julio, Saad, Thapa (2022) quote several constraints not as observables but as limits on coupling products
(Table II, kaon physics) or single couplings (LHC high-pT dilepton tails), each scaling with the leptoquark
mass (docs/physics/leptoquark.md sec. 6). This module computes only the coupling combinations; the limits and their mass
dependence live in the measurement-set data files (kernels/data/measurements/<set>/leptoquark.toml:
`upper_limit`/`range` with `mass_scaling`, `mass_dependent_upper_limit`, `lower_limit`), so they can be
updated or switched off without touching the kernel.

f-hat = f-hat^R = V^dagger f^R (rows d, s, b), y-hat = y-hat^L = -V^T y^L (rows d, s, b); columns e, mu, tau.

R2, Table II (each limit x (M_R2/TeV)^2 unless stated):
    bound_kl_ee        |f-hat_de f-hat*_se|                          K_L -> e+ e-
    bound_kl_emu       |f-hat_dmu f-hat*_se + f-hat_smu f-hat*_de|   K_L -> e+- mu-+
    bound_kl_pi_emu    |f-hat_dmu f-hat*_se - f-hat_smu f-hat*_de|   K_L -> pi0 e+- mu-+
    bound_kp_pi_ee     |f-hat_de f-hat*_se|                          K+ -> pi+ e+ e-   (see note)
    bound_kp_pi_emu    |f-hat_dmu f-hat*_se|                         K+ -> pi+ e- mu+
    bound_kp_pi_mue    |f-hat_de f-hat*_smu|                         K+ -> pi+ e mu (the letter's second product)
    bound_kk_mixing    |sum_a f-hat*_da f-hat_sa|                    K - Kbar mixing, limit x (M_R2/TeV) (linear)
S1, Table II (x (M_S1/TeV)^2):
    bound_kpinunu_ee       Re[y-hat_de y-hat*_se]                    K -> pi nu nu, interfering (e e) channel
    bound_kpinunu_offdiag  [sum_{m != n} |y-hat_dm y-hat*_sn|^2]^(1/2)   K -> pi nu nu, lepton-flavour violating
    bound_bknunu_<ab>      Re[y-hat_ba y-hat*_sb]  (9 entries, a = nu flavour at the b vertex)   B -> K(*) nu nu
LHC single couplings (limits tabulated at 1 and 1.5 TeV, resp. 1.2 and 1.5 TeV for S1):
    bound_lhc_fhat_se, bound_lhc_fhat_be, bound_lhc_fhat_btau   |f-hat^R_se|, |f-hat^R_be|, |f-hat^R_btau|
    bound_lhc_fl_ctau, bound_lhc_fl_ue, bound_lhc_fl_umu        |f^L_ctau|, |f^L_ue|, |f^L_umu|
    bound_lhc_yr_ctau                                           |y^R_ctau|
LHC Drell-Yan tails with first-generation (valence) quarks, per leptoquark and lepton (the couplings of both quark
chiralities added in quadrature, since the published limits are per single coupling):
    bound_lhc_r2_ue, bound_lhc_r2_umu, bound_lhc_r2_utau   sqrt(|f^L_ul|^2 + |f^R_ul|^2)   (R^{5/3}, u quark)
    bound_lhc_r2_de, bound_lhc_r2_dmu, bound_lhc_r2_dtau   |f-hat^R_dl|                    (R^{2/3}, d quark)
    bound_lhc_s1_ue, bound_lhc_s1_umu, bound_lhc_s1_utau   sqrt(|y^L_ul|^2 + |y^R_ul|^2)   (S1, u quark)
Pair-production mass floors: bound_mass_r2 = M_R2, bound_mass_s1 = M_S1 [GeV] (the channel-by-channel limits with
each point's branching ratios are in kernels/leptoquark/lhc.py).

Notes. The letter's table is written for real couplings; for complex couplings the conjugate is placed on
the s-quark coupling, the combination that enters the s -> d (b -> s) amplitude, so Re[y-hat_de y-hat_se]
of the letter becomes Re[y-hat_de y-hat*_se]. The transcription of the letter's table printed
|f-hat_de f-hat*_smu| for K+ -> pi+ e+ e-; that product changes lepton flavour and cannot mediate an e+ e- final
state, so the flavour-conserving |f-hat_de f-hat*_se| is used (docs/physics/leptoquark.md §6.7,
docs/physics-notes.md B8). The letter's asymmetric S1
intervals (K -> pi nu nu, B -> K nu nu) are mirrored in the data files: in this code's sign convention their
endpoints give equal rates only after x -> -x (see the comment in leptoquark.toml).
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.couplings import f_r_hat, y_l_hat
from flavorscan.kernels.leptoquark.neutral import safe_norm
from flavorscan.kernels.observable import Observable

_D, _S, _B = 0, 1, 2
_U, _C = 0, 1
_E, _MU, _TAU = 0, 1, 2
_NU = {"e": _E, "mu": _MU, "tau": _TAU}

OBSERVABLES = (
    Observable("bound_kl_ee", "", "|fhat_de fhat*_se| (K_L -> e e, letter Table II)"),
    Observable("bound_kl_emu", "", "|fhat_dmu fhat*_se + fhat_smu fhat*_de| (K_L -> e mu)"),
    Observable("bound_kl_pi_emu", "", "|fhat_dmu fhat*_se - fhat_smu fhat*_de| (K_L -> pi0 e mu)"),
    Observable("bound_kp_pi_ee", "", "|fhat_de fhat*_se| (K+ -> pi+ e e)"),
    Observable("bound_kp_pi_emu", "", "|fhat_dmu fhat*_se| (K+ -> pi+ e- mu+)"),
    Observable("bound_kp_pi_mue", "", "|fhat_de fhat*_smu| (K+ -> pi+ e mu)"),
    Observable("bound_kk_mixing", "", "|sum_a fhat*_da fhat_sa| (K - Kbar mixing, R2 box)"),
    Observable("bound_kpinunu_ee", "", "Re[yhat_de yhat*_se] (S1, K -> pi nu nu)"),
    Observable("bound_kpinunu_offdiag", "", "[sum_{m!=n} |yhat_dm yhat*_sn|^2]^(1/2) (S1, K -> pi nu nu)"),
) + tuple(
    Observable(f"bound_bknunu_{a}{b}", "", f"Re[yhat_b{a} yhat*_s{b}] (S1, B -> K(*) nu nu)") for a in _NU for b in _NU
) + (
    Observable("bound_lhc_fhat_se", "", "|fhat^R_se| (LHC dilepton tails)"),
    Observable("bound_lhc_fhat_be", "", "|fhat^R_be| (LHC dilepton tails)"),
    Observable("bound_lhc_fhat_btau", "", "|fhat^R_btau| (LHC ditau tails)"),
    Observable("bound_lhc_fl_ctau", "", "|f^L_ctau| (LHC ditau tails)"),
    Observable("bound_lhc_fl_ue", "", "|f^L_ue| (LHC dilepton tails)"),
    Observable("bound_lhc_fl_umu", "", "|f^L_umu| (LHC dilepton tails)"),
    Observable("bound_lhc_yr_ctau", "", "|y^R_ctau| (LHC ditau tails)"),
    *(Observable(f"bound_lhc_r2_u{l}", "", f"sqrt(|f^L_u{l}|^2 + |f^R_u{l}|^2) (LHC Drell-Yan tails, valence u)")
      for l in _NU),
    *(Observable(f"bound_lhc_r2_d{l}", "", f"|fhat^R_d{l}| (LHC Drell-Yan tails, valence d)") for l in _NU),
    *(Observable(f"bound_lhc_s1_u{l}", "", f"sqrt(|y^L_u{l}|^2 + |y^R_u{l}|^2) (LHC Drell-Yan tails, valence u)")
      for l in _NU),
    Observable("bound_mass_r2", "GeV", "M_R2 (pair-production floor)"),
    Observable("bound_mass_s1", "GeV", "M_S1 (pair-production floor)"),
)


def bound_observables(params, inputs):
    """Every bound_* coupling combination of the module docstring for one point."""
    ckm = inputs["ckm"]
    f = f_r_hat(params["fR"], ckm)
    y = y_l_hat(params["yL"], ckm)
    f_l, y_r = params["fL"], params["yR"]
    cf = jnp.conj(f)
    ee = f[_D, _E] * cf[_S, _E]
    mue = f[_D, _MU] * cf[_S, _E]
    emu = f[_S, _MU] * cf[_D, _E]
    y_ds = jnp.outer(y[_D], jnp.conj(y[_S]))
    out = {
        "bound_kl_ee": safe_norm(ee),
        "bound_kl_emu": safe_norm(mue + emu),
        "bound_kl_pi_emu": safe_norm(mue - emu),
        "bound_kp_pi_ee": safe_norm(ee),
        "bound_kp_pi_emu": safe_norm(mue),
        "bound_kp_pi_mue": safe_norm(f[_D, _E] * cf[_S, _MU]),
        "bound_kk_mixing": safe_norm(jnp.sum(cf[_D] * f[_S])),
        "bound_kpinunu_ee": jnp.real(y_ds[_E, _E]),
        "bound_kpinunu_offdiag": safe_norm(y_ds * (1.0 - jnp.eye(3))),
        "bound_lhc_fhat_se": safe_norm(f[_S, _E]),
        "bound_lhc_fhat_be": safe_norm(f[_B, _E]),
        "bound_lhc_fhat_btau": safe_norm(f[_B, _TAU]),
        "bound_lhc_fl_ctau": safe_norm(f_l[_C, _TAU]),
        "bound_lhc_fl_ue": safe_norm(f_l[_U, _E]),
        "bound_lhc_fl_umu": safe_norm(f_l[_U, _MU]),
        "bound_lhc_yr_ctau": safe_norm(y_r[_C, _TAU]),
        **{f"bound_lhc_r2_u{l}": safe_norm(jnp.stack([f_l[_U, j], params["fR"][_U, j]])) for l, j in _NU.items()},
        **{f"bound_lhc_r2_d{l}": safe_norm(f[_D, j]) for l, j in _NU.items()},
        **{f"bound_lhc_s1_u{l}": safe_norm(jnp.stack([params["yL"][_U, j], y_r[_U, j]])) for l, j in _NU.items()},
        "bound_mass_r2": params["M_R2"],
        "bound_mass_s1": params["M_S1"],
    }
    for a, i in _NU.items():
        for b, j in _NU.items():
            out[f"bound_bknunu_{a}{b}"] = jnp.real(y[_B, i] * jnp.conj(y[_S, j]))
    return out
