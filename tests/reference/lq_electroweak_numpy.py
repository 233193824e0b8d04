"""Independent numpy/scipy reference for the leptoquark Z and W vertex corrections and the LFV photon penguin.

Nothing here imports kernels/. The Z (and photon) vertices are the exact one-loop integrals of
tests/reference/lq_dipoles_numpy.z_vertex_exact (numerical quadrature, no expansion in m_Z^2/M^2), applied to every
lepton and to the neutrinos with the charges written out per loop. The W vertex at zero momentum transfer is the sum of
the quark-line vertex (two different quark masses, Feynman parameters x, y on the quarks) and half the wave-function
renormalisation of each external lepton, integrated numerically by scipy (dblquad, quad):

    delta_W^{ba} = N_c/(16 pi^2) { sum_ij C_ij [ -int_simplex (ln D_ij + 1) ]
                                    + (1/2) sum_i y*_{i b} y_{i a} int_0^1 t ln(t + (1-t) x_i) dt
                                    + (1/2) sum_j yhat*_{j b} yhat_{j a} int_0^1 t ln(t + (1-t) x_j) dt },
    C_ij = yhat*_{j b} (-V_ij) y_{i a},   D_ij = x x_i + y x_j + (1 - x - y)      (M = 1),

the W coupling of the conjugate quarks (u_L)^c_i -> (d_L)^c_j being -V_ij (units g/sqrt2), that of the leptons +1.
It is the same diagram set as the Z vertex of z_vertex_exact (whose m_Z -> 0 limit it reproduces for equal masses,
checked in tests/kernels/test_lq_electroweak.py) with the W couplings.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from tests.reference.lq_dipoles_numpy import N_C, _f_hat, _lists, z_vertex_exact

E, MU, TAU = 0, 1, 2


def _y_hat(y_l, ckm):
    return [[-sum(ckm[i][k] * y_l[i][l] for i in range(3)) for l in range(3)] for k in range(3)]


def _charges(s_w2):
    u_l, u_r = 0.5 - 2.0 / 3.0 * s_w2, -2.0 / 3.0 * s_w2
    d_l, d_r = -0.5 + 1.0 / 3.0 * s_w2, 1.0 / 3.0 * s_w2
    return u_l, u_r, d_l, d_r


def z_shifts(params, inputs, m_z, lepton):
    """(delta g_L, delta g_R) of the charged lepton `lepton`, and delta g of nu_lepton, exact one loop at q^2 = m_Z^2."""
    ckm, m = _lists(params, inputs)
    s_w2 = float(inputs["s_W2"])
    up = [float(v) for v in np.asarray(inputs["m_up_loop"])]
    down = [float(v) for v in np.asarray(inputs["m_down_loop"])]
    m_r2, m_s1 = float(params["M_R2"]), float(params["M_S1"])
    u_l, u_r, d_l, d_r = _charges(s_w2)
    g_l, g_r = -0.5 + s_w2, s_w2
    y_hat = _y_hat(m["yL"], ckm)
    loops = (  # coupling, quark masses, LQ mass, a_c, a_o, lepton Z charge, target
        (m["fL"], up, m_r2, u_r, u_l, g_l, "L"),
        (m["yL"], up, m_s1, -u_l, -u_r, g_l, "L"),
        (m["fR"], up, m_r2, u_l, u_r, g_r, "R"),
        (_f_hat(m["fR"], ckm), down, m_r2, d_l, d_r, g_r, "R"),
        (m["yR"], up, m_s1, -u_r, -u_l, g_r, "R"),
        (m["fL"], up, m_r2, u_r, u_l, 0.5, "nu"),
        (y_hat, down, m_s1, -d_l, -d_r, 0.5, "nu"),
    )
    shift = {"L": 0.0, "R": 0.0, "nu": 0.0}
    for coupling, masses, big_m, a_c, a_o, g, target in loops:
        for q in range(3):
            weight = abs(coupling[q][lepton]) ** 2
            if weight:
                shift[target] += N_C * weight / (16 * math.pi**2) * z_vertex_exact(a_c, a_o, g, masses[q], big_m, m_z)
    return shift


def dgamma_z(params, inputs, m_z, lepton):
    """delta Gamma(Z -> l l)/Gamma, first order, exact one-loop vertices."""
    s_w2 = float(inputs["s_W2"])
    g_l, g_r = -0.5 + s_w2, s_w2
    shift = z_shifts(params, inputs, m_z, lepton)
    return 2 * (g_l * shift["L"] + g_r * shift["R"]) / (g_l**2 + g_r**2)


def n_nu(params, inputs, m_z):
    """Gamma(Z -> invisible) in units of one SM neutrino, first order."""
    return 3.0 + 4.0 * sum(z_shifts(params, inputs, m_z, lep)["nu"] for lep in range(3))


def _simplex_log(x1, x2):
    f = lambda y, x: math.log(x * x1 + y * x2 + 1.0 - x - y) + 1.0  # noqa: E731
    return integrate.dblquad(f, 0.0, 1.0, lambda x: 0.0, lambda x: 1.0 - x, epsabs=1e-14, epsrel=1e-11)[0]


def _leg(x):
    return integrate.quad(lambda t: t * math.log(t + (1.0 - t) * x), 0.0, 1.0, epsabs=1e-15, epsrel=1e-12)[0]


def w_vertex(params, inputs, lepton):
    """Re delta_W^{ll}: the W vertex l -> nu_l at q^2 = 0 relative to the SM (module docstring), S1 loops only."""
    ckm, m = _lists(params, inputs)
    y = m["yL"]
    y_hat = _y_hat(y, ckm)
    m_s1 = float(params["M_S1"])
    x_up = [(float(v) / m_s1) ** 2 for v in np.asarray(inputs["m_up_loop"])]
    x_down = [(float(v) / m_s1) ** 2 for v in np.asarray(inputs["m_down_loop"])]
    total = 0j
    for i in range(3):
        for j in range(3):
            c_ij = y_hat[j][lepton].conjugate() * (-ckm[i][j]) * y[i][lepton]
            if c_ij != 0:
                total += c_ij * (-_simplex_log(x_up[i], x_down[j]))
    for i in range(3):
        total += 0.5 * abs(y[i][lepton]) ** 2 * _leg(x_up[i])
        total += 0.5 * abs(y_hat[i][lepton]) ** 2 * _leg(x_down[i])
    return (N_C / (16 * math.pi**2) * total).real


def photon_penguin(params, inputs, q, initial, final):
    """(K_L, K_R) of l_initial -> l_final: delta Q(q^2)/q^2 from the exact one-loop photon vertex (charges Q of the
    coupled quark field: u 2/3, d -1/3, u^c -2/3; lepton -1), per unit coupling product lambda*_{final} lambda_{initial}."""
    ckm, m = _lists(params, inputs)
    up = [float(v) for v in np.asarray(inputs["m_up_loop"])]
    down = [float(v) for v in np.asarray(inputs["m_down_loop"])]
    m_r2, m_s1 = float(params["M_R2"]), float(params["M_S1"])
    loops = (
        (m["fL"], up, m_r2, 2.0 / 3.0, "L"),
        (m["yL"], up, m_s1, -2.0 / 3.0, "L"),
        (m["fR"], up, m_r2, 2.0 / 3.0, "R"),
        (_f_hat(m["fR"], ckm), down, m_r2, -1.0 / 3.0, "R"),
        (m["yR"], up, m_s1, -2.0 / 3.0, "R"),
    )
    k = {"L": 0j, "R": 0j}
    for coupling, masses, big_m, charge, chirality in loops:
        for qk in range(3):
            weight = coupling[qk][final].conjugate() * coupling[qk][initial]
            if weight:
                k[chirality] += N_C * weight / (16 * math.pi**2) * z_vertex_exact(charge, charge, -1.0, masses[qk],
                                                                                   big_m, q) / q**2
    return k["L"], k["R"]
