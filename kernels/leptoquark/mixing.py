"""Delta F = 2 from leptoquark box diagrams: B_s and B_d mass differences, new-physics epsilon_K, D mixing
(docs/physics/leptoquark.md section 6.8).

Effective Lagrangian in the WCxf/flavio convention, L = sum C O (+ h.c.), with
O_VLL^{qq'} = (q-bar_L gamma^mu q'_L)(q-bar_L gamma_mu q'_L) and O_VRR the same with right-handed quarks.
A scalar leptoquark that couples one quark chirality to massless leptons, q-bar lambda l S, gives at one loop
(two boxes, direct and crossed) the positive-definite Hamiltonian

    H = + (sum_a lambda_{q a} lambda*_{q' a})^2 / (128 pi^2 M^2) O,     i.e.  C(M) = - (...)^2 / (128 pi^2 M^2)

(e.g. Dorsner et al., Phys. Rept. 641 (2016) 1; Bauer, Neubert, PRL 116 (2016) 141802 for S1): for couplings with
the phase of the SM CKM factor it adds to the SM amplitude. The coupling products, in the orientation of the
b -> s matchings of bsll.py (R2: f-hat_{s} f-hat*_{b}) and neutral.py (S1: y-hat*_{s} y-hat_{b}):

    B_s  (s-bar b)^2:  R^{2/3}: (sum_a fhat_{s a} fhat*_{b a})^2 / M_R2^2      S1: (sum_a yhat*_{s a} yhat_{b a})^2 / M_S1^2
    B_d  (d-bar b)^2:  s -> d
    K    (d-bar s)^2:  R2: (sum fhat_{d a} fhat*_{s a})^2,   S1: (sum yhat*_{d a} yhat_{s a})^2
    D    (u-bar c)^2:  LL: R^{5/3} f^R: (sum f^R_{u a} f^R*_{c a})^2,  S1 y^L: (sum y^L*_{u a} y^L_{c a})^2
                       RR: R^{5/3} and R^{2/3} f^L: 2 (sum f^L_{u a} f^L*_{c a})^2,  S1 y^R: (sum y^R*_{u a} y^R_{c a})^2

(fhat = V^dagger f^R, yhat = -V^T y^L; the leptons in the loop are massless). Boxes with both chiralities
(f^L f^R, y^L y^R, giving O_VLR) and mixed R^{5/3}-S1 boxes in D mixing are not included (they need couplings of both
chiralities, or of both leptoquarks, to the same charm and up-quark pair).

Observables (M12 = <M|H|M-bar>/(2 m_M) = -C(mu) <O>, <O_VLL> = <O_VRR> = m f^2 B/3 as in flavio 2.7.1):

    r_mix_bs, r_mix_bd = Delta M/Delta M_SM = |1 + C_RGI/C_SM,RGI|,
        C_SM,RGI = -(G_F^2 m_W^2/(4 pi^2)) eta_B S_0(x_t) (V_tb V_tq*)^2 (flavio's cvll_d without charm),
        C_RGI = C(M) [alpha_s(M)/alpha_s(m_t)]^(6/21) alpha_s(m_t)^(6/23) / (1 + alpha_s(4.2 GeV) J_5/(4 pi))
        (the B-meson RGI normalisation, with flavio's NLO J_5 = 5165/3174 of the bag-parameter conversion)
    eps_k_np = kappa_eps Im(M12^NP)/(sqrt2 Delta M_K),   M12^NP = -C(2 GeV) m_K f_K^2 B_K/3     (signed; adds to |eps_K|)
    x12_d_np = 2 |M12^NP(D)| tau_D,   M12^NP = -(C_VLL + C_VRR)(2 GeV) m_D f_D^2 B_D/3

with LO running to mu = 2 GeV, C(mu) = C(M) [alpha_s(M)/alpha_s(m_t)]^(6/21) [alpha_s(m_t)/alpha_s(m_b)]^(6/23)
[alpha_s(m_b)/alpha_s(mu)]^(6/25) (kernels/leptoquark/qcd.py). Each leptoquark's coefficient is run from its own mass.
Checked against flavio 2.7.1 (DeltaM_s, DeltaM_d, eps_K, x12_D with the same WET coefficient at the leptoquark mass)
in tests/kernels/test_lq_mixing.py.
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.couplings import f_r_hat, y_l_hat
from flavorscan.kernels.leptoquark.neutral import safe_norm
from flavorscan.kernels.leptoquark.qcd import delta_f2_factor_to_2gev, delta_f2_rgi_factor
from flavorscan.kernels.observable import Observable

BOX = 1.0 / (128.0 * jnp.pi**2)
J5 = 5165.0 / 3174.0
_D, _S, _B = 0, 1, 2
_U, _C = 0, 1

OBSERVABLES = (
    Observable("r_mix_bs", "", "Delta M_s / Delta M_s(SM) with the leptoquark boxes"),
    Observable("r_mix_bd", "", "Delta M_d / Delta M_d(SM) with the leptoquark boxes"),
    Observable("eps_k_np", "", "new-physics contribution to |epsilon_K| (signed; the SM value is added in the data)"),
    Observable("x12_d_np", "", "x12 = 2|M12|/Gamma of D0 mixing from the leptoquark boxes alone"),
)


def s0(x):
    """Inami-Lim S_0(x_t) = (4x - 11x^2 + x^3)/(4(1-x)^2) - 3 x^3 ln x/(2 (1-x)^3)."""
    return (4.0 * x - 11.0 * x**2 + x**3) / (4.0 * (1.0 - x) ** 2) - 3.0 * x**3 * jnp.log(x) / (2.0 * (1.0 - x) ** 3)


def box_coefficient(product, mass):
    """WCxf C of O_VLL (or O_VRR) at the leptoquark mass from sum_a lambda lambda* (complex): -(product)^2 BOX/M^2."""
    return -(product**2) * BOX / mass**2


def _pair(a, b):
    """sum_a a_a conj(b_a) for two coupling rows."""
    return jnp.sum(a * jnp.conj(b))


def down_type_coefficients(params, inputs, out_row, in_row):
    """(C_R2(M_R2), C_S1(M_S1)) of (q_out-bar gamma P_L q_in)^2."""
    ckm = inputs["ckm"]
    f = f_r_hat(params["fR"], ckm)
    y = y_l_hat(params["yL"], ckm)
    c_r2 = box_coefficient(_pair(f[out_row], f[in_row]), params["M_R2"])
    c_s1 = box_coefficient(_pair(y[in_row], y[out_row]), params["M_S1"])
    return c_r2, c_s1


def sm_coefficient_b(inputs, light_row):
    """C_SM,RGI of (q-bar_L gamma b_L)^2, q = d (0) or s (1): flavio's cvll_d(par, meson) without the charm terms."""
    ckm = inputs["ckm"]
    lambda_t = ckm[2, 2] * jnp.conj(ckm[2, light_row])
    x_t = (inputs["had_m_t_mt"] / inputs["m_W"]) ** 2
    norm = -(inputs["G_F"] ** 2) * inputs["m_W"] ** 2 / (4.0 * jnp.pi**2)
    return norm * inputs["had_eta_tt_B"] * s0(x_t) * lambda_t**2


