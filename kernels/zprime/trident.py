"""Neutrino trident production ν_μ N → ν_μ N μ⁺μ⁻ normalised to the SM (CCFR; docs/physics/zprime.md §3.2).

With L = -(G_F/√2)[ν̄γ^α(1-γ5)ν][μ̄γ_α(C_V - C_A γ5)μ] (SM: C_V = 1/2 + 2 s_W², C_A = 1/2) a Z' adds
c_V/(Q² + m²) to C_V and -c_A/(Q² + m²) to C_A at its virtuality Q², c_V = g^{ν_μ} g_V^μ v², c_A = g^{ν_μ} g_A^μ v²
(v² = 1/(√2 G_F)). The V-A interference vanishes after the symmetric μ⁺μ⁻ integration, so the cross section
is C_V² σ_V + C_A² σ_A with the Z' averaged over the Q² distribution of each piece (two-moment form):

    σ/σ_SM = [C_V² + 2 C_V c_V P1_V + c_V² P2_V + ρ (C_A² - 2 C_A c_A P1_A + c_A² P2_A)] / [C_V² + ρ C_A²],
    P1_X = <1/(Q² + m²)>_X,   P2_X = <1/(Q² + m²)²>_X,   ρ = σ_A/σ_V.

P1, P2 and ρ are averaged over the CCFR beam (mono-energetic 130 GeV) and the ⁵⁶Fe form factor by the
project's equivalent-photon calculation (:mod:`flavorscan.kernels.zprime.trident_epa`), tabulated in
kernels/data/zprime_trident.toml by scripts/trident_table.py (40 points per decade, 1e-5 .. 1e3 GeV) and
interpolated here linearly in (log m, log P). Outside the table: power-law continuation with the end slopes
(contact decoupling 1/m², 1/m⁴ above; saturation of P1_V and the logarithmic growth of P2_V below).

Methods (``PROPAGATORS``): ``"epa"`` (default, the above) and ``"contact"`` (P1 = 1/m², P2 = 1/m⁴, ρ = 1: the
massless-muon contact formula of Altmannshofer et al. arXiv:1406.2332 and flavio's R_trident, valid for
m_Z' ≫ 1.5 GeV only).
"""

from __future__ import annotations

import jax.numpy as jnp

MOMENTS = ("P1_V", "P2_V", "P1_A", "P2_A")


def sm_coefficients(s_w2):
    """(C_V, C_A) of the SM ν_μ μ → ν_μ μ amplitude (W and Z exchange)."""
    return 0.5 + 2.0 * s_w2, 0.5


def _log_interp(x, xs, ys):
    """Piecewise-linear y(x) through (xs, ys), continued linearly with the end slopes."""
    inside = jnp.interp(x, xs, ys)
    lo_slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
    hi_slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    below = ys[0] + lo_slope * (x - xs[0])
    above = ys[-1] + hi_slope * (x - xs[-1])
    return jnp.where(x < xs[0], below, jnp.where(x > xs[-1], above, inside))


def epa_moments(m_zp, inputs):
    """(P1_V, P2_V, P1_A, P2_A, ρ) at m_Z' from the tabulated equivalent-photon moments (GeV⁻², GeV⁻⁴)."""
    x = jnp.log10(m_zp)
    xs = inputs["zp_trident_log10_m"]
    table = inputs["zp_trident_log_moments"]  # (4, n): natural logs of P1_V, P2_V, P1_A, P2_A
    moments = [jnp.exp(_log_interp(x, xs, table[i])) for i in range(4)]
    return (*moments, inputs["zp_trident_rho"])


def contact_moments(m_zp, inputs):
    """The contact limit: P1 = 1/m², P2 = 1/m⁴ for both currents, ρ = 1 (massless muons)."""
    p1 = 1.0 / m_zp**2
    return p1, p1**2, p1, p1**2, jnp.ones_like(p1)


PROPAGATORS = {"epa": epa_moments, "contact": contact_moments}
DEFAULT_METHOD = "epa"


def trident_ratio(g_nu_mu, g_v_mu, g_a_mu, m_zp, inputs, method=DEFAULT_METHOD):
    """σ/σ_SM of ν_μ trident production (CCFR); ``method`` names the moments (``PROPAGATORS``)."""
    if method not in PROPAGATORS:
        raise ValueError(f"trident method must be one of {sorted(PROPAGATORS)}, got {method!r}")
    c_v_sm, c_a_sm = sm_coefficients(inputs["s_W2"])
    p1_v, p2_v, p1_a, p2_a, rho = PROPAGATORS[method](m_zp, inputs)
    v2 = inputs["v"] ** 2
    c_v, c_a = g_nu_mu * g_v_mu * v2, g_nu_mu * g_a_mu * v2
    vector = c_v_sm**2 + 2.0 * c_v_sm * c_v * p1_v + c_v**2 * p2_v
    axial = c_a_sm**2 - 2.0 * c_a_sm * c_a * p1_a + c_a**2 * p2_a
    return (vector + rho * axial) / (c_v_sm**2 + rho * c_a_sm**2)
