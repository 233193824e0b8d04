"""Independent numpy/scipy reference for the leptoquark dipole, mu-e conversion and Z -> tau tau kernels.

Written from docs/physics/leptoquark.md sections 3, 4 and 6 with explicit loops over quarks and leptons and
Python complex arithmetic. Nothing here imports kernels/: the loop functions are the Feynman-parameter integrals
evaluated by scipy quadrature (not the closed forms), and Z -> tau tau is the exact one-loop vertex (no
expansion in m_Z^2/M^2) integrated numerically. Used by tests/test_lq_loops.py and tests/test_lq_dipoles.py only.
"""

from __future__ import annotations

import cmath
import math

import numpy as np
from scipy import integrate

N_C = 3
E, MU, TAU = 0, 1, 2

# Weights w(t) of the Feynman-parameter integrals int_0^1 w(t) / (1 - t + t x) dt, written in u = 1 - t
# (t: quark parameter) because the integrands peak at small u, where 1 - (1 - u) would lose digits.
LOOP_WEIGHTS = {
    "f_S": lambda u: 0.5 * (1.0 - u) * u,
    "f_F": lambda u: 0.5 * (1.0 - u) ** 2 * u,
    "g_S": lambda u: 1.0 - u,
    "g_F": lambda u: (1.0 - u) ** 2,
}


def loop_integral(name, x):
    """int_0^1 w(t)/(1 - t + t x) dt by quadrature in u = 1 - t.

    For small x the integrand peaks at u ~ x; [0, x] is integrated directly and [x, 1] in log u, so that
    x = 1e-12 is as accurate as x = 0.5.
    """
    weight = LOOP_WEIGHTS[name]
    x = float(x)

    def integrand(u):
        return weight(u) / (u + (1.0 - u) * x)

    split = min(x, 1.0)
    opts = dict(epsabs=0.0, epsrel=1e-12, limit=200)
    low = integrate.quad(integrand, 0.0, split, **opts)[0]
    high = integrate.quad(lambda s: math.exp(s) * integrand(math.exp(s)), math.log(split), 0.0, **opts)[0]
    return low + high


def loop_integral_derivative(name, x):
    """d/dx of :func:`loop_integral`: -int_0^1 w(t) t/(1 - t + t x)^2 dt, same quadrature."""
    weight = LOOP_WEIGHTS[name]
    x = float(x)

    def integrand(u):
        return -weight(u) * (1.0 - u) / (u + (1.0 - u) * x) ** 2

    split = min(x, 1.0)
    opts = dict(epsabs=0.0, epsrel=1e-12, limit=200)
    low = integrate.quad(integrand, 0.0, split, **opts)[0]
    high = integrate.quad(lambda s: math.exp(s) * integrand(math.exp(s)), math.log(split), 0.0, **opts)[0]
    return low + high


def _f_hat(f_r, ckm):
    return [[sum(ckm[i][k].conjugate() * f_r[i][l] for i in range(3)) for l in range(3)] for k in range(3)]


def _lists(params, inputs):
    ckm = [[complex(z) for z in row] for row in np.asarray(inputs["ckm"])]
    mats = {k: [[complex(z) for z in row] for row in np.asarray(params[k])] for k in ("fL", "fR", "yL", "yR")}
    return ckm, mats


def _components(params, inputs):
    """(quark masses, Q_S, l, r, M) for R^{5/3}, R^{2/3}, S1 (docs/physics/leptoquark.md section 3 table)."""
    ckm, m = _lists(params, inputs)
    zero = [[0j] * 3 for _ in range(3)]
    up = [float(v) for v in np.asarray(inputs["m_up_loop"])]
    down = [float(v) for v in np.asarray(inputs["m_down_loop"])]
    return (
        (up, 5.0 / 3.0, m["fL"], m["fR"], float(params["M_R2"])),
        (down, 2.0 / 3.0, zero, _f_hat(m["fR"], ckm), float(params["M_R2"])),
        (up, 1.0 / 3.0, m["yL"], m["yR"], float(params["M_S1"])),
    )


def sigmas(params, inputs):
    """sigma_L[i][j], sigma_R[i][j] of docs/physics/leptoquark.md section 4, summed over the three components."""
    m_lep = [float(v) for v in np.asarray(inputs["m_lep"])]
    sig_l = [[0j] * 3 for _ in range(3)]
    sig_r = [[0j] * 3 for _ in range(3)]
    for masses, q_s, l, r, big_m in _components(params, inputs):
        for q in range(3):
            x = masses[q] ** 2 / big_m**2
            big_f = q_s * loop_integral("f_S", x) - loop_integral("f_F", x)
            big_g = q_s * loop_integral("g_S", x) - loop_integral("g_F", x)
            pre = -N_C / (16.0 * math.pi**2 * big_m**2)
            for i in range(3):
                for j in range(3):
                    sig_r[i][j] += pre * (
                        m_lep[i] * l[q][j].conjugate() * l[q][i] * big_f
                        + m_lep[j] * r[q][j].conjugate() * r[q][i] * big_f
                        + masses[q] * l[q][j].conjugate() * r[q][i] * big_g
                    )
                    sig_l[i][j] += pre * (
                        m_lep[i] * r[q][j].conjugate() * r[q][i] * big_f
                        + m_lep[j] * l[q][j].conjugate() * l[q][i] * big_f
                        + masses[q] * r[q][j].conjugate() * l[q][i] * big_g
                    )
    return sig_l, sig_r


