"""Borexino ⁷Be ν-e scattering rate with a Z', normalised to the SM (docs/physics/zprime.md §3, approximate treatment).

E_ν = 0.862 MeV, recoil energies 0 ≤ T ≤ T_max = 2E_ν²/(m_e + 2E_ν) (no detector threshold or resolution):

    dσ_α/dT = (2 G_F² m_e/π) [ g_Lα² + g_Rα² (1 - T/E_ν)² - g_Lα g_Rα m_e T/E_ν² ],
    SM: g_Le = 1/2 + s_W², g_Lμ = g_Lτ = -1/2 + s_W², g_R = s_W²;
    Z': g_Pα → g_Pα + g^{ν_α} g_P^e / (2√2 G_F (2 m_e T + m_Z'²)),   g_L^e = g_V^e - g_A^e, g_R^e = g_V^e + g_A^e

(g_V^e includes the kinetic mixing ε e Q_e, so L_μ - L_τ acts through ε alone). The rate ratio is
R/R_SM = Σ_α P_eα ∫dσ_α / Σ_α P_eα ∫dσ_α^SM with P_eμ = P_eτ = (1 - P_ee)/2.

T-integral: the integrand is a quadratic polynomial in T plus the propagator 1/(2 m_e T + m²) and its
square times polynomials, whose only structure sits at T ~ m²/(2 m_e) next to T = 0. A composite
Gauss-Legendre rule (16 nodes per panel) on panels [0, 4^-20], ..., [4^-k, 4^-k+1], ..., [1/4, 1] in units
of T_max resolves it for every m_Z' ≳ 1 eV (the pole at T = -m²/(2 m_e) is always at least a third of a panel
away from the panel nearest to it) and integrates the polynomial parts exactly: agreement with scipy quad
to < 1e-14 relative for 1e-8 ≤ m_Z' ≤ 100 GeV (tested to 1e-10). The experimental tolerance on R/R_SM is a
constraint in kernels/data/measurements/*/zprime.toml.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

_PANEL_NODES = 16
_PANEL_LEVELS = 20


def _panel_rule():
    """Nodes and weights on [0, 1] for panels [0, 4^-K], [4^-K, 4^-K+1], ..., [1/4, 1]."""
    x, w = np.polynomial.legendre.leggauss(_PANEL_NODES)
    edges = np.concatenate([[0.0], 4.0 ** -np.arange(_PANEL_LEVELS, -1, -1.0)])
    lo, hi = edges[:-1, None], edges[1:, None]
    return (lo + 0.5 * (hi - lo) * (x + 1.0)).ravel(), (0.5 * (hi - lo) * w).ravel()


_NODES, _WEIGHTS = _panel_rule()


def borexino_ratio(c, m_zp, inputs):
    """R/R_SM of the ⁷Be rate for the couplings dict of kernels.zprime.couplings.couplings."""
    m_e, s_w2, e_nu = inputs["m_lep"][0], inputs["s_W2"], inputs["zp_E_nu"]
    p_ee = inputs["zp_P_ee"]
    prob = jnp.stack([p_ee, 0.5 * (1.0 - p_ee), 0.5 * (1.0 - p_ee)])
    t_max = 2.0 * e_nu**2 / (m_e + 2.0 * e_nu)
    recoil = t_max * jnp.asarray(_NODES)
    weight = t_max * jnp.asarray(_WEIGHTS)
    propagator = 1.0 / (2.0 * m_e * recoil + m_zp**2)

    g_l_sm = jnp.stack([0.5 + s_w2, -0.5 + s_w2, -0.5 + s_w2])
    g_r_sm = jnp.full(3, s_w2)
    shift = c["g_nu"] / (2.0 * jnp.sqrt(2.0) * inputs["G_F"])
    g_l_e = c["g_v_lep"][0] - c["g_a_lep"][0]
    g_r_e = c["g_v_lep"][0] + c["g_a_lep"][0]

    def rate(g_l, g_r):
        y = 1.0 - recoil / e_nu
        density = g_l**2 + g_r**2 * y**2 - g_l * g_r * m_e * recoil / e_nu**2
        return jnp.sum(prob[:, None] * weight * density)

    g_l = g_l_sm[:, None] + (shift * g_l_e)[:, None] * propagator
    g_r = g_r_sm[:, None] + (shift * g_r_e)[:, None] * propagator
    return rate(g_l, g_r) / rate(g_l_sm[:, None], g_r_sm[:, None])
