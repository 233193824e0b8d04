"""Tabulated light-Z' limits, rescaled to each model's couplings and branching ratios, and ΔN_eff
(docs/physics/zprime.md §3.7-3.8). The curves are data (kernels/data/zprime_limits.toml, zprime_neff.toml) that
kernels.zprime.models.zprime_inputs puts into ``inputs`` as ``<prefix>_m`` and ``<prefix>_y``.

A limit on the coupling g of a reference model (L_μ - L_τ at ε = 0) from a search whose signal is radiated off
muons and observed in one decay channel is recast as in DarkCast (Ilten, Soreq, Williams, Xue, arXiv:1801.04847):
the signal rate scales as (g_V^μ² + g_A^μ²) × BR(Z' → channel), so the model's equivalent coupling is

    g_eff = sqrt[(g_V^μ² + g_A^μ²) BR_model(channel) / BR_ref(channel; m)],

and the observable is g_eff / g_limit(m) (≤ 1 passes; 0 where the curve has no limit). The curves are
interpolated linearly in (log m, log g). (g_V² + g_A² is the m_μ² ≪ s limit of the production rate; for a chiral
muon coupling it is an approximation.)

B⁺ → K⁺ Z' (Z' → invisible) against mass-binned two-body recasts: BR(B⁺ → K⁺ Z') BR(Z' → νν̄) / BR_limit(m).

ΔN_eff: a Z' in equilibrium with the neutrinos that decays after neutrino decoupling heats them (table of the
project's calculation, zprime_neff.toml). The kernel scales the table by the share of the Z' width that goes
into neutrinos (Γ_νν / (Γ_νν + Γ_ee); a Z' decaying to e⁺e⁻ heats the photons instead, which this table does
not describe) and switches it off below the thermalisation coupling |g_ν| = 1e-9 (approx).
"""

from __future__ import annotations

import jax.numpy as jnp

THERMALISATION_COUPLING = 1e-9
"""|g_ν| below which a Z' of 1-50 MeV does not reach equilibrium with the neutrinos (arXiv:1901.02010, approx)."""


def reference_branching(m_zp, inputs):
    """BR(Z' → μμ), BR(Z' → νν̄) of L_μ - L_τ at ε = 0 (tree level: μ, τ, ν_μ, ν_τ)."""
    m_mu, m_tau = inputs["m_lep"][1], inputs["m_lep"][2]

    def lepton(m_f):
        r = (m_f / m_zp) ** 2
        beta2 = 1.0 - 4.0 * r
        open_ = beta2 > 0.0
        return jnp.where(open_, jnp.sqrt(jnp.where(open_, beta2, 1.0)) * (1.0 + 2.0 * r), 0.0) / (12.0 * jnp.pi)

    mumu, tautau = lepton(m_mu), lepton(m_tau)
    nunu = 2.0 / (24.0 * jnp.pi)
    total = mumu + tautau + nunu
    return mumu / total, nunu / total


def curve(m, xs, ys, flat_below=False):
    """(limit, inside): the tabulated y(m), log-log interpolated, and whether m lies inside the curve's range
    (``flat_below``: below the first mass the first value holds, as for the two-body B → K bounds, which are flat
    towards m → 0). An empty table means no limit anywhere (static: decided at trace time)."""
    if xs.shape[0] == 0:
        return jnp.ones_like(m), jnp.zeros_like(m, dtype=bool)
    log_m = jnp.log(m)
    value = jnp.exp(jnp.interp(log_m, jnp.log(xs), jnp.log(ys)))
    inside = ((m >= xs[0]) | flat_below) & (m <= xs[-1])
    return value, inside


def coupling_ratio(g_v_mu, g_a_mu, branching, reference, m_zp, inputs, prefix):
    """g_eff/g_limit(m) of the module docstring for the curve ``prefix`` (0 outside the curve)."""
    limit, inside = curve(m_zp, inputs[f"{prefix}_m"], inputs[f"{prefix}_y"])
    usable = inside & (reference > 0.0)
    scale = jnp.where(usable, branching / jnp.where(usable, reference, 1.0), 0.0)
    g_eff2 = (g_v_mu**2 + g_a_mu**2) * scale
    # sqrt with a safe argument (the gradient of sqrt at 0 is infinite)
    g_eff = jnp.where(g_eff2 > 0.0, jnp.sqrt(jnp.where(g_eff2 > 0.0, g_eff2, 1.0)), 0.0)
    return jnp.where(usable, g_eff / limit, 0.0)


def branching_ratio_bound(br, m_zp, inputs, prefix):
    """br / BR_limit(m) for a mass-binned branching-ratio curve (flat below its first mass, 0 above its last)."""
    limit, inside = curve(m_zp, inputs[f"{prefix}_m"], inputs[f"{prefix}_y"], flat_below=True)
    return jnp.where(inside, br / limit, 0.0)


def delta_n_eff(m_zp, widths, g_nu, inputs):
    """ΔN_eff at the CMB (module docstring)."""
    xs, ys = inputs["zp_neff_m"], inputs["zp_neff_y"]
    table = jnp.interp(jnp.log(m_zp), jnp.log(xs), ys, left=ys[0], right=0.0)
    into_nu = widths["nunu"] + widths["ee"]
    share = jnp.where(into_nu > 0.0, widths["nunu"] / jnp.where(into_nu > 0.0, into_nu, 1.0), 0.0)
    thermal = jnp.max(jnp.abs(g_nu)) > THERMALISATION_COUPLING
    return jnp.where(thermal, table * share, 0.0)


def bounds(c_on_shell, widths, branching, br_b_k_inv, m_zp, inputs):
    """Every tabulated-limit observable of one point: ``bound_babar_4mu``, ``bound_belle2_inv``,
    ``bound_na64mu``, ``bound_b_k_inv_belle2``, ``bound_b_k_inv_babar`` and ``delta_n_eff``.

    ``c_on_shell``: couplings with the kinetic mixing at q² = m_Z'² (on-shell production); ``branching``:
    {"mumu", "inv"} of the model."""
    g_v, g_a = c_on_shell["g_v_lep"][1], c_on_shell["g_a_lep"][1]
    ref_mumu, ref_inv = reference_branching(m_zp, inputs)
    return {
        "bound_babar_4mu": coupling_ratio(g_v, g_a, branching["mumu"], ref_mumu, m_zp, inputs, "zp_babar_4mu"),
        "bound_belle2_inv": coupling_ratio(g_v, g_a, branching["inv"], ref_inv, m_zp, inputs, "zp_belle2_inv"),
        "bound_na64mu": coupling_ratio(g_v, g_a, branching["inv"], ref_inv, m_zp, inputs, "zp_na64mu"),
        "bound_b_k_inv_belle2": branching_ratio_bound(br_b_k_inv, m_zp, inputs, "zp_bk_belle2"),
        "bound_b_k_inv_babar": branching_ratio_bound(br_b_k_inv, m_zp, inputs, "zp_bk_babar"),
        "delta_n_eff": delta_n_eff(m_zp, widths, c_on_shell["g_nu"], inputs),
    }
