"""b -> s l l: tree-level R^{2/3} matching onto C9 = C10 and the LFU ratios R_K, R_K*
(docs/physics/leptoquark.md sec. 5).

Effective Hamiltonian (flavio/WCxf "flavio" basis, Wilson coefficients at mu_b = 4.8 GeV):

    H_eff = -(4 G_F/sqrt2) lambda_t (alpha/4pi) sum_i C_i O_i,    lambda_t = V_tb V_ts^*,
    O9^{l1 l2}  = (s-bar gamma^mu P_L b)(l2-bar gamma_mu l1),
    O10^{l1 l2} = (s-bar gamma^mu P_L b)(l2-bar gamma_mu gamma_5 l1).

The lepton labels follow WCxf: C9_bsemu multiplies (s-bar b)(mu-bar e), i.e. b -> s e+ mu-.
R^{2/3} couples d-bar_L f-hat^R l_R; integrating it out and Fierzing,
(s-bar_L l1_R)(l2-bar_R b_L) = -(1/2)(s-bar gamma P_L b)(l2-bar gamma P_R l1), gives

    C9^{l1 l2} = C10^{l1 l2} = -pi v^2 / (2 alpha lambda_t M_R2^2) * f-hat^R_{s l1} f-hat^{R*}_{b l2}

with alpha = 1/127.9 (the normalisation wilson/flavio use; reproduces wilson's tree-level matching to 3e-6,
and its 1 TeV -> 4.8 GeV result to ~1% for C9, 0.3% for C10, from QED running that is not included).
The letter (Julio, Saad, Thapa 2022) quotes twice this value with the opposite sign of lambda_t and the
un-rotated f^R; that normalisation is wrong (docs/physics/leptoquark.md sec. 8, item 3).

LFU ratios. For C9^{ll} = C10^{ll} = c the partial branching ratio of one lepton flavour in a q^2 bin is
exactly quadratic in c; flavio 2.7.1 gives BR_l(c)/BR_l(0) = 1 + a Re c + b |c|^2 (+ a_I Im c with
|a_I| < 1e-3, neglected) for l = e (docs/physics/leptoquark.md sec. 5). The same response is used for muons: it differs
only by lepton-mass terms O(m_mu^2/q^2) in the interference with the SM, so

    R = BR(mu mu)/BR(e e) = R_SM (1 + a Re c_mumu + b |c_mumu|^2) / (1 + a Re c_ee + b |c_ee|^2),

which reduces to the sec. 5 form R_SM/(1 + a Re c + b |c|^2) for c_mumu = 0. tests/test_flavio_crosscheck.py
measures how well this holds against flavio for both lepton flavours.
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.couplings import f_r_hat
from flavorscan.kernels.observable import Observable

LFU_RATIO_FITS = {
    "r_k": (1.0004, -0.0201, 0.0622),
    "r_kstar": (0.9965, -0.1098, 0.0709),
    "r_k_low": (0.9929, -0.0211, 0.0625),
    "r_kstar_low": (0.9832, -0.0538, 0.0253),
}
"""(R_SM, a, b) per ratio: B+ -> K+ and B0 -> K*0 in q^2 [1.1, 6] and the low bin [0.1, 1.1] GeV^2 (the LHCb
2022 bins); flavio 2.7.1 fit from docs/physics/leptoquark.md sec. 5, re-checked in tests/test_flavio_crosscheck.py."""

C10_SM_BS = -4.1665
"""Effective SM C10 of B_s -> l l in flavio 2.7.1 (module docstring; tests/kernels/test_flavio_crosscheck.py)."""

_LEPTON_PAIRS = {"ee": (0, 0), "mumu": (1, 1), "emu": (0, 1), "mue": (1, 0)}
"""Lepton index pair (l1, l2) of each named coefficient, in the WCxf order of the docstring."""

_COMPLEX_DESCRIPTIONS = {
    "ee": "b -> s e e",
    "mumu": "b -> s mu mu",
    "emu": "b -> s e+ mu- (WCxf C9_bsemu: (s-bar b)(mu-bar e))",
    "mue": "b -> s mu+ e- (WCxf C9_bsmue: (s-bar b)(e-bar mu))",
}

OBSERVABLES = tuple(
    Observable(f"{wc}_{pair}{part}", "", f"{'Im' if part else 'Re'} {wc.upper()} at 4.8 GeV, {text}")
    for pair, text in _COMPLEX_DESCRIPTIONS.items()
    for wc in ("c9", "c10")
    for part in ("", "_im")
) + (
    Observable("r_k", "", "R_K = BR(B+ -> K+ mu mu)/BR(B+ -> K+ e e), q^2 in [1.1, 6] GeV^2"),
    Observable("r_kstar", "", "R_K* (B0 -> K*0 l l), q^2 in [1.1, 6] GeV^2"),
    Observable("r_k_low", "", "R_K, q^2 in [0.1, 1.1] GeV^2"),
    Observable("r_kstar_low", "", "R_K*, q^2 in [0.1, 1.1] GeV^2"),
    Observable("br_bs_mumu", "", "time-integrated BR(B_s -> mu mu)"),
    Observable("br_bs_ee", "", "time-integrated BR(B_s -> e e)"),
)


def c9_matrix(f_r, m_r2, inputs):
    """C9^{l1 l2} = C10^{l1 l2} as a 3x3 complex matrix (l1, l2 = e, mu, tau), formula of the module docstring."""
    ckm = inputs["ckm"]
    f_hat = f_r_hat(f_r, ckm)
    lambda_t = ckm[2, 2] * jnp.conj(ckm[2, 1])
    norm = -jnp.pi * inputs["v"] ** 2 / (2.0 * inputs["alpha_bsll"] * lambda_t * m_r2**2)
    return norm * jnp.outer(f_hat[1], jnp.conj(f_hat[2]))


def lfu_ratio(c_mumu, c_ee, fit):
    """R = BR(mu mu)/BR(e e) for C9 = C10 = c_mumu, c_ee; fit = (R_SM, a, b) of LFU_RATIO_FITS."""
    r_sm, a, b = fit

    def response(c):
        return 1.0 + a * jnp.real(c) + b * (jnp.real(c) ** 2 + jnp.imag(c) ** 2)

    return r_sm * response(c_mumu) / response(c_ee)


def bs_ll_ratio(c10, y_s):
    """Time-integrated BR(B_s -> l l)/SM for a new-physics C10 (module docstring)."""
    p = 1.0 + c10 / C10_SM_BS
    return (jnp.real(p) ** 2 + jnp.imag(p) ** 2 + y_s * jnp.real(p**2)) / (1.0 + y_s)


def bsll_observables(params, inputs):
    """C9/C10 for ee, mu mu, e mu, mu e (real and imaginary parts), R_K, R_K* in both q^2 bins, BR(B_s -> l l)."""
    c9 = c9_matrix(params["fR"], params["M_R2"], inputs)
    out = {}
    for pair, (i, j) in _LEPTON_PAIRS.items():
        for wc in ("c9", "c10"):
            out[f"{wc}_{pair}"] = jnp.real(c9[i, j])
            out[f"{wc}_{pair}_im"] = jnp.imag(c9[i, j])
    for name, fit in LFU_RATIO_FITS.items():
        out[name] = lfu_ratio(c9[1, 1], c9[0, 0], fit)
    out["br_bs_mumu"] = inputs["sm_br_bs_mumu"] * bs_ll_ratio(c9[1, 1], inputs["had_y_s"])
    out["br_bs_ee"] = inputs["sm_br_bs_ee"] * bs_ll_ratio(c9[0, 0], inputs["had_y_s"])
    return out
