"""Independent reference for the Cs weak charge from leptoquark exchange (tests/kernels/test_lq_first_generation.py).

Written without importing kernels/. Every tree-level exchange is Fierzed into chiral electron-quark contact terms
L = -sum eta^q_{XY} (e-bar_X gamma e_X)(q-bar_Y gamma q_Y), with the Fierz and charge-conjugation identities verified
numerically with explicit Dirac matrices in tests/kernels/test_lq_semileptonic.py. The weak charge is read off the
axial-electron x vector-quark projection of the same contact terms, normalised by the SM: Z exchange,
L = -(4 G_F/sqrt2) J_Z^2, gives eta^q_XY = (8 G_F/sqrt2) g^e_X g^q_Y, and Q_W(proton) = 1 - 4 s_W^2,
Q_W(neutron) = -1 must come out (checked), which fixes sign and normalisation of
Q_W = -(2 sqrt2/G_F) sum_q N_q A_q with A_q the coefficient of (e-bar gamma gamma5 e)(q-bar gamma q) in L.
"""

from __future__ import annotations

import math

import numpy as np

SIGN = {"L": -1.0, "R": 1.0}  # e-bar_X gamma e_X = (1/2) e-bar gamma (1 -+ gamma5) e: axial part SIGN/2


def axial_vector_coefficient(eta):
    """A_q = coefficient of (e-bar gamma gamma5 e)(q-bar gamma q) for L = -sum eta_XY (e_X e_X)(q_Y q_Y)."""
    return -sum(value * SIGN[x] / 2.0 * 0.5 for (x, _), value in eta.items())


def weak_charge(eta_u, eta_d, z, n, g_f):
    """Q_W of a nucleus from the chiral contact terms of u and d quarks (module docstring)."""
    n_u, n_d = 2 * z + n, z + 2 * n
    return -(2.0 * math.sqrt(2.0) / g_f) * (n_u * axial_vector_coefficient(eta_u) + n_d * axial_vector_coefficient(eta_d))


def sm_eta(g_f, s_w2, quark):
    charges = {"u": (2.0 / 3.0, 0.5), "d": (-1.0 / 3.0, -0.5)}
    q, t3 = charges[quark]
    g_e = {"L": -0.5 + s_w2, "R": s_w2}
    g_q = {"L": t3 - q * s_w2, "R": -q * s_w2}
    return {(x, y): 8.0 * g_f / math.sqrt(2.0) * g_e[x] * g_q[y] for x in "LR" for y in "LR"}


def leptoquark_eta(params, ckm):
    """Chiral contact terms (eta_u, eta_d) of R^{5/3}, R^{2/3} and S1 with electrons (first generation)."""
    fl, fr, yl, yr = (np.asarray(params[k]) for k in ("fL", "fR", "yL", "yR"))
    v = np.asarray(ckm)
    fhat_de = sum(np.conj(v[i, 0]) * fr[i, 0] for i in range(3))
    m_r2, m_s1 = float(params["M_R2"]), float(params["M_S1"])
    eta_u = {(x, y): 0.0 for x in "LR" for y in "LR"}
    # R^{5/3}: L = |f|^2/M^2 (u-bar P_L e)(e-bar P_R u) [f^L] -> -1/2 (e_L gamma e_L)(u_R gamma u_R): eta_LR = +|f|^2/2M^2
    eta_u[("L", "R")] += abs(fl[0, 0]) ** 2 / (2 * m_r2**2)
    eta_u[("R", "L")] += abs(fr[0, 0]) ** 2 / (2 * m_r2**2)
    # S1: (u^c-bar P_L e)(e-bar P_R u^c) -> -1/2 (e_L e_L)(u^c-bar gamma P_R u^c) = +1/2 (e_L e_L)(u_L u_L)
    eta_u[("L", "L")] += -abs(yl[0, 0]) ** 2 / (2 * m_s1**2)
    eta_u[("R", "R")] += -abs(yr[0, 0]) ** 2 / (2 * m_s1**2)
    eta_d = {(x, y): 0.0 for x in "LR" for y in "LR"}
    eta_d[("R", "L")] += abs(fhat_de) ** 2 / (2 * m_r2**2)
    return eta_u, eta_d
