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

with lambda_t = V_tb V_ts^* for b -> s and V_ts^* V_td for the (s-bar d) operator of K+ -> pi+ nu nu.

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

from flavorscan.kernels.leptoquark.couplings import y_l_hat
from flavorscan.kernels.observable import Observable

C_L_SM = -6.53
"""SM C_L for b -> s nu nu at 4.8 GeV in flavio 2.7.1 (-X_t/s_W^2 with its alpha(M_Z)/alpha(mu) factor)."""

# K+ -> pi+ nu nu inputs recalled from memory (approx, docs/physics/leptoquark.md sec. 6): kappa_+ at
# lambda = 0.225, the QED correction, the top-loop function and the charm contribution (incl. long-distance part).
# With them the SM BR is 8.28e-11 (paper2022 CKM) against 8.14e-11 in flavio 2.7.1 and the SM band
# (8.4 +- 1.0)e-11 quoted in docs/physics/inputs.md.
KAPPA_PLUS = 5.173e-11
DELTA_EM = -0.003
X_T = 1.481
P_C = 0.404
KAPPA_L = 2.231e-10
"""kappa_L at lambda = 0.225 (arXiv:1503.02693; the value flavio 2.7.1 uses as kappa_L_tilde)."""

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


def nunu_coefficients(y_hat, q_in, q_out, m_s1, inputs):
    """C_L^{ba} (3x3, row b = outgoing nu flavour, column a) of the (q_out-bar q_in) nu nu operator from S1."""
    norm = jnp.pi * inputs["v"] ** 2 / (2.0 * inputs["alpha_bsll"] * lambda_t(inputs["ckm"], q_in, q_out) * m_s1**2)
    return norm * jnp.outer(jnp.conj(y_hat[q_out]), y_hat[q_in])


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
    out["r_nunu_k"] = r_nunu(nunu_coefficients(y_hat, 2, 1, params["M_S1"], inputs))
    out["r_nunu_kstar"] = out["r_nunu_k"]
    c_sd = nunu_coefficients(y_hat, 0, 1, params["M_S1"], inputs)
    out["br_kp_pinunu"] = br_kplus_pinunu(c_sd, ckm, inputs["s_W2"])
    out["br_kl_pinunu"] = br_klong_pinunu(c_sd, ckm, inputs["s_W2"])
    return out