def delta_a(params, inputs):
    """Delta a_l from the section-3 formula written out directly (not via sigma): [e, mu, tau]."""
    m_lep = [float(v) for v in np.asarray(inputs["m_lep"])]
    out = []
    for lep in range(3):
        total = 0.0
        for masses, q_s, l, r, big_m in _components(params, inputs):
            for q in range(3):
                x = masses[q] ** 2 / big_m**2
                big_f = q_s * loop_integral("f_S", x) - loop_integral("f_F", x)
                big_g = q_s * loop_integral("g_S", x) - loop_integral("g_F", x)
                total += (
                    -N_C * m_lep[lep] / (8.0 * math.pi**2 * big_m**2)
                    * (
                        m_lep[lep] * (abs(l[q][lep]) ** 2 + abs(r[q][lep]) ** 2) * big_f
                        + masses[q] * (r[q][lep].conjugate() * l[q][lep]).real * big_g
                    )
                )
        out.append(total)
    return out


def dipole_observables(params, inputs):
    m_lep = [float(v) for v in np.asarray(inputs["m_lep"])]
    widths = [float(v) for v in np.asarray(inputs["gamma_lep"])]
    alpha = float(inputs["alpha_dipole"])
    sig_l, sig_r = sigmas(params, inputs)
    da = delta_a(params, inputs)
    out = {"delta_a_e": da[E], "delta_a_mu": da[MU]}
    for name, i, j in (("br_mu_e_gamma", MU, E), ("br_tau_e_gamma", TAU, E), ("br_tau_mu_gamma", TAU, MU)):
        out[name] = (
            alpha * (m_lep[i] ** 2 - m_lep[j] ** 2) ** 3 / (4.0 * m_lep[i] ** 3 * widths[i])
            * (abs(sig_l[i][j]) ** 2 + abs(sig_r[i][j]) ** 2)
        )
    return out


# --- mu -> e conversion in gold (Kitano, Koike, Okada 2002; approximate overlap integrals) -----------------

AU = {"V_p": 0.0974, "V_n": 0.146, "capture": 13.07e6}


def conversion_rate_au(params, inputs):
    ckm, m = _lists(params, inputs)
    g_f = float(inputs["G_F"])
    m_mu = float(np.asarray(inputs["m_lep"])[MU])
    hbar = float(inputs["hbar"])
    m_r2, m_s1 = float(params["M_R2"]), float(params["M_S1"])
    f_hat = _f_hat(m["fR"], ckm)
    u, d = 0, 0

    def vec(coupling, row, mass):
        return coupling[row][MU] * coupling[row][E].conjugate() / (2.0 * math.sqrt(2.0) * g_f * mass**2)

    g = {
        ("L", "u"): vec(m["fL"], u, m_r2) - vec(m["yL"], u, m_s1),
        ("R", "u"): vec(m["fR"], u, m_r2) - vec(m["yR"], u, m_s1),
        ("L", "d"): 0j,
        ("R", "d"): vec(f_hat, d, m_r2),
    }
    total = 0.0
    for chir in ("L", "R"):
        g_p = 2 * g[(chir, "u")] + g[(chir, "d")]
        g_n = g[(chir, "u")] + 2 * g[(chir, "d")]
        total += abs(g_p * AU["V_p"] + g_n * AU["V_n"]) ** 2
    omega = 2.0 * g_f**2 * m_mu**5 * total / hbar
    return omega / AU["capture"]


# --- Z -> tau tau: exact one-loop vertex -------------------------------------------------------------------


def _log_abs_integral(a_coef, c_coef):
    """int_0^1 ln|A - c t(1-t)| dt for A > 0, c > 0."""
    ratio = c_coef / a_coef
    if ratio < 1e-3:
        # the root formula cancels catastrophically here; int w^n = n!^2/(2n+1)!
        return math.log(a_coef) - ratio / 6.0 - ratio**2 / 60.0 - ratio**3 / 420.0
    beta = cmath.sqrt(1.0 - 4.0 * a_coef / c_coef)
    total = math.log(c_coef)
    for root in ((1 + beta) / 2, (1 - beta) / 2):
        total += ((1 - root) * cmath.log(1 - root) + root * cmath.log(-root + 0j) - 1).real
    return total


def _inverse_integral(a_coef, c_coef):
    """Principal value of int_0^1 dt / (A - c t(1-t))."""
    z = 4.0 * a_coef / c_coef
    if z > 1.0:
        g = math.sqrt(z - 1.0)
        return 4.0 * math.atan(1.0 / g) / (c_coef * g)
    b = math.sqrt(1.0 - z)
    return -4.0 * math.atanh(b) / (c_coef * b)


