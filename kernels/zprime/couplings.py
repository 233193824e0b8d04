"""Z' couplings to every fermion from the U(1)_X charges, g_X and the kinetic mixing (docs/physics/zprime.md §2).

    L ⊃ Z'_α ( ε e J^α_EM + g_X J^α_X ),     f̄ γ^α (g_V^f + g_A^f γ5) f,
    g_V^f = (g_X/2)(X_fL + X_fR) + ε e Q_f,   g_A^f = (g_X/2)(X_fR - X_fL),   g^{ν_α} = g_X X_Lα  (ν̄ γ P_L ν).

Charged lepton i has X_fL = X_L[i], X_fR = X_E[i] (index 0, 1, 2 = e, μ, τ: the model layer puts the muon
family in slot 1). Quarks of family i carry X_Q = X_U = X_D = X_q[i], so their Z' couplings are vector-like
and no quark axial coupling exists. e = sqrt(4π α(0)): kinetic mixing is defined at low q².
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

Q_UP = 2.0 / 3.0
Q_DOWN = -1.0 / 3.0
Q_LEPTON = -1.0

# Re ∫0^1 x(1-x) ln(1 - x(1-x) r) dx = Σ_n c_n r^n for |r| < 4, c_n = -B(n+2, n+2)/n, B(n+2, n+2) =
# ((n+1)!)^2/(2n+3)!; successive terms shrink by ~|r|/4, so 24 terms reach 1e-17 for |r| < 1/2.
_SERIES = np.array(
    [-(math.factorial(n + 1) ** 2) / math.factorial(2 * n + 3) / n for n in range(1, 25)], dtype=np.float64
)
_SERIES_MAX_R = 0.5
# Near threshold (β² = 1 - 4/r → 0) β ln((1+β)/(1-β)) = 2 Σ_k β^{2k+2}/(2k+1); 8 terms suffice for β² < 1e-2.
_THRESHOLD_SERIES = np.array([2.0 / (2 * k + 1) for k in range(8)], dtype=np.float64)
_THRESHOLD_MAX_BETA2 = 1e-2


def vacuum_polarization(r):
    """J(r) = Re ∫0^1 x(1-x) ln(1 - x(1-x) r) dx for real r = q²/m² (the fermion-loop function of ε(q²)).

    Closed form, with β² = 1 - 4/r:
      r < 0 or r > 4:  J = -5/18 - 2/(3r) + (1/6)(1 + 2/r) β ln|(1+β)/(1-β)|,
      0 < r < 4:       J = -5/18 - 2/(3r) + (1/3)(1 + 2/r) γ arctan(1/γ),  γ = sqrt(4/r - 1),
    (the second is the analytic continuation β = iγ). The 1/r terms cancel for small |r|, where the Taylor
    series is used instead; near r = 4+ a series in β² keeps the gradient finite. The real part has a
    square-root cusp at r = 4- (threshold); the gradient there is large but finite (γ is floored).
    Each branch evaluates at a safe placeholder argument when not selected, so gradients are never NaN.
    """
    small = jnp.abs(r) < _SERIES_MAX_R
    outside = (r >= 4.0) | (r <= -_SERIES_MAX_R)
    r_series = jnp.where(small, r, 0.0)
    series = r_series * jnp.polyval(jnp.asarray(_SERIES[::-1]), r_series)

    r_out = jnp.where(outside & ~small, r, 8.0)
    beta2 = 1.0 - 4.0 / r_out
    near = beta2 < _THRESHOLD_MAX_BETA2
    b2 = jnp.where(near, beta2, 0.0)
    log_term_near = b2 * jnp.polyval(jnp.asarray(_THRESHOLD_SERIES[::-1]), b2)
    beta = jnp.sqrt(jnp.where(near, 0.5, beta2))
    # |(1+β)/(1-β)| = (1+β)² |r|/4 avoids the cancellation in 1 - β for |r| → ∞
    log_term_far = beta * (2.0 * jnp.log1p(beta) + jnp.log(jnp.abs(r_out) / 4.0))
    log_term = jnp.where(near, log_term_near, log_term_far)
    j_out = -5.0 / 18.0 - 2.0 / (3.0 * r_out) + (1.0 + 2.0 / r_out) * log_term / 6.0

    r_in = jnp.where(~outside & ~small, r, 2.0)
    # floored so that the infinite slope of the threshold cusp becomes a large finite one
    gamma = jnp.sqrt(jnp.maximum(4.0 / r_in - 1.0, jnp.finfo(jnp.result_type(r_in)).tiny))
    j_in = -5.0 / 18.0 - 2.0 / (3.0 * r_in) + (1.0 + 2.0 / r_in) * gamma * jnp.arctan(1.0 / gamma) / 3.0

    return jnp.where(small, series, jnp.where(outside, j_out, j_in))


def unit_charge(inputs):
    """e = sqrt(4π α(0))."""
    return jnp.sqrt(4.0 * jnp.pi * inputs["alpha_dipole"])


def loop_epsilon(g_x, q2, inputs):
    """Loop-induced kinetic mixing of L_μ - L_τ at virtuality q² (docs/physics/zprime.md §2; GSSTZ section 3.5).

        ε(q²) = (e g_X/2π²) ∫0^1 dx x(1-x) ln[(m_τ² - x(1-x)q²)/(m_μ² - x(1-x)q²)]
              = (e g_X/2π²) [ ln(m_τ²/m_μ²)/6 + J(q²/m_τ²) - J(q²/m_μ²) ],

    the real part above the μμ and ττ thresholds. For q² ≫ m_τ² the bracket falls like (m_τ²/q²) ln while
    each J grows like ln q², so the closed form keeps ~1e-11 relative accuracy at q² ~ 1e5 m_τ².
    ε(0) = e g_X ln(m_τ²/m_μ²)/(12π²) ≈ g_X/69.3 > 0: the induced electron coupling ε e Q_e is opposite
    in sign to the muon's g_X (DarkCast convention). The μ and τ loops are the only ones: valid for
    L_μ - L_τ charges only (the model layer enforces this).
    """
    m_mu, m_tau = inputs["m_lep"][1], inputs["m_lep"][2]
    bracket = jnp.log(m_tau**2 / m_mu**2) / 6.0 + vacuum_polarization(q2 / m_tau**2) - vacuum_polarization(q2 / m_mu**2)
    return unit_charge(inputs) * g_x * bracket / (2.0 * jnp.pi**2)


def kinetic_mixing(params, inputs, q2=None):
    """The ε in use: loop-induced ε(q²) where params["epsilon_loop"] = 1 (q² = m_Z'² unless given), else
    params["epsilon"]."""
    q2 = params["m_Zp"] ** 2 if q2 is None else q2
    loop = loop_epsilon(params["g_X"], q2, inputs)
    return jnp.where(params["epsilon_loop"] > 0.5, loop, params["epsilon"])


def couplings(params, inputs, q2=None):
    """All Z' couplings of one point (params pytree of kernels.zprime), with the kinetic mixing at virtuality
    ``q2`` (default m_Z'²: on-shell production and decays; t-channel exchange at low momentum transfer, as in
    Borexino, NSI, CEvNS and trident, uses q2 = 0, docs/physics/zprime.md §2).

    Returns a dict of float arrays: ``epsilon`` (scalar), ``g_v_lep``, ``g_a_lep``, ``g_nu`` (3, by lepton
    flavour e, μ, τ), ``g_v_up``, ``g_v_down`` (3, by quark family), ``g_bs_L``, ``g_bs_R`` (the b̄ s
    couplings, passed through).
    """
    g_x = params["g_X"]
    eps_e = kinetic_mixing(params, inputs, q2) * unit_charge(inputs)
    x_l, x_e, x_q = params["X_L"], params["X_E"], params["X_q"]
    return {
        "epsilon": eps_e / unit_charge(inputs),
        "g_v_lep": 0.5 * g_x * (x_l + x_e) + eps_e * Q_LEPTON,
        "g_a_lep": 0.5 * g_x * (x_e - x_l),
        "g_nu": g_x * x_l,
        "g_v_up": g_x * x_q + eps_e * Q_UP,
        "g_v_down": g_x * x_q + eps_e * Q_DOWN,
        "g_bs_L": params["g_bs_L"],
        "g_bs_R": params["g_bs_R"],
    }
