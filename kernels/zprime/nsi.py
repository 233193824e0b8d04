"""Neutral-current NSI in Earth matter from Z' exchange (docs/physics/zprime.md §3; Coloma, Gonzalez-Garcia, Maltoni,
arXiv:2009.14220).

NSI normalisation L = -2√2 G_F ε^{fP}_{αβ} (ν̄_α γ P_L ν_β)(f̄ γ P f); the matter potential sees the vector
part ε^{fV} = ε^{fL} + ε^{fR}. Z' exchange at zero momentum transfer (forward scattering, so the contact
limit is exact for oscillations down to m_Z' ~ 1/R_Earth, far below any mass scanned here):

    ε^{fV}_{αα} = g^{ν_α} g_V^f / (√2 G_F m_Z'²)  = g_X² X_Lα (X_fL + X_fR) / (2√2 G_F m_Z'²)  without mixing,
    ε^⊕_{αα} = ε^e + (2 + Y_n) ε^u + (1 + 2 Y_n) ε^d      (per electron, Y_n = n_n/n_e in the Earth).

Using the full g_V^f makes the kinetic-mixing parts cancel by themselves: -1 + (2 + Y_n)(2/3) - (1 + 2Y_n)/3
= 0, matter being neutral. The Z' couplings are flavour-diagonal, so no off-diagonal ε arises. Oscillations
constrain differences (a common ε^⊕_αα is a phase): ε^⊕_ee - ε^⊕_μμ and ε^⊕_ττ - ε^⊕_μμ.
"""

from __future__ import annotations

import jax.numpy as jnp


def nsi_earth(c, m_zp, inputs):
    """(ε^⊕_ee, ε^⊕_μμ, ε^⊕_ττ) for the couplings dict of kernels.zprime.couplings.couplings."""
    y_n = inputs["zp_Y_n"]
    g_matter = c["g_v_lep"][0] + (2.0 + y_n) * c["g_v_up"][0] + (1.0 + 2.0 * y_n) * c["g_v_down"][0]
    return c["g_nu"] * g_matter / (jnp.sqrt(2.0) * inputs["G_F"] * m_zp**2)
