"""Independent reference for the leptoquark Delta F = 2 box coefficients (tests/kernels/test_lq_mixing.py).

Written from the box diagrams without importing kernels/: two scalar propagators of mass M and two massless lepton
propagators at zero external momentum. Each fermion line is a b -> l -> s (or its analogue) chain giving
(q-bar gamma^rho P q') k_rho; with k_rho k_sigma -> g_rho sigma k^2/4 and the opposite loop-momentum flow on the two
lines, the Wick rotation of

    int d^4k/(2 pi)^4 k^2/(k^2 (k^2 - M^2)^2) -> (1/4) (1/(16 pi^2)) int_0^inf dk^2 k^2/(k^2 + M^2)^2 ... (Euclidean)

is done here by quadrature, I_E = int d^4k_E/(2 pi)^4 1/(k_E^2 (k_E^2 + M^2)^2) = 1/(16 pi^2 M^2); the two Wick
contractions of the identical operator give the symmetry factor 1/2, so
H = (1/4) (1/2) I_E (sum_a lambda lambda*)^2 O = (sum_a lambda lambda*)^2/(128 pi^2 M^2) O (positive, like the SM
top box), i.e. the WCxf coefficient C = -H/O. Coupling products per leptoquark are written out with explicit loops
over the lepton index.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate


def euclidean_box_integral(mass):
    """I_E = int d^4k_E/(2 pi)^4 1/(k^2 (k^2 + M^2)^2), by quadrature in u = k^2/M^2 (d^4k_E = pi^2 k^2 dk^2):
    (pi^2/M^2) int_0^inf du u/(u (1 + u)^2)."""
    value = integrate.quad(lambda u: u / (u * (1.0 + u) ** 2) if u > 0 else 1.0, 0.0, np.inf, epsrel=1e-13)[0]
    return math.pi**2 / mass**2 * value / (2.0 * math.pi) ** 4


def box_wcxf(product, mass):
    """WCxf C (L = C O) of the (V-A) x (V-A) operator for sum_a lambda lambda* = product."""
    return -(0.25 * 0.5 * euclidean_box_integral(mass)) * product**2


def _hat(matrix, ckm, kind):
    v = np.asarray(ckm)
    m = np.asarray(matrix)
    out = np.zeros((3, 3), complex)
    for k in range(3):
        for l in range(3):
            for i in range(3):
                out[k, l] += (np.conj(v[i, k]) * m[i, l]) if kind == "f" else (-v[i, k] * m[i, l])
    return out


def coefficients(params, ckm):
    """{"bs", "bd", "sd", "cu"}: WCxf coefficients at the leptoquark masses, as (C_R2, C_S1) pairs (for "cu":
    (C_VLL + C_VRR from R2, from S1)) of (s-bar b)^2, (d-bar b)^2, (d-bar s)^2, (u-bar c)^2."""
    f = _hat(params["fR"], ckm, "f")
    y = _hat(params["yL"], ckm, "y")
    m_r2, m_s1 = float(params["M_R2"]), float(params["M_S1"])

    def r2(out_row, in_row):
        return box_wcxf(sum(f[out_row, a] * np.conj(f[in_row, a]) for a in range(3)), m_r2)

    def s1(out_row, in_row):
        return box_wcxf(sum(np.conj(y[out_row, a]) * y[in_row, a] for a in range(3)), m_s1)

    fl, fr, yl, yr = (np.asarray(params[k]) for k in ("fL", "fR", "yL", "yR"))
    up_r2 = box_wcxf(sum(fr[0, a] * np.conj(fr[1, a]) for a in range(3)), m_r2)
    up_r2 += 2.0 * box_wcxf(sum(fl[0, a] * np.conj(fl[1, a]) for a in range(3)), m_r2)  # R^{5/3} and R^{2/3}
    up_s1 = box_wcxf(sum(np.conj(yl[0, a]) * yl[1, a] for a in range(3)), m_s1)
    up_s1 += box_wcxf(sum(np.conj(yr[0, a]) * yr[1, a] for a in range(3)), m_s1)
    return {"bs": (r2(1, 2), s1(1, 2)), "bd": (r2(0, 2), s1(0, 2)), "sd": (r2(0, 1), s1(0, 1)), "cu": (up_r2, up_s1)}
