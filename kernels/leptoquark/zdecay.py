"""Gamma(Z -> tau tau) from quark-leptoquark loops (docs/physics/leptoquark.md section 6, "Z -> tau tau").

Z couplings (g/c_W) tau-bar gamma^mu (g_L P_L + g_R P_R) tau, SM: g_L = -1/2 + s_W^2, g_R = s_W^2. A vertex
q-bar (r P_R) tau S (or l P_L) shifts the coupling of the tau chirality it touches by

    delta g = N_c |lambda_q|^2/(16 pi^2) { (a_o - a_c) x g_S(x) + sigma [ T1(x) + (a_c - a_o) h0(r) + a_c h1(r) ] },
    x = m_q^2/M^2,  sigma = m_Z^2/M^2,  r = m_q^2/m_Z^2

(real part, one loop, first order in m_Z^2/M^2, exact in m_q^2/M^2 at sigma = 0 and in m_q^2/m_Z^2). a_c is the Z
charge (T3 - Q s_W^2) of the quark chirality the vertex couples, a_o that of the other chirality; the leptoquark's
charge is fixed by conservation (a_c - g_tau), which is what makes the sum of vertex, leptoquark-line and wave-function
diagrams finite. With D(t) = 1 - t + t x and the loop functions of :mod:`kernels.leptoquark.loops`,

    T1(x) = (a_c/3) int t^3/D + (a_o/6) x int t^3/D^2 - ((a_c - g_tau)/6) int (1-t)^3/D
          = (a_c/3)(g_F - 2 f_F) - (a_o/6) x g_F'(x) - ((a_c - g_tau)/6)(1 - (2+x) g_S + 2 g_F + 2 f_F)
    h0(r) = 1/6 + r int_0^1 ln|1 - t(1-t)/r| dt ,      h1(r) = (1/3) ln r - 2 int_0^1 t(1-t) ln|r - t(1-t)| dt.

T1 is the Taylor coefficient in m_Z^2 for a heavy quark; h0, h1 (-> 0 for r -> infinity) add the light-quark
threshold (m_q < m_Z/2), where the expansion in m_Z^2 at fixed m_q fails; together they are the composite of the
two asymptotic regions. The first term is the known top-Yukawa piece x_t (x_t - 1 - ln x_t)/(x_t - 1)^2 of
Arnan, Becirevic, Mescia, Sumensari, JHEP 02 (2019) 109 [arXiv:1901.06315]; the whole expression was derived
here from the three one-loop diagrams (Feynman parameters, dimensional regularisation) and checked against a direct
numerical integration of the exact one-loop expressions (tests/reference/lq_dipoles_numpy.py): within 0.07%
for a top loop and 0.8% for a light-quark loop (whose effect is entirely the m_Z^2 part) at M = 1 TeV, 0.35% at
1.5 TeV, 0.08% at 3 TeV (the error falls like m_Z^2/M^2). Not included: the chirality-flipping f^L f^R and y^L y^R
interference (suppressed by m_tau/m_Z), the absorptive part, and leptoquark mixing (gauge eigenstates, section 1).

Components: R^{5/3} (up quarks; f^R couples u_L to tau_R, f^L couples u_R to tau_L), R^{2/3} (down quarks,
f-hat^R: d_L to tau_R), S1 (up antiquarks, whose Z charges are minus those of the quark of opposite chirality:
y^L couples (u_L)^c to tau_L, y^R couples (u_R)^c to tau_R). The relative shift of the width, to first order:

    delta Gamma/Gamma = 2 (g_L delta g_L + g_R delta g_R) / (g_L^2 + g_R^2).

Inputs: s_W2, m_Z (inputs["m_Z"], the Z pole mass), the letter's loop masses (m_t = 160 GeV, m_up_loop /
m_down_loop) and the CKM matrix (f^R_t-tau also feeds the R^{2/3}-bottom loop, which carries most of its m_Z^2 part).

The earlier anchors of docs/physics/leptoquark.md section 6 (M = 1 TeV, unit coupling: -4.05e-3 for f^R_t-tau,
-4.44e-3 for f^L_t-tau, -4.47e-3 for y^L_t-tau, -3.88e-3 for y^R_t-tau) are NOT reproduced: this one-loop result gives -2.80e-3,
-2.90e-3, -2.80e-3, -2.50e-3 (63-69% of the anchors; 70-76% with m_t = 173 GeV). The anchors agree to 5-10% with
the leading-log estimate (N_c/16 pi^2)[(a_o - a_c) m_t^2 + a_c m_Z^2/3] ln(M^2/m_Z^2)/M^2 with a running
m_t ~ 150 GeV, i.e. they lack the finite terms (x_t(ln(1/x_t) - 1) instead of x_t ln(M^2/m_Z^2)) that Arnan et al.
found to be ~20% and more for M below 1.5 TeV.
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.couplings import f_r_hat
from flavorscan.kernels.leptoquark.loops import abs2, loop_functions
from flavorscan.kernels.observable import Observable

N_C = 3.0
_TAU = 2

OBSERVABLES = (
    Observable(
        "dgamma_z_tautau_rel",
        "1",
        "relative shift of Gamma(Z -> tau tau) from one-loop S1 and R2 quark loops, first order",
    ),
)


def _threshold_light(r):
    """L0 = int ln|1 - t(1-t)/r|, L1 = int t(1-t) ln|r - t(1-t)| for r < 1/4: real roots t_pm of t(1-t) = r.

    int_0^1 ln|t - a| = (1-a) ln(1-a) + a ln a - 1 and
    int_0^1 t(1-t) ln|t - a| = (1/6 - P(a)) ln(1-a) + P(a) ln a - 5/36 - a/3 + a^2/3, P(a) = a^2/2 - a^3/3,
    for 0 < a < 1, with 1 - t_pm = t_mp.
    """
    t_plus = 0.5 * (1.0 + jnp.sqrt(1.0 - 4.0 * r))
    t_minus = r / t_plus  # not (1 - beta)/2, which cancels for small r
    log_plus, log_minus = jnp.log(t_plus), jnp.log(t_minus)
    l0 = 2.0 * (t_plus * log_plus + t_minus * log_minus) - 2.0 - jnp.log(r)

    def weighted(a, log_a, log_one_minus_a):
        p = a**2 / 2.0 - a**3 / 3.0
        return (1.0 / 6.0 - p) * log_one_minus_a + p * log_a - 5.0 / 36.0 - a / 3.0 + a**2 / 3.0

    l1 = weighted(t_plus, log_plus, log_minus) + weighted(t_minus, log_minus, log_plus)
    return l0, l1


def _threshold_heavy(r):
    """L0, L1 as in :func:`_threshold_light` for r >= 1/4, where r - t(1-t) = (t - 1/2)^2 + gamma^2/4 > 0:

    L0 = 2 gamma arctan(1/gamma) - 2,  L1 = J0/2 - 2 J2 with gamma = sqrt(4r - 1),
    J0 = int_0^1/2 ln(z^2 + g^2) = ln(r)/2 - 1 + gamma arctan(1/gamma),
    J2 = int_0^1/2 z^2 ln(z^2 + g^2) = ln(r)/24 - (2/3)(1/24 - g^2/2 + g^3 arctan(1/gamma)),  g = gamma/2.
    """
    gamma = jnp.sqrt(4.0 * r - 1.0)
    g = 0.5 * gamma
    atan = jnp.arctan2(1.0, gamma)  # pi/2 at gamma = 0
    j0 = 0.5 * jnp.log(r) - 1.0 + gamma * atan
    j2 = jnp.log(r) / 24.0 - 2.0 / 3.0 * (1.0 / 24.0 - g**2 / 2.0 + g**3 * atan)
    return 2.0 * gamma * atan - 2.0, 0.5 * j0 - 2.0 * j2


def _threshold_functions(r):
    """h0(r) = 1/6 + r L0(r), h1(r) = ln(r)/3 - 2 L1(r) of the module docstring (both -> 0 for r -> infinity).

    r = m_q^2/m_Z^2 < 1/4 (q q-bar threshold below m_Z) has real roots of t(1-t) = r and principal-value
    logarithms, r >= 1/4 none; each branch only ever sees arguments valid for it.
    """
    light = r < 0.25
    l0_light, l1_light = _threshold_light(jnp.where(light, r, 0.1))
    l0_heavy, l1_heavy = _threshold_heavy(jnp.where(light, 1.0, r))
    l0 = jnp.where(light, l0_light, l0_heavy)
    l1 = jnp.where(light, l1_light, l1_heavy)
    return r * l0 + 1.0 / 6.0, jnp.log(r) / 3.0 - 2.0 * l1


def _tau_sq(coupling):
    """|lambda_{q tau}|^2 for the three quarks."""
    return abs2(coupling[:, _TAU])


def z_coupling_shift(coupling_sq, m_q, mass, charge_coupled, charge_other, g_lepton, m_z, functions=None):
    """delta g of one lepton chirality from a leptoquark component, summed over the three quarks.

    coupling_sq: (..., 3) |lambda_{q tau}|^2; m_q: (..., 3) quark masses; mass: (...) leptoquark mass;
    charge_coupled / charge_other: (...) Z charges a_c, a_o of the coupled / other quark chirality; g_lepton: (...)
    SM Z charge of the lepton chirality. Leading axes enumerate loops (evaluated together, which keeps the
    compiled graph small). Formula in the module docstring. ``functions``: loop_functions(x) if already known.
    """
    mass, a_c, a_o, g_lepton = (jnp.asarray(v)[..., None] for v in (mass, charge_coupled, charge_other, g_lepton))
    x = (m_q / mass) ** 2
    sigma = (m_z / mass) ** 2
    _, f_f, g_s, g_f, dg_f = loop_functions(x) if functions is None else functions
    taylor = (
        a_c / 3.0 * (g_f - 2.0 * f_f)
        - a_o / 6.0 * x * dg_f
        - (a_c - g_lepton) / 6.0 * (1.0 - (2.0 + x) * g_s + 2.0 * g_f + 2.0 * f_f)
    )
    h0, h1 = _threshold_functions((m_q / m_z) ** 2)
    per_quark = (a_o - a_c) * x * g_s + sigma * (taylor + (a_c - a_o) * h0 + a_c * h1)
    return N_C / (16.0 * jnp.pi**2) * jnp.sum(coupling_sq * per_quark, axis=-1)


def zdecay_observables(params, inputs):
    """{"dgamma_z_tautau_rel": delta Gamma(Z -> tau tau)/Gamma} of one point (module docstring)."""
    s_w2 = inputs["s_W2"]
    m_up, m_down = inputs["m_up_loop"], inputs["m_down_loop"]
    u_l, u_r = 0.5 - 2.0 / 3.0 * s_w2, -2.0 / 3.0 * s_w2
    d_l, d_r = -0.5 + 1.0 / 3.0 * s_w2, 1.0 / 3.0 * s_w2
    g_l, g_r = -0.5 + s_w2, s_w2
    m_r2, m_s1 = params["M_R2"], params["M_S1"]
    # One row per loop: R^{5/3} f^L (u_R, tau_L), R^{5/3} f^R (u_L, tau_R), R^{2/3} f-hat^R (d_L, tau_R),
    # S1 y^L ((u_L)^c, tau_L), S1 y^R ((u_R)^c, tau_R).
    couplings = (params["fL"], params["fR"], f_r_hat(params["fR"], inputs["ckm"]), params["yL"], params["yR"])
    left_handed_tau = jnp.asarray([True, False, False, True, False])
    # The five loops involve three distinct (quark, leptoquark) mass pairs: up-R2, down-R2, up-S1. Their loop
    # functions are evaluated once, with the same expression as in kernels.leptoquark.dipoles, so that XLA
    # merges the two evaluations in the full point function (same values, bit for bit, as per-loop evaluation).
    distinct = loop_functions((jnp.stack([m_up, m_down, m_up]) / jnp.stack([m_r2, m_r2, m_s1])[..., None]) ** 2)
    rows = jnp.asarray([0, 0, 1, 2, 2])
    shifts = z_coupling_shift(
        jnp.stack([_tau_sq(c) for c in couplings]),
        jnp.stack([m_up, m_up, m_down, m_up, m_up]),
        jnp.stack([m_r2, m_r2, m_r2, m_s1, m_s1]),
        jnp.stack([u_r, u_l, d_l, -u_l, -u_r]),
        jnp.stack([u_l, u_r, d_r, -u_r, -u_l]),
        jnp.where(left_handed_tau, g_l, g_r),
        inputs["m_Z"],
        functions=tuple(f[rows] for f in distinct),
    )
    delta_g_l = jnp.sum(jnp.where(left_handed_tau, shifts, 0.0))
    delta_g_r = jnp.sum(jnp.where(left_handed_tau, 0.0, shifts))
    return {"dgamma_z_tautau_rel": 2.0 * (g_l * delta_g_l + g_r * delta_g_r) / (g_l**2 + g_r**2)}
