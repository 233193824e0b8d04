"""Plain numpy reference for the two-loop neutrino mass matrix (letter Eq. 3) and its scale m0 I0 (Eqs. 4-5).

Written from docs/physics/leptoquark.md section 2 only (nothing here imports kernels/ or scanner/):

    M_nu = m0 I0 { s1 2 (y^L)^T D_u f^L + s2 (m_tau/m_t) D_l (y^R)^T f^L + s3 (m_tau/m_t) D_l (f^R)^T y^L } + transpose
    m0   = 3 g^2 m_t / (sqrt(2) (16 pi^2)^2),   D_u = diag(m_u, m_c, m_t)/m_t,   D_l = diag(m_e, m_mu, m_tau)/m_tau
    I0   = (1/4) sin 2theta sin 2phi sum_{a,b=1,2} (-1)^{a+b} I(M_{a+2}, M_b)
    I(M_{a+2}, M_b) = 8 (1 - 3r/4) - (5/6) pi^2 (1 - 2r/5) + (M_b^2/m_W^2)(r - 1)(2 - pi^2/3) + (2r - 1) ln(m_W^2/M_b^2),
                      r = M_{a+2}/M_b

Matrices are indexed (quark generation, lepton generation), so (X^T)_{ab} = X_{ba}. Every matrix product is
an explicit sum over indices with Python complex numbers; D_u and D_l are built as full 3x3 diagonal matrices
and multiplied like any other matrix. Used by tests/test_neutrino.py only.
"""

from __future__ import annotations

import math

import numpy as np


def _transpose(x):
    return [[x[j][i] for j in range(3)] for i in range(3)]


def _product(*factors):
    """X1 X2 ... Xn of 3x3 nested lists, each step (A B)_{ik} = sum_j A_{ij} B_{jk} written as loops."""
    result = factors[0]
    for right in factors[1:]:
        result = [[sum(result[i][j] * right[j][k] for j in range(3)) for k in range(3)] for i in range(3)]
    return result


def _diagonal(values):
    return [[values[i] if i == j else 0.0 for j in range(3)] for i in range(3)]


def _as_lists(matrix):
    return [[complex(matrix[i][j]) for j in range(3)] for i in range(3)]


def mass_matrix_eq3(f_l, f_r, y_l, y_r, m0i0, m_up, m_lep, signs):
    """M_nu [GeV] of Eq. (3) as a complex128 array; ``m_up`` = (m_u, m_c, m_t), ``m_lep`` = (m_e, m_mu, m_tau)."""
    f_l, f_r, y_l, y_r = (_as_lists(x) for x in (f_l, f_r, y_l, y_r))
    s1, s2, s3 = (float(s) for s in signs)
    m_t, m_tau = float(m_up[2]), float(m_lep[2])
    d_u = _diagonal([float(m) / m_t for m in m_up])
    d_l = _diagonal([float(m) / m_tau for m in m_lep])
    term1 = _product(_transpose(y_l), d_u, f_l)
    term2 = _product(d_l, _transpose(y_r), f_l)
    term3 = _product(d_l, _transpose(f_r), y_l)
    ratio = m_tau / m_t
    braces = [
        [s1 * 2.0 * term1[a][b] + s2 * ratio * term2[a][b] + s3 * ratio * term3[a][b] for b in range(3)]
        for a in range(3)
    ]
    return np.array([[m0i0 * (braces[a][b] + braces[b][a]) for b in range(3)] for a in range(3)], dtype=complex)


def m0_eq3(g, m_t):
    """m0 = 3 g^2 m_t / (sqrt(2) (16 pi^2)^2) [GeV]."""
    loop = 16.0 * math.pi**2
    return 3.0 * g * g * m_t / (math.sqrt(2.0) * loop * loop)


def loop_function_eq5(m_heavy, m_light, m_w):
    """I(M_{a+2}, M_b) of Eq. (5) with M_{a+2} = ``m_heavy`` and M_b = ``m_light`` (names as in the letter)."""
    r = m_heavy / m_light
    return (
        8.0 * (1.0 - 3.0 * r / 4.0)
        - 5.0 * math.pi**2 / 6.0 * (1.0 - 2.0 * r / 5.0)
        + m_light**2 / m_w**2 * (r - 1.0) * (2.0 - math.pi**2 / 3.0)
        + (2.0 * r - 1.0) * math.log(m_w**2 / m_light**2)
    )


def i0_eq4(theta, phi, masses, m_w):
    """I0 of Eq. (4): masses = (M1, M2, M3, M4), M_b = M1, M2 (b = 1, 2) and M_{a+2} = M3, M4 (a = 1, 2)."""
    total = 0.0
    for a in (1, 2):
        for b in (1, 2):
            total += (-1) ** (a + b) * loop_function_eq5(masses[a + 2 - 1], masses[b - 1], m_w)
    return 0.25 * math.sin(2.0 * theta) * math.sin(2.0 * phi) * total
