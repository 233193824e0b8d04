"""First-generation probes: the Cs weak charge (atomic parity violation) and lepton universality in pi and K
leptonic decays (docs/physics/leptoquark.md section 6.9).

Atomic parity violation. Tree-level leptoquark exchange gives electron-quark contact interactions
L = -sum eta^q_{XY} (e-bar_X gamma e_X)(q-bar_Y gamma q_Y) (X, Y = L, R), after Fierzing
(a-bar P_R b)(c-bar P_L d) = -1/2 (a-bar gamma P_L d)(c-bar gamma P_R b) and, for S1, the charge-conjugation
identity psi^c-bar gamma P_R chi^c = -chi-bar gamma P_L psi:

    R^{5/3} f^L:  eta^u_{LR} = +|f^L_ue|^2/(2 M_R2^2)        R^{5/3} f^R:  eta^u_{RL} = +|f^R_ue|^2/(2 M_R2^2)
    R^{2/3} f-hat^R:  eta^d_{RL} = +|f-hat^R_de|^2/(2 M_R2^2)
    S1 y^L:  eta^u_{LL} = -|y^L_ue|^2/(2 M_S1^2)              S1 y^R:  eta^u_{RR} = -|y^R_ue|^2/(2 M_S1^2)

The weak charge counts the axial-electron x vector-quark part, Q_W = (sqrt2/(2 G_F)) sum_q N_q sum_XY s_X eta^q_XY with
s_L = -1, s_R = +1, N_u = 2Z + N, N_d = Z + 2N (in this normalisation Z exchange, eta^q_XY = (8 G_F/sqrt2) g^e_X g^q_Y,
gives the SM Q_W = Z(1 - 4 s_W^2) - N; tests/reference/lq_first_generation.py). For 133Cs (Z = 55, N = 78):

    dqw_cs = 1/(2 sqrt2 G_F) [ N_u (|f^R_ue|^2 - |f^L_ue|^2)/M_R2^2 + N_u (|y^L_ue|^2 - |y^R_ue|^2)/M_S1^2
                               + N_d |f-hat^R_de|^2/M_R2^2 ],

the shift of Q_W(Cs) (compared in the data with Q_W^exp - Q_W^SM).

Lepton universality in P -> l nu (P = pi+, K+). With the charged-current coefficients of
:func:`kernels.leptoquark.bctaunu.charged_current_coefficients` for (u, d) and (u, s) at 2 GeV (relative to an SM
coefficient of 1; the tensor does not contribute to a pseudoscalar decay),

    Gamma(P -> l nu)/SM = sum_a |delta_{a l} + C_VL^{l a} - m_P^2/(m_l (m_u + m_q)) C_SL^{l a}|^2,
    r_pi_e_mu = [Gamma(pi -> e nu)/Gamma(pi -> mu nu)] / SM,   r_k_e_mu likewise,

with MSbar quark masses at 2 GeV. The scalar term is chirally enhanced (m_P^2/(m_e (m_u + m_d)) = 5.6e3 for the pion),
so the products y^R_ue y-hat^L_de (S1) and f^L_ua f-hat^R_de (R2) are bounded at the 1e-5 level at 1 TeV.
Checked against flavio 2.7.1 (Remu(K+->lnu), BR(pi+->enu)/Gamma(pi+->munu)) and, for the matching, against wilson's
SMEFT -> WET matching (tests/kernels/test_lq_first_generation.py).
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.bctaunu import LIGHT_RUNNING_MATRICES, charged_current_coefficients, leptonic_ratio
from flavorscan.kernels.leptoquark.couplings import f_r_hat
from flavorscan.kernels.leptoquark.loops import abs2
from flavorscan.kernels.observable import Observable

CS_Z, CS_N = 55.0, 78.0
_U, _D, _S = 0, 0, 1
_E, _MU = 0, 1

OBSERVABLES = (
    Observable("dqw_cs", "", "shift of the 133Cs weak charge Q_W from tree-level leptoquark exchange"),
    Observable("r_pi_e_mu", "", "Gamma(pi -> e nu)/Gamma(pi -> mu nu) normalised to the SM"),
    Observable("r_k_e_mu", "", "Gamma(K -> e nu)/Gamma(K -> mu nu) normalised to the SM"),
)


def weak_charge_shift(params, inputs, z=CS_Z, n=CS_N):
    """Delta Q_W of a nucleus (Z protons, N neutrons), module docstring."""
    n_u, n_d = 2.0 * z + n, z + 2.0 * n
    f_hat = f_r_hat(params["fR"], inputs["ckm"])
    inv_r2, inv_s1 = 1.0 / params["M_R2"] ** 2, 1.0 / params["M_S1"] ** 2
    up = (abs2(params["fR"][_U, _E]) - abs2(params["fL"][_U, _E])) * inv_r2
    up = up + (abs2(params["yL"][_U, _E]) - abs2(params["yR"][_U, _E])) * inv_s1
    down = abs2(f_hat[_D, _E]) * inv_r2
    return (n_u * up + n_d * down) / (2.0 * jnp.sqrt(2.0) * inputs["G_F"])


def leptonic_lfu_ratio(params, inputs, down, meson_mass, quark_masses):
    """[Gamma(P -> e nu)/Gamma(P -> mu nu)]/SM for P = (u d_down)."""
    m_lep = inputs["m_lep"]
    widths = []
    for lepton in (_E, _MU):
        c_vl, c_sl, _ = charged_current_coefficients(params, inputs, _U, down, lepton, LIGHT_RUNNING_MATRICES,
                                                     inputs["eta_EW_light"])
        chiral = meson_mass**2 / (m_lep[lepton] * quark_masses)
        widths.append(leptonic_ratio(c_vl, c_sl, chiral, lepton=lepton))
    return widths[0] / widths[1]


def firstgen_observables(params, inputs):
    """dqw_cs, r_pi_e_mu, r_k_e_mu of one point (module docstring)."""
    m_u, m_d = inputs["had_m_ud_2GeV"][0], inputs["had_m_ud_2GeV"][1]
    return {
        "dqw_cs": weak_charge_shift(params, inputs),
        "r_pi_e_mu": leptonic_lfu_ratio(params, inputs, _D, inputs["had_m_pi_plus"], m_u + m_d),
        "r_k_e_mu": leptonic_lfu_ratio(params, inputs, _S, inputs["had_m_K_plus"], m_u + inputs["had_m_s_2GeV"]),
    }