def _rgi(c, mass, inputs):
    j_factor = 1.0 + inputs["alpha_s_4p2"] * J5 / (4.0 * jnp.pi)
    return c * delta_f2_rgi_factor(mass, inputs) / j_factor


def _light_scale(c, mass, inputs):
    return c * delta_f2_factor_to_2gev(mass, inputs)


def mixing_observables(params, inputs):
    """r_mix_bs, r_mix_bd, eps_k_np, x12_d_np of one point (module docstring)."""
    m_r2, m_s1 = params["M_R2"], params["M_S1"]
    out = {}
    for name, light in (("r_mix_bs", _S), ("r_mix_bd", _D)):
        c_r2, c_s1 = down_type_coefficients(params, inputs, light, _B)
        ratio = (_rgi(c_r2, m_r2, inputs) + _rgi(c_s1, m_s1, inputs)) / sm_coefficient_b(inputs, light)
        out[name] = jnp.abs(1.0 + ratio)

    c_r2, c_s1 = down_type_coefficients(params, inputs, _D, _S)
    c_k = _light_scale(c_r2, m_r2, inputs) + _light_scale(c_s1, m_s1, inputs)
    me_k = inputs["had_m_K0"] * inputs["had_f_K0"] ** 2 * inputs["had_bag_K0_1"] / 3.0
    out["eps_k_np"] = inputs["had_kappa_epsilon"] * jnp.imag(-c_k * me_k) / (jnp.sqrt(2.0) * inputs["had_DeltaM_K0"])

    f_l, f_r, y_l, y_r = params["fL"], params["fR"], params["yL"], params["yR"]
    c_ll = box_coefficient(_pair(f_r[_U], f_r[_C]), m_r2), box_coefficient(_pair(y_l[_C], y_l[_U]), m_s1)
    c_rr = 2.0 * box_coefficient(_pair(f_l[_U], f_l[_C]), m_r2), box_coefficient(_pair(y_r[_C], y_r[_U]), m_s1)
    c_d = _light_scale(c_ll[0] + c_rr[0], m_r2, inputs) + _light_scale(c_ll[1] + c_rr[1], m_s1, inputs)
    me_d = inputs["had_m_D0"] * inputs["had_f_D0"] ** 2 * inputs["had_bag_D0_1"] / 3.0
    tau_d = inputs["had_tau_D0"] / inputs["hbar"]
    out["x12_d_np"] = 2.0 * safe_norm(c_d * me_d) * tau_d
    return out
