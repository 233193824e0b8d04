"""b → s transitions through a Z' with a flavour-violating coupling (docs/physics/zprime.md §3).

The b̄-s coupling L ⊃ Z'_α s̄ γ^α (g_L^{bs} P_L + g_R^{bs} P_R) b (+ h.c.) is not fixed by the U(1)_X charges
of a quark-universal model; it is a point parameter (``g_bs_L``, ``g_bs_R``, default 0), e.g. induced by
mixing with vector-like quarks or, for third-family charges, by the quark mass rotations.

B⁺ → K⁺ Z′ (two-body; only the vector current contributes between pseudoscalars):

    Γ = |g_L^{bs} + g_R^{bs}|² m_B³ f_+(m²)² λ^{3/2}(1, m_K²/m_B², m²/m_B²) / (64π m²),

with λ(a, b, c) = a² + b² + c² - 2ab - 2ac - 2bc and the Ball-Zwicky form factor
f_+(q²) = r1/(1 - q²/m_fit²) + r2/(1 - q²/m_fit²)² (hep-ph/0406232). The 1/m² is the longitudinal Z′.

Wilson coefficients of H_eff = -N Σ C_i O_i, O_9 = (s̄ γ P_L b)(ℓ̄ γ ℓ), O_10 = (s̄ γ P_L b)(ℓ̄ γ γ5 ℓ):

    C9^ℓ = g_L^{bs} g_V^ℓ / [N (q² - m² + i m Γ)],   C10^ℓ = g_L^{bs} g_A^ℓ / [N (q² - m² + i m Γ)],
    N = (4 G_F/√2) V_tb V_ts* e²/(16π²)   (e² = 4π α(M_Z) as in the b → s ℓℓ normalisation).

They depend on q² for a light Z'; the observables use one representative q² (inputs["zp_q2_ref"]).
"""

from __future__ import annotations

import jax.numpy as jnp


def kallen(a, b, c):
    """λ(a, b, c) = a² + b² + c² - 2ab - 2ac - 2bc."""
    return a**2 + b**2 + c**2 - 2.0 * (a * b + a * c + b * c)


def f_plus(q2, inputs):
    """B → K vector form factor f_+(q²) (Ball-Zwicky fit)."""
    pole = 1.0 - q2 / inputs["zp_f_plus_m_fit"] ** 2
    return inputs["zp_f_plus_r1"] / pole + inputs["zp_f_plus_r2"] / pole**2


def br_b_to_k_zp(g_bs_L, g_bs_R, m_zp, inputs):
    """BR(B⁺ → K⁺ Z′); zero above the kinematic limit m_Z' > m_B - m_K."""
    m_b, m_k = inputs["zp_m_B"], inputs["zp_m_K"]
    lam = kallen(1.0, (m_k / m_b) ** 2, (m_zp / m_b) ** 2)
    open_ = lam > 0.0
    lam_safe = jnp.where(open_, lam, 1.0)
    width = (g_bs_L + g_bs_R) ** 2 * m_b**3 * f_plus(m_zp**2, inputs) ** 2 * lam_safe**1.5 / (64.0 * jnp.pi * m_zp**2)
    gamma_b = inputs["hbar"] / inputs["zp_tau_B"]
    return jnp.where(open_, width / gamma_b, 0.0)


def c9_c10(g_bs_L, g_v, g_a, m_zp, width, q2, inputs):
    """Complex (C9, C10) for a lepton with Z' couplings (g_v, g_a) at dilepton mass² q²."""
    ckm = inputs["ckm"]
    e2 = 4.0 * jnp.pi * inputs["alpha_bsll"]
    norm = 4.0 * inputs["G_F"] / jnp.sqrt(2.0) * ckm[2, 2] * jnp.conj(ckm[2, 1]) * e2 / (16.0 * jnp.pi**2)
    propagator = 1.0 / (norm * (q2 - m_zp**2 + 1j * m_zp * width))
    return g_bs_L * g_v * propagator, g_bs_L * g_a * propagator
