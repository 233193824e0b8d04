"""Two-loop Majorana neutrino masses of the S1 + R2 (+ xi) model and oscillation observables.

Source: J. Julio, S. Saad, A. Thapa, "Marriage between neutrino mass and flavor anomalies" (2022),
Eqs. (3)-(5); conventions and known inconsistencies in docs/physics/leptoquark.md section 2 and
docs/conventions.md.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from flavorscan.kernels.linalg import takagi
from flavorscan.kernels.observable import Observable

GEV_TO_EV = 1e9

OBSERVABLES = (
    Observable("m1_eV", "eV", "neutrino mass m1"),
    Observable("m2_eV", "eV", "neutrino mass m2"),
    Observable("m3_eV", "eV", "neutrino mass m3"),
    Observable("sum_m_eV", "eV", "sum of the three neutrino masses"),
    Observable("m_bb_eV", "eV", "effective Majorana mass |(M_nu)_ee| of neutrinoless double beta decay"),
    Observable("dm21_sq", "eV^2", "Delta m^2_21 = m2^2 - m1^2"),
    Observable("dm3l_sq", "eV^2", "Delta m^2_31 (normal ordering) or Delta m^2_32 (inverted), signed"),
    Observable("ordering", "", "0 = normal ordering, 1 = inverted ordering"),
    Observable("s12_sq", "", "sin^2 theta_12 (PDG parametrisation)"),
    Observable("s23_sq", "", "sin^2 theta_23"),
    Observable("s13_sq", "", "sin^2 theta_13"),
    Observable("delta_cp", "rad", "Dirac CP phase in [0, 2 pi)"),
    Observable("alpha21", "rad", "Majorana phase alpha_21 in [0, 2 pi)"),
    Observable("alpha31", "rad", "Majorana phase alpha_31 in [0, 2 pi)"),
)


def loop_function(m_heavy, m_light, m_w):
    """I(M_{a+2}, M_b) of letter Eq. (5), r = M_{a+2}/M_b:

        8 (1 - 3r/4) - (5/6) pi^2 (1 - 2r/5) + (M_b^2/m_W^2)(r - 1)(2 - pi^2/3) + (2r - 1) ln(m_W^2/M_b^2)

    Derived in the letter for near-degenerate masses (M_b/M_{a+2} = 1 + small); outside that range it is
    the printed formula, not the full two-loop integral (see docs/physics-notes.md).
    """
    r = m_heavy / m_light
    return (
        8.0 * (1.0 - 0.75 * r)
        - (5.0 / 6.0) * math.pi**2 * (1.0 - 0.4 * r)
        + (m_light**2 / m_w**2) * (r - 1.0) * (2.0 - math.pi**2 / 3.0)
        + (2.0 * r - 1.0) * jnp.log(m_w**2 / m_light**2)
    )


def loop_integral_i0(theta, phi, masses, m_w):
    """I0 of letter Eq. (4): (1/4) sin 2theta sin 2phi sum_{a,b=1,2} (-1)^{a+b} I(M_{a+2}, M_b).

    ``masses`` = (M1, M2, M3, M4): M1, M2 the charge-2/3 states, M3, M4 the charge-1/3 states. The
    alternating sum vanishes exactly when M1 = M2 or M3 = M4.
    """
    m1, m2, m3, m4 = masses
    alternating = (
        loop_function(m3, m1, m_w)
        - loop_function(m3, m2, m_w)
        - loop_function(m4, m1, m_w)
        + loop_function(m4, m2, m_w)
    )
    return 0.25 * jnp.sin(2.0 * theta) * jnp.sin(2.0 * phi) * alternating


def m0_prefactor(g, m_top):
    """m0 = 3 g^2 m_t / (sqrt(2) (16 pi^2)^2) [GeV], the prefactor of letter Eq. (3)."""
    return 3.0 * g**2 * m_top / (math.sqrt(2.0) * (16.0 * math.pi**2) ** 2)


def mass_matrix(params, inputs):
    """Complex symmetric M_nu [GeV] of letter Eq. (3):

        M_nu = m0 I0 { s1 2 (y^L)^T D_u f^L + s2 (m_tau/m_t) D_l (y^R)^T f^L + s3 (m_tau/m_t) D_l (f^R)^T y^L } + (.)^T

    D_u = diag(m_u, m_c, m_t)/m_t with the up-quark masses ``inputs["m_up_nu"]`` (the scale choice of the
    card), D_l = diag(m_e, m_mu, m_tau)/m_tau with pole masses, and (s1, s2, s3) = ``inputs["nu_term_signs"]``
    (the letter's printed signs reproduce neither benchmark; the card must state them).
    """
    f_l, f_r, y_l, y_r = params["fL"], params["fR"], params["yL"], params["yR"]
    m_up, m_lep = inputs["m_up_nu"], inputs["m_lep"]
    s1, s2, s3 = inputs["nu_term_signs"]
    d_up = m_up / m_up[2]
    d_lep = m_lep / m_lep[2]
    tau_over_top = m_lep[2] / m_up[2]
    core = (
        s1 * 2.0 * _transpose_times(y_l, d_up[:, None] * f_l)
        + s2 * tau_over_top * d_lep[:, None] * _transpose_times(y_r, f_l)
        + s3 * tau_over_top * d_lep[:, None] * _transpose_times(f_r, y_l)
    )
    return params["m0I0"] * (core + core.T)


def _transpose_times(a, b):
    """a^T b for 3x3 matrices as a broadcast product summed over the first index: under vmap, ``a.T @ b``
    becomes a batched complex dot_general, which XLA:CPU runs several times slower (BENCHMARKS.md)."""
    return jnp.sum(a[:, :, None] * b[:, None, :], axis=0)


def _safe_angle(z):
    """arg(z) with a zero (not NaN) gradient at z = 0, where the phase is undefined."""
    nonzero = jnp.abs(z) > 0
    return jnp.where(nonzero, jnp.angle(jnp.where(nonzero, z, 1.0)), 0.0)


def _wrap(angle):
    return jnp.mod(angle, 2.0 * math.pi)


def oscillation_observables(m_nu):
    """Masses, splittings, ordering, PMNS angles and phases of a complex symmetric mass matrix [GeV].

    Takagi: M_nu = U* diag(m1, m2, m3) U^dagger with U the PMNS matrix (charged leptons diagonal), i.e.
    U = conj(Q) for M_nu = Q diag(m) Q^T. Ordering: with masses sorted a <= b <= c, the solar pair is the
    one with the smaller splitting: normal (m1, m2, m3) = (a, b, c) if b^2 - a^2 < c^2 - b^2, else inverted
    (m3, m1, m2) = (a, b, c). Angles (PDG): s13^2 = |U_e3|^2, s12^2 = |U_e2|^2/(1 - s13^2),
    s23^2 = |U_mu3|^2/(1 - s13^2). delta_CP from the Jarlskog invariant J = Im(U_mu3 U*_e3 U_e2 U*_mu2)
    = c12 s12 c23 s23 c13^2 s13 sin(delta) and |U_mu1|^2 = s12^2 c23^2 + c12^2 s23^2 s13^2
    + 2 s12 c12 s23 c23 s13 cos(delta); Majorana phases of U = V diag(1, e^{i alpha21/2}, e^{i alpha31/2}):
    alpha21 = 2 arg(U_e2 U*_e1), alpha31 = 2 (arg(U_e3 U*_e1) + delta), invariant under charged-lepton
    rephasing and under the sign ambiguity of Takagi vectors.
    """
    sigma, q = takagi(m_nu)  # descending
    light, mid, heavy = sigma[2], sigma[1], sigma[0]
    inverted = (mid**2 - light**2) >= (heavy**2 - mid**2)
    u_desc = jnp.conj(q)
    # columns of u_desc: heavy, mid, light
    normal_cols = u_desc[:, jnp.array([2, 1, 0])]
    inverted_cols = u_desc[:, jnp.array([1, 0, 2])]
    u = jnp.where(inverted, inverted_cols, normal_cols)
    m1 = jnp.where(inverted, mid, light)
    m2 = jnp.where(inverted, heavy, mid)
    m3 = jnp.where(inverted, light, heavy)

    abs2 = jnp.abs(u) ** 2
    s13_sq = abs2[0, 2]
    c13_sq = 1.0 - s13_sq
    safe_c13_sq = jnp.where(c13_sq > 0, c13_sq, 1.0)
    s12_sq = abs2[0, 1] / safe_c13_sq
    s23_sq = abs2[1, 2] / safe_c13_sq
    c12_sq, c23_sq = 1.0 - s12_sq, 1.0 - s23_sq
    jarlskog = jnp.imag(u[1, 2] * jnp.conj(u[0, 2]) * u[0, 1] * jnp.conj(u[1, 1]))
    sin_part = 2.0 * jarlskog / safe_c13_sq
    cos_part = abs2[1, 0] - s12_sq * c23_sq - c12_sq * s23_sq * s13_sq
    has_delta = (jnp.abs(sin_part) + jnp.abs(cos_part)) > 0
    delta = jnp.where(
        has_delta,
        jnp.arctan2(jnp.where(has_delta, sin_part, 0.0), jnp.where(has_delta, cos_part, 1.0)),
        0.0,
    )
    alpha21 = 2.0 * _safe_angle(u[0, 1] * jnp.conj(u[0, 0]))
    alpha31 = 2.0 * (_safe_angle(u[0, 2] * jnp.conj(u[0, 0])) + delta)

    m1_ev, m2_ev, m3_ev = (GEV_TO_EV * m for m in (m1, m2, m3))
    dm3l = jnp.where(inverted, m3_ev**2 - m2_ev**2, m3_ev**2 - m1_ev**2)
    return {
        "m1_eV": m1_ev,
        "m2_eV": m2_ev,
        "m3_eV": m3_ev,
        "sum_m_eV": m1_ev + m2_ev + m3_ev,
        "m_bb_eV": GEV_TO_EV * jnp.abs(m_nu[0, 0]),
        "dm21_sq": m2_ev**2 - m1_ev**2,
        "dm3l_sq": dm3l,
        "ordering": inverted.astype(m1.dtype),
        "s12_sq": s12_sq,
        "s23_sq": s23_sq,
        "s13_sq": s13_sq,
        "delta_cp": _wrap(delta),
        "alpha21": _wrap(alpha21),
        "alpha31": _wrap(alpha31),
    }


def neutrino_observables(params, inputs):
    """All neutrino observables of one leptoquark point (letter Eq. 3 + Takagi)."""
    return oscillation_observables(mass_matrix(params, inputs))


def rescale_mass_scale(observables: dict, factor) -> dict:
    """Observables of m0I0 -> factor * m0I0: M_nu is linear in m0I0, so masses scale by |factor|,
    squared splittings by factor^2, and angles, phases and the ordering do not change."""
    scaled = dict(observables)
    for name in ("m1_eV", "m2_eV", "m3_eV", "sum_m_eV", "m_bb_eV"):
        scaled[name] = observables[name] * jnp.abs(factor)
    for name in ("dm21_sq", "dm3l_sq"):
        scaled[name] = observables[name] * factor**2
    return scaled
