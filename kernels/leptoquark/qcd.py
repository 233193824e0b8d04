"""QCD running for the leptoquark kernels: alpha_s above m_t, running quark masses and the LO evolution of
Delta F = 2 coefficients (docs/physics/leptoquark.md sections 3 and 6.8).

The strong coupling at the fixed low scales (m_t = ``m_t_pole``, m_b = ``m_b_threshold``, 4.2 GeV, 2 GeV) is an
input (``alpha_s_mt``, ``alpha_s_mb``, ``alpha_s_4p2``, ``alpha_s_2GeV``: flavio 2.7.1's multi-loop running from
alpha_s(M_Z) = 0.1184). Only alpha_s at a leptoquark mass varies from point to point; it is run at one loop with
n_f = 6 from m_t,

    1/alpha_s(mu) = 1/alpha_s(m_t) + beta_0/(2 pi) ln(mu/m_t),     beta_0 = 11 - 2 n_f/3 = 7,

which agrees with flavio's alpha_s to 0.4% at 1 TeV and 0.6% at 2 TeV (tests/kernels/test_lq_mixing.py). Uses:
m_q(M)/m_q(1 TeV) = [alpha_s(M)/alpha_s(1 TeV)]^(4/7) of ``loop_quark_masses = "lq_scale"``, and the LO factors of
the Delta F = 2 vector operators, C(mu) = C(Lambda) prod [alpha_s(high)/alpha_s(low)]^(6/(33 - 2 n_f)) per n_f
interval. Every function takes arrays and works under jit/vmap/grad.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

BETA0_NF6 = 7.0


def alpha_s(mu, inputs):
    """alpha_s(mu) for mu >= m_t: one-loop n_f = 6 running from alpha_s(m_t) (module docstring)."""
    inverse = 1.0 / inputs["alpha_s_mt"] + BETA0_NF6 / (2.0 * jnp.pi) * jnp.log(jnp.asarray(mu) / inputs["m_t_pole"])
    return 1.0 / inverse


def loop_mass_factor(mass, inputs):
    """m_q(M)/m_q(1 TeV) = [alpha_s(M)/alpha_s(1 TeV)]^(4/7) if ``loop_mass_running`` (1.0), else exactly 1.

    When the flag is a concrete value (inputs closed over by the point function, the scanner's case) the choice is
    made in Python: with the letter's masses the loop quark masses are then constants, and every function of
    m_q/m_Z or m_q/m_l (the threshold terms of the Z and photon vertices) is folded at compile time."""
    flag = inputs["loop_mass_running"]
    if not isinstance(flag, jax.core.Tracer):
        if float(flag) <= 0.5:
            return 1.0
        return (alpha_s(mass, inputs) / alpha_s(1000.0, inputs)) ** (4.0 / 7.0)
    ratio = alpha_s(mass, inputs) / alpha_s(1000.0, inputs)
    return jnp.where(flag > 0.5, ratio ** (4.0 / 7.0), 1.0)


def delta_f2_factor_to_2gev(scale_high, inputs):
    """LO evolution of a Delta F = 2 (V-A)x(V-A) coefficient from scale_high (>= m_t) to 2 GeV (n_f = 6, 5, 4)."""
    a_t, a_b, a_2 = inputs["alpha_s_mt"], inputs["alpha_s_mb"], inputs["alpha_s_2GeV"]
    return (alpha_s(scale_high, inputs) / a_t) ** (6.0 / 21.0) * (a_t / a_b) ** (6.0 / 23.0) * (a_b / a_2) ** (6.0 / 25.0)


def delta_f2_rgi_factor(scale_high, inputs):
    """C_RGI/C(scale_high) of a B-meson (V-A)x(V-A) coefficient at LO: [alpha_s(Lambda)/alpha_s(m_t)]^(6/21)
    alpha_s(m_t)^(6/23), the renormalisation-group-invariant normalisation of the SM coefficient with eta_B."""
    a_t = inputs["alpha_s_mt"]
    return (alpha_s(scale_high, inputs) / a_t) ** (6.0 / 21.0) * a_t ** (6.0 / 23.0)
