"""Radiative muon mass and Δa_μ from two R2-type leptoquarks with the top in the loop (GSSTZ section 4;
docs/physics/zprime.md §4).

Couplings -y_L t̄_R R_L^T iτ2 L_2 - y_R Q̄_3 R_R μ_R, soft Z2 breaking -μ² R_L† R_R, common mass M, maximal
mixing: mass eigenstates M_±² = M² ± μ². With s = M_i² and r = m_t²/s:

    m_μ  = N_c m_t y_L y_R sin2θ [f(M_1) - f(M_2)]/(32π²),   f = (s ln s - m_t² ln m_t²)/(s - m_t²),
    Δa_μ = N_c m_μ m_t y_L y_R sin2θ [G(M_1) - G(M_2)]/(16π²),   G = -Q_F I_F + Q_φ I_φ,
    s I_F = (r² - 4r + 3 + 2 ln r)/(2(r-1)³),   s I_φ = (r² - 1 - 2r ln r)/(2(r-1)³),

with Q_F = +2/3 (top) and Q_φ = -5/3 (the charge-5/3 LQ component in the loop, as μ⁻ → t φ). If all of m_μ is
radiative, couplings and θ drop out:

    Δa_μ = 2 m_μ² [G(M_+) - G(M_-)] / [f(M_+) - f(M_-)].

Degenerate limit μ² → 0: Δa_μ → 2 m_μ² G'(s)/f'(s), and for M ≫ m_t
Δa_μ ≈ (2 m_μ²/M²)[(Q_S - 1)(ln(M²/m_t²) - 5/2) + Q_S/2] with Q_S = |Q_φ| = 5/3 (positive only for Q_S > 1).
In the U(1)_X completion X_Φ = X_E2 - X_L2 and κ Φ R_L† R_R gives μ² = κ v_Φ/√2.

The functions have removable singularities at s = m_t² (r = 1), handled with Taylor series in r - 1 so that
values and gradients stay finite; LQ masses are far above m_t in practice.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

Q_TOP = 2.0 / 3.0
Q_LQ = -5.0 / 3.0
N_COLOURS = 3.0
# Taylor series in d = r - 1 (coefficients checked with sympy): used for |d| < 0.05, where the exact forms
# would lose ~eps/|d|³ to cancellation; 14 terms leave a truncation error below 0.05¹⁴ ~ 1e-18.
_NEAR_ONE = 0.05
_K = np.arange(14, dtype=np.float64)
_SERIES_F = np.concatenate([[1.0], (-1.0) ** (_K[1:] + 1) / (_K[1:] * (_K[1:] + 1))])  # x ln x/(x-1)
_SERIES_I_F = (-1.0) ** _K / (_K + 3.0)  # (r² - 4r + 3 + 2 ln r)/(2(r-1)³)
_SERIES_I_PHI = (-1.0) ** _K / ((_K + 2.0) * (_K + 3.0))  # (r² - 1 - 2r ln r)/(2(r-1)³)
# Degenerate branch of the mass ratio below this relative splitting μ²/M²: there the finite difference would
# lose ~eps/δ and the derivative ratio errs by O(δ²); 1e-5 keeps both below 1e-10.
_DEGENERATE_SPLIT = 1e-5


def _series_or_exact(r, exact, coefficients):
    """exact(r) away from r = 1, the Taylor series in r - 1 near it, each at a safe placeholder argument
    when not selected (so no branch produces NaN gradients)."""
    near = jnp.abs(r - 1.0) < _NEAR_ONE
    r_far = jnp.where(near, 2.0, r)
    d = jnp.where(near, r - 1.0, 0.0)
    return jnp.where(near, jnp.polyval(jnp.asarray(coefficients[::-1]), d), exact(r_far))


def f_mass(s, m_t):
    """f(M) - ln m_t² = x ln x/(x - 1), x = s/m_t² (the constant ln m_t² cancels in f(M_1) - f(M_2))."""
    return _series_or_exact(s / m_t**2, lambda x: x * jnp.log(x) / (x - 1.0), _SERIES_F)


def _i_fermion(r):
    """s I_F(r) = (r² - 4r + 3 + 2 ln r)/(2(r-1)³)."""
    return _series_or_exact(
        r, lambda r: (r**2 - 4.0 * r + 3.0 + 2.0 * jnp.log(r)) / (2.0 * (r - 1.0) ** 3), _SERIES_I_F
    )


def _i_scalar(r):
    """s I_φ(r) = (r² - 1 - 2r ln r)/(2(r-1)³)."""
    return _series_or_exact(r, lambda r: (r**2 - 1.0 - 2.0 * r * jnp.log(r)) / (2.0 * (r - 1.0) ** 3), _SERIES_I_PHI)


def g_dipole(s, m_t):
    """G(M) = -Q_F I_F + Q_φ I_φ at s = M² [GeV⁻²]."""
    r = m_t**2 / s
    return (-Q_TOP * _i_fermion(r) + Q_LQ * _i_scalar(r)) / s


def muon_mass(coupling, m1_sq, m2_sq, m_t):
    """m_μ = N_c m_t (y_L y_R sin2θ) [f(M_1) - f(M_2)]/(32π²); ``coupling`` = y_L y_R sin2θ."""
    return N_COLOURS * m_t * coupling * (f_mass(m1_sq, m_t) - f_mass(m2_sq, m_t)) / (32.0 * jnp.pi**2)


def delta_a_mu(coupling, m1_sq, m2_sq, m_t, m_mu):
    """Δa_μ = N_c m_μ m_t (y_L y_R sin2θ) [G(M_1) - G(M_2)]/(16π²)."""
    return N_COLOURS * m_mu * m_t * coupling * (g_dipole(m1_sq, m_t) - g_dipole(m2_sq, m_t)) / (16.0 * jnp.pi**2)


def delta_a_mu_all_radiative(m_sq, mu_sq, inputs):
    """Δa_μ when all of m_μ is radiative: 2 m_μ² [G(M_+) - G(M_-)]/[f(M_+) - f(M_-)], M_±² = M² ± μ².

    For |μ²| < 1e-5 M² the ratio of derivatives G'(M²)/f'(M²) is used (degenerate limit).
    """
    m_t, m_mu = inputs["m_up_loop"][2], inputs["m_lep"][1]
    split = jnp.abs(mu_sq) >= _DEGENERATE_SPLIT * m_sq
    mu_safe = jnp.where(split, mu_sq, 0.5 * m_sq)
    ratio = (g_dipole(m_sq + mu_safe, m_t) - g_dipole(m_sq - mu_safe, m_t)) / (
        f_mass(m_sq + mu_safe, m_t) - f_mass(m_sq - mu_safe, m_t)
    )
    degenerate = jax.grad(g_dipole)(m_sq, m_t) / jax.grad(f_mass)(m_sq, m_t)
    return 2.0 * m_mu**2 * jnp.where(split, ratio, degenerate)


def delta_a_mu_degenerate_approx(m_sq, inputs):
    """Leading term for M ≫ m_t: (2 m_μ²/M²)[(Q_S - 1)(ln(M²/m_t²) - 5/2) + Q_S/2], Q_S = |Q_φ|."""
    m_t, m_mu = inputs["m_up_loop"][2], inputs["m_lep"][1]
    q_s = np.abs(Q_LQ)
    return 2.0 * m_mu**2 / m_sq * ((q_s - 1.0) * (jnp.log(m_sq / m_t**2) - 2.5) + q_s / 2.0)
