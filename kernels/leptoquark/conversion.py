"""Coherent mu -> e conversion in gold from tree-level S1 and R2 exchange (docs/physics/leptoquark.md section 4).

Kitano, Koike, Okada, Phys. Rev. D 66 (2002) 096002 [hep-ph/0203110], Eqs. (14)-(15), vector operators only.
With the normalisation
    L = -(G_F/sqrt2) sum_q [g_LV(q) (e-bar gamma^mu P_L mu) + g_RV(q) (e-bar gamma^mu P_R mu)] (q-bar gamma_mu q)
the Fierzed leptoquark exchanges give (only the vector half of each chiral quark current is coherent)

    g_RV(u) = [ f^R_{u mu} f^R*_{u e} / M_R2^2  -  y^R_{u mu} y^R*_{u e} / M_S1^2 ] / (2 sqrt2 G_F)
    g_LV(u) = [ f^L_{u mu} f^L*_{u e} / M_R2^2  -  y^L_{u mu} y^L*_{u e} / M_S1^2 ] / (2 sqrt2 G_F)
    g_RV(d) = f-hat^R_{d mu} f-hat^R*_{d e} / (2 sqrt2 G_F M_R2^2),            g_LV(d) = 0

(R^{5/3}, R^{2/3} and S1; the S1 terms flip sign because the S1 vertex involves the charge-conjugate quark and
the vector current is C-odd). Then

    omega_conv = 2 G_F^2 m_mu^5 (|g~_LV^(p) V^(p) + g~_LV^(n) V^(n)|^2 + |g~_RV^(p) V^(p) + g~_RV^(n) V^(n)|^2) / hbar,
    g~^(p) = 2 g(u) + g(d),  g~^(n) = g(u) + 2 g(d),   CR = omega_conv / omega_capt,

with the overlap integrals V in units of m_mu^{5/2}. Neglected: the dipole (D) and scalar (S) terms of the same
paper; the dipole piece is loop-suppressed relative to tree-level vector exchange.

The gold numbers below are APPROXIMATE (recalled from Kitano et al. Table I and the capture rate quoted there,
not re-read from the source; docs/physics/leptoquark.md section 4): V^(p) = 0.0974, V^(n) = 0.146,
omega_capt = 13.07e6 s^-1. The letter's bound |f f*| < 8.58e-6 (M/TeV)^2 is not reproduced by this formula: with
CR(Au) < 7e-13 a single d-quark (R^{2/3}) product gives 3.47e-6 and a single u-quark product 3.97e-6
(docs/physics/leptoquark.md section 8, item 5).
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.couplings import f_r_hat
from flavorscan.kernels.leptoquark.loops import abs2
from flavorscan.kernels.observable import Observable

# Gold, Kitano-Koike-Okada (approximate, see module docstring).
AU_V_PROTON = 0.0974
AU_V_NEUTRON = 0.146
AU_CAPTURE_RATE = 13.07e6  # s^-1

OBSERVABLES = (Observable("cr_mu_e_au", "", "mu -> e conversion rate in gold over the muon capture rate"),)

_UP, _DOWN = 0, 0  # first generation rows of the up- and down-quark coupling matrices
_E, _MU = 0, 1


def _pair(coupling, row):
    """coupling[row, mu] coupling*[row, e]: the lepton-flavour-changing product of one quark flavour."""
    return coupling[row, _MU] * jnp.conj(coupling[row, _E])


def _gold_amplitude(g_u, g_d):
    """g~^(p) V^(p) + g~^(n) V^(n) with the valence-quark counting g~^(p) = 2 g_u + g_d, g~^(n) = g_u + 2 g_d."""
    return (2.0 * g_u + g_d) * AU_V_PROTON + (g_u + 2.0 * g_d) * AU_V_NEUTRON


def conversion_observables(params, inputs):
    """{"cr_mu_e_au": CR(mu -> e, Au)} of one point (formula in the module docstring)."""
    norm = 1.0 / (2.0 * jnp.sqrt(2.0) * inputs["G_F"])
    inv_r2 = 1.0 / params["M_R2"] ** 2
    inv_s1 = 1.0 / params["M_S1"] ** 2
    g_rv_u = norm * (_pair(params["fR"], _UP) * inv_r2 - _pair(params["yR"], _UP) * inv_s1)
    g_lv_u = norm * (_pair(params["fL"], _UP) * inv_r2 - _pair(params["yL"], _UP) * inv_s1)
    g_rv_d = norm * _pair(f_r_hat(params["fR"], inputs["ckm"]), _DOWN) * inv_r2
    m_mu = inputs["m_lep"][_MU]
    squared = abs2(_gold_amplitude(g_lv_u, 0.0)) + abs2(_gold_amplitude(g_rv_u, g_rv_d))
    omega = 2.0 * inputs["G_F"] ** 2 * m_mu**5 * squared
    return {"cr_mu_e_au": omega / inputs["hbar"] / AU_CAPTURE_RATE}
