"""Neutral-current neutrino observables: NSI in Earth matter, B -> K(*) nu nu, K+ -> pi+ nu nu
(docs/physics/leptoquark.md sec. 6).

NSI. R^{2/3} (coupling u-bar_R f^L nu_L) and S1 (coupling (d^c_L)-bar y-hat^L nu_L) give tree-level vector
interactions of neutrinos with u and d quarks. With N_u = N_d = 3 N_e in Earth matter,

    eps_{ab} = 3/(4 sqrt2 G_F) [ f^{L*}_{u a} f^L_{u b} / M_R2^2  -  y-hat^{L*}_{d a} y-hat^L_{d b} / M_S1^2 ].

The letter's Eq. (6) has "+" on the S1 term; S1 couples the charge-conjugate quark field and the vector
current flips sign under charge conjugation, so the minus sign is correct (docs/physics/leptoquark.md sec. 8, item 4).

nu nu operators. In the flavio/WCxf basis, H_eff = -(4 G_F/sqrt2) lambda_t (alpha/4pi) C_L^{ba}
(q_out-bar gamma^mu P_L q_in)(nu_b-bar gamma_mu (1 - gamma_5) nu_a), S1 exchange gives

    C_L^{ba} = pi v^2 / (2 alpha lambda_t M_S1^2) * y-hat^L_{q_in a} y-hat^{L*}_{q_out b},   alpha = 1/127.9,

with lambda_t = V_tb V_ts^* for b -> s and V_ts^* V_td for the (s-bar d) operator of K+ -> pi+ nu nu. This tree-level
coefficient is multiplied by the running factors NUNU_RUNNING (wilson 2.5.2: SMEFT gauge and top-Yukawa running of
O_lq^(1,3) from M_S1 to m_Z, and flavio's alpha_e(mu) normalisation of C_L at the low scale), which depend on how
many of the two y-hat^L factors come from the top row of y^L (y-hat^L_{j a} = -V_tj y^L_{t a} - V_cj y^L_{c a} -
V_uj y^L_{u a}): 1.040 / 1.054 / 1.027 for 0 / 1 / 2 top parts in b -> s at 1 TeV, 1.017 / 0.991 / 0.966 in s -> d (NUNU_RUNNING),
interpolated in ln M_S1 between 1, 1.5, 2 TeV like the charged-current tables of bctaunu.py.

    R_nunu = BR(B -> K(*) nu nu)/SM = (1/3) sum_{ab} |delta_ab + C_L^{ba}/C_L^SM|^2,
    C_L^SM = -6.53 (flavio 2.7.1 at 4.8 GeV); S1 gives only a left-handed quark current, so the K and K*
    ratios coincide.

    BR(K+ -> pi+ nu nu) = kappa_+ (1 + Delta_EM)/3 sum_{ab} [ (Im(lambda_t X_ba)/lambda^5)^2
                          + (Re(lambda_c) P_c delta_ab/lambda + Re(lambda_t X_ba)/lambda^5)^2 ],
    X_ba = X_t delta_ab - s_W^2 C_L^{ba},  lambda_c = V_cs^* V_cd,  lambda = |V_us|
    (Buras, Buttazzo, Girrbach-Noe, Knegjens, arXiv:1503.02693, generalised to flavour-dependent X as in
    docs/physics/leptoquark.md sec. 6; lambda = |V_us| equals the Wolfenstein lambda up to cos(theta_13) - 1 ~ 1e-5).

    BR(K_L -> pi0 nu nu) = kappa_L/3 sum_{ab} (Im(lambda_t X_ba)/lambda^5)^2,   kappa_L = 2.231e-10 (lambda/0.225)^8
    (the same reference and X_ba; only the CP-violating top part contributes).

    r_nunu_kstar = BR(B -> K* nu nu)/SM equals r_nunu_k: S1 gives a purely left-handed quark current, for which the
    K and K* ratios coincide (the right-handed current that would separate them is absent).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels.leptoquark.bctaunu import interpolate_in_log_scale
from flavorscan.kernels.leptoquark.couplings import y_l_hat
from flavorscan.kernels.observable import Observable

C_L_SM = -6.53
"""SM C_L for b -> s nu nu at 4.8 GeV in flavio 2.7.1 (-X_t/s_W^2 with its alpha(M_Z)/alpha(mu) factor)."""

# K -> pi nu nu inputs (docs/physics/leptoquark.md sec. 6), read in flavio 2.7.1's parameter file: kappa_+ at
# lambda = 0.225 (kappa_plus_tilde, arXiv:0705.2025), the top-loop function X_t = 1.462 (Xt_di->djnunu,
# arXiv:2105.02868 Eq. 5; it replaces the 1.481 of arXiv:1503.02693 used before) and the charm contribution
# P_c = 0.3635 (flavio's formula at its m_c, alpha_s) + delta P_c,u = 0.04 (long distance); the QED correction
# Delta_EM = -0.003 of arXiv:1503.02693 (flavio omits it). With flavio's CKM the SM BRs agree with flavio's to 0.3%.
KAPPA_PLUS = 5.173e-11
DELTA_EM = -0.003
X_T = 1.462
P_C = 0.404
KAPPA_L = 2.231e-10
"""kappa_L at lambda = 0.225 (arXiv:1503.02693; the value flavio 2.7.1 uses as kappa_L_tilde)."""

NUNU_RUNNING = {
    "bs": np.array([[1.04027, 1.05387, 1.02744], [1.04733, 1.06317, 1.03268], [1.05250, 1.06980, 1.03640]]),
    "sd": np.array([[1.01744, 0.99142, 0.96638], [1.02736, 0.99747, 0.96830], [1.03445, 1.00265, 0.96970]]),
}
"""C_L(mu_low)/C_L,tree for the S1 nu nu coefficients from wilson 2.5.2 (SMEFT from Lambda, matching at m_Z, WET to
4.8 GeV for b -> s, WET-3 to 2 GeV for s -> d; flavio basis), at Lambda = RUNNING_SCALES = 1, 1.5, 2 TeV, for
products of two parts of y-hat^L with 0, 1, 2 parts from the top row of y^L (r0, r1, r2). Besides the gauge and
Yukawa running of O_lq^(1,3) they contain flavio's normalisation of C_L with alpha_e(mu): for b -> s that is the
normalisation of C_L^SM = -6.53 at 4.8 GeV used by r_nunu; for s -> d the wilson values are multiplied by
alpha_e(2 GeV)/alpha(M_Z) = 127.9/133.30 = 0.95947 (flavio 2.7.1's alpha_e running), because the K -> pi nu nu
formulas take C_L in the normalisation of X_t (alpha(M_Z) = 1/127.9): flavio's kappa carries the factor
(alpha_e(2 GeV) 127.9)^2. The s -> d cross term r1 is CKM suppressed and texture dependent at the 0.5% level.
wilson 2.5.2 returns the s -> d coefficient complex conjugated (its translation uses the (d-bar s) operator with
V_ts V_td^*, against the WCxf definition (s-bar d) with V_td V_ts^* that flavio 2.7.1 follows); the table is for the
WCxf definition. Checked in tests/kernels/test_flavio_crosscheck.py (test_nunu_smeft_running_against_wilson)."""

_LEPTONS = ("e", "mu", "tau")

OBSERVABLES = tuple(
    Observable(f"eps_nsi_{a}{a}", "", f"NSI epsilon_{a}{a} in Earth matter (real)") for a in _LEPTONS
) + tuple(
    Observable(f"eps_nsi_{a}{b}", "", f"|NSI epsilon_{a}{b}| in Earth matter")
    for i, a in enumerate(_LEPTONS)
    for b in _LEPTONS[i + 1 :]
) + (
    Observable("r_nunu_k", "", "BR(B -> K(*) nu nu)/SM, summed over neutrino flavours"),
    Observable("r_nunu_kstar", "", "BR(B -> K* nu nu)/SM, summed over neutrino flavours (= r_nunu_k for S1)"),
    Observable("br_kp_pinunu", "", "BR(K+ -> pi+ nu nu), summed over neutrino flavours (approx inputs)"),
    Observable("br_kl_pinunu", "", "BR(K_L -> pi0 nu nu), summed over neutrino flavours"),
)


def safe_norm(z):
    """sqrt(sum |z_i|^2) (|z| for a scalar) with derivative 0, not NaN, at z = 0: couplings often vanish exactly."""
    square = jnp.sum(jnp.real(z) ** 2 + jnp.imag(z) ** 2)
    positive = square > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, square, 1.0)), 0.0)


def nsi_matrix(params, inputs):
    """eps_{ab} (3x3 Hermitian, rows/columns e, mu, tau) from the formula of the module docstring."""
    f_u = params["fL"][0]
    y_d = y_l_hat(params["yL"], inputs["ckm"])[0]
    r2 = jnp.outer(jnp.conj(f_u), f_u) / params["M_R2"] ** 2
    s1 = jnp.outer(jnp.conj(y_d), y_d) / params["M_S1"] ** 2
    return 3.0 / (4.0 * jnp.sqrt(2.0) * inputs["G_F"]) * (r2 - s1)


def lambda_t(ckm, q_in, q_out):
    """V_{t q_in} V*_{t q_out}: V_tb V_ts^* for b -> s (q_in = 2, q_out = 1), V_td V_ts^* for (s-bar d) (0, 1)."""
    return ckm[2, q_in] * jnp.conj(ckm[2, q_out])


def nunu_coefficients(y_hat, q_in, q_out, m_s1, inputs, y_hat_top=None):
    """C_L^{ba} (3x3, row b = outgoing nu flavour, column a) of the (q_out-bar q_in) nu nu operator from S1, in the
    flavio basis at the low scale (4.8 GeV for b -> s, 2 GeV for s -> d).

    Tree level: norm y-hat*_{q_out b} y-hat_{q_in a}. With ``y_hat_top`` (the part of y-hat^L from the top row of
    y^L) each product of parts is multiplied by the SMEFT running factor of NUNU_RUNNING for its number of top
    parts (module docstring); without it, the tree-level coefficient."""
    norm = jnp.pi * inputs["v"] ** 2 / (2.0 * inputs["alpha_bsll"] * lambda_t(inputs["ckm"], q_in, q_out) * m_s1**2)
    if y_hat_top is None:
        return norm * jnp.outer(jnp.conj(y_hat[q_out]), y_hat[q_in])
    factors = nunu_running(m_s1, "bs" if q_in == 2 else "sd")
    parts = ((y_hat - y_hat_top, 0), (y_hat_top, 1))
    total = 0.0
    for out_part, n_out in parts:
        for in_part, n_in in parts:
            total = total + factors[n_out + n_in] * jnp.outer(jnp.conj(out_part[q_out]), in_part[q_in])
    return norm * total


def nunu_running(scale, sector):
    """(r0, r1, r2) SMEFT running factors of NUNU_RUNNING[sector] at `scale` [GeV] (linear in ln scale)."""
    return interpolate_in_log_scale(NUNU_RUNNING[sector], scale)


def r_nunu(c_l):
    """(1/3) sum |delta_ab + C_L^{ba}/C_L^SM|^2 for the 3x3 matrix C_L^{ba}."""
    amplitude = jnp.eye(3) + c_l / C_L_SM
    return jnp.sum(jnp.real(amplitude) ** 2 + jnp.imag(amplitude) ** 2) / 3.0


def br_kplus_pinunu(c_l, ckm, s_w2):
    """BR(K+ -> pi+ nu nu) for the (s-bar d) coefficients C_L^{ba} (formula of the module docstring)."""
    lam = jnp.abs(ckm[0, 1])
    lambda_c = jnp.conj(ckm[1, 1]) * ckm[1, 0]
    top = lambda_t(ckm, 0, 1) * (X_T * jnp.eye(3) - s_w2 * c_l) / lam**5
    charm = jnp.real(lambda_c) * P_C / lam * jnp.eye(3)
    kappa = KAPPA_PLUS * (lam / 0.225) ** 8 * (1.0 + DELTA_EM) / 3.0
    return kappa * jnp.sum(jnp.imag(top) ** 2 + (charm + jnp.real(top)) ** 2)


def br_klong_pinunu(c_l, ckm, s_w2):
    """BR(K_L -> pi0 nu nu) for the (s-bar d) coefficients C_L^{ba} (module docstring)."""
    lam = jnp.abs(ckm[0, 1])
    top = lambda_t(ckm, 0, 1) * (X_T * jnp.eye(3) - s_w2 * c_l) / lam**5
    return KAPPA_L * (lam / 0.225) ** 8 / 3.0 * jnp.sum(jnp.imag(top) ** 2)


def neutral_observables(params, inputs):
    """NSI epsilons (diagonal real, off-diagonal |eps|), R_nunu for B -> K(*) nu nu, BR(K+ / K_L -> pi nu nu)."""
    ckm = inputs["ckm"]
    eps = nsi_matrix(params, inputs)
    out = {}
    for i, a in enumerate(_LEPTONS):
        out[f"eps_nsi_{a}{a}"] = jnp.real(eps[i, i])
        for j in range(i + 1, 3):
            out[f"eps_nsi_{a}{_LEPTONS[j]}"] = safe_norm(eps[i, j])
    y_hat = y_l_hat(params["yL"], ckm)
    y_hat_top = y_l_hat(jnp.asarray(params["yL"]).at[:2].set(0.0), ckm)  # the part from the top row of y^L
    out["r_nunu_k"] = r_nunu(nunu_coefficients(y_hat, 2, 1, params["M_S1"], inputs, y_hat_top))
    out["r_nunu_kstar"] = out["r_nunu_k"]
    c_sd = nunu_coefficients(y_hat, 0, 1, params["M_S1"], inputs, y_hat_top)
    out["br_kp_pinunu"] = br_kplus_pinunu(c_sd, ckm, inputs["s_W2"])
    out["br_kl_pinunu"] = br_klong_pinunu(c_sd, ckm, inputs["s_W2"])
    return out