def z_vertex_exact(a_c, a_o, g_lep, m_q, big_m, m_z):
    """delta g / (N_c |lambda|^2 / 16 pi^2) of one quark-leptoquark loop, exact one loop, real part.

    Sum of the quark-line vertex (Feynman parameters x, y on the quarks), the leptoquark-line vertex and the
    external-leg wave functions, in units M = 1 (derivation in kernels/leptoquark/zdecay.py):

        int dxdy { a_c [-ln D_a - 1 + xy s/D_a] + a_o x_q/D_a } + (a_c - g) int dxdy ln D_b + g int_0^1 x ln D_c
        D_a = (x+y) x_q + (1-x-y) - xy s,  D_b = (x+y) + (1-x-y) x_q - xy s,  D_c = x + (1-x) x_q.

    With x = u t, y = u (1-t) the t-integrals are done in closed form (principal values across the q q-bar
    threshold), the u-integral by adaptive quadrature split at the threshold. Agrees with a 30-digit mpmath
    tanh-sinh evaluation of the same integrals to ~1e-9 relative (2e-8 at worst, checked once by hand).
    """
    rho = (m_q / big_m) ** 2
    sig = (m_z / big_m) ** 2

    def vertex_quark(u):
        a_coef, c_coef = u * rho + (1.0 - u), u * u * sig
        inv = _inverse_integral(a_coef, c_coef)
        # int c w / D_a = -1 + A int 1/D_a
        return u * (a_c * (-_log_abs_integral(a_coef, c_coef) - 2.0 + a_coef * inv) + a_o * rho * inv)

    def vertex_scalar(u):
        return u * _log_abs_integral(u + (1.0 - u) * rho, u * u * sig)

    opts = dict(limit=500, epsabs=1e-14, epsrel=1e-10)
    # Above the q q-bar threshold (4 m_q^2 < m_Z^2) the t-integrals are singular where 4 D_a = u^2 s; split
    # there so that the singularity sits at an endpoint, where the adaptive rule's extrapolation handles it.
    edges = [1e-12, 1.0]
    if 4.0 * rho < sig:
        # root of u^2 s = 4 D_a(u); written without the cancellation of sqrt((1-rho)^2 + s) - (1-rho) at small s
        threshold = 2.0 / (math.sqrt((1.0 - rho) ** 2 + sig) + (1.0 - rho))
        if threshold < 1.0:
            edges.insert(1, threshold)
    quark = sum(integrate.quad(vertex_quark, lo, hi, **opts)[0] for lo, hi in zip(edges[:-1], edges[1:]))
    scalar = integrate.quad(vertex_scalar, 1e-12, 1.0, **opts)[0]
    legs = integrate.quad(lambda x: x * math.log(x + (1.0 - x) * rho), 0.0, 1.0, **opts)[0]
    return quark + (a_c - g_lep) * scalar + g_lep * legs


def dgamma_z_tautau(params, inputs, m_z):
    """delta Gamma(Z -> tau tau)/Gamma = 2 (g_L dg_L + g_R dg_R)/(g_L^2 + g_R^2) from exact one-loop vertices.

    Z charges T3 - Q s_W^2 written out per field: the coupled quark chirality (a_c), the other one (a_o); the
    S1 loops contain antiquarks, whose charges are minus those of the quark of opposite chirality.
    """
    ckm, m = _lists(params, inputs)
    s_w2 = float(inputs["s_W2"])
    up = [float(v) for v in np.asarray(inputs["m_up_loop"])]
    down = [float(v) for v in np.asarray(inputs["m_down_loop"])]
    m_r2, m_s1 = float(params["M_R2"]), float(params["M_S1"])
    u_l, u_r = 0.5 - 2.0 / 3.0 * s_w2, -2.0 / 3.0 * s_w2
    d_l, d_r = -0.5 + 1.0 / 3.0 * s_w2, 1.0 / 3.0 * s_w2
    g_l, g_r = -0.5 + s_w2, s_w2
    loops = (  # (coupling, quark masses, LQ mass, a_c, a_o, tau chirality)
        (m["fL"], up, m_r2, u_r, u_l, "L"),  # R^{5/3}: u_R - tau_L
        (m["fR"], up, m_r2, u_l, u_r, "R"),  # R^{5/3}: u_L - tau_R
        (_f_hat(m["fR"], ckm), down, m_r2, d_l, d_r, "R"),  # R^{2/3}: d_L - tau_R
        (m["yL"], up, m_s1, -u_l, -u_r, "L"),  # S1: (u_L)^c - tau_L
        (m["yR"], up, m_s1, -u_r, -u_l, "R"),  # S1: (u_R)^c - tau_R
    )
    shift = {"L": 0.0, "R": 0.0}
    for coupling, masses, big_m, a_c, a_o, chir in loops:
        g_lep = g_l if chir == "L" else g_r
        for q in range(3):
            weight = abs(coupling[q][TAU]) ** 2
            if weight:
                shift[chir] += N_C * weight / (16 * math.pi**2) * z_vertex_exact(a_c, a_o, g_lep, masses[q], big_m, m_z)
    return 2 * (g_l * shift["L"] + g_r * shift["R"]) / (g_l**2 + g_r**2)
