"""Z' decay widths at tree level (docs/physics/zprime.md §3).

    Γ(Z' → f f̄) = N_c m/(12π) sqrt(1 - 4r) [ g_V² (1 + 2r) + g_A² (1 - 4r) ],   r = m_f²/m²,
    Γ(Z' → ν_α ν̄_α) = (g^{ν_α})² m/(24π)   (left-handed neutrinos only; ν_R taken heavier than m_Z'/2).

Quarks are treated as partons with the loop masses of constants.toml (u, c, t and d, s, b). This is fine for
m_Z' ≳ 2 GeV; below, the hadronic channels of a quark-coupled Z' (π⁰γ, 3π, ...) are only indicated by it,
which matters only for the total width of models with X_q ≠ 0 in that window.
"""

from __future__ import annotations

import jax.numpy as jnp


def fermion_width(g_v, g_a, m_f, m_zp, colours=1.0):
    """Γ(Z' → f f̄), zero below threshold; gradient finite at threshold."""
    r = (m_f / m_zp) ** 2
    beta2 = 1.0 - 4.0 * r
    open_ = beta2 > 0.0
    beta = jnp.sqrt(jnp.where(open_, beta2, 1.0))
    width = colours * m_zp / (12.0 * jnp.pi) * beta * (g_v**2 * (1.0 + 2.0 * r) + g_a**2 * beta2)
    return jnp.where(open_, width, 0.0)


def partial_widths(c, m_zp, inputs):
    """Dict of partial widths [GeV]: ``ee``, ``mumu``, ``tautau``, ``nunu`` (three flavours), ``quarks``."""
    m_lep = inputs["m_lep"]
    leptons = fermion_width(c["g_v_lep"], c["g_a_lep"], m_lep, m_zp)
    quarks = fermion_width(c["g_v_up"], 0.0, inputs["m_up_loop"], m_zp, 3.0) + fermion_width(
        c["g_v_down"], 0.0, inputs["m_down_loop"], m_zp, 3.0
    )
    return {
        "ee": leptons[0],
        "mumu": leptons[1],
        "tautau": leptons[2],
        "nunu": jnp.sum(c["g_nu"] ** 2) * m_zp / (24.0 * jnp.pi),
        "quarks": jnp.sum(quarks),
    }


def total_width(widths):
    """Sum of the partial widths of :func:`partial_widths`."""
    return sum(widths.values())
