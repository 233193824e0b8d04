"""Leptoquark decay branching ratios for the LHC pair-production limits (docs/physics/leptoquark.md section 6.6).

Pair production (QCD) depends only on the mass; a search in the channel X excludes the mass range where
sigma(M) BR(X)^2 exceeds its cross-section limit. The measurement sets hold, per channel, the largest allowed
branching ratio as a function of the mass (`mass_dependent_upper_limit` on the observables below); this module
computes each point's branching ratios. Two-body widths with a massless lepton and a quark of mass m_q:

    Gamma(S -> q l) = (|l|^2 + |r|^2) M (1 - m_q^2/M^2)^2 / (16 pi)

(the l-r interference is proportional to m_l and dropped). Components and couplings (section 1): R^{5/3} -> u_i l_j
(f^L, f^R), R^{2/3} -> u_i nu_j (f^L) and d_k l_j (f-hat^R = V^dagger f^R), S1 -> u_i l_j (y^L, y^R) and d_k nu_j
(y-hat^L = -V^T y^L). The top quark has its pole mass (input m_t_pole); the other quarks are massless here. A
leptoquark without couplings has all branching ratios 0.

Channels (`bound_lhc_pair_<component>_<channel>`, components r53 = R^{5/3}, r23 = R^{2/3}, s1 = S1): the
final states of the published searches (B = 1 mass limits in docs/physics/inputs.md): t tau, t mu, t e, b tau,
b mu, b e, t nu, b nu, and light jets (u, c for up-type, d, s for down-type) with mu (`jmu`), e (`je`) or a
neutrino (`jnu`). Light-quark-tau final states (u tau, c tau, d tau, s tau) have no pair-production search and are
not listed (their couplings are bounded by the Drell-Yan tails, bounds.py).
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.couplings import f_r_hat, y_l_hat
from flavorscan.kernels.leptoquark.loops import abs2
from flavorscan.kernels.observable import Observable

_E, _MU, _TAU = 0, 1, 2
_FIRST_TWO, _THIRD = slice(0, 2), 2

CHANNELS = {
    "r53": {"ttau": "t tau", "tmu": "t mu", "te": "t e", "jmu": "(u, c) mu", "je": "(u, c) e"},
    "r23": {"btau": "b tau", "bmu": "b mu", "be": "b e", "tnu": "t nu", "jnu": "(u, c) nu", "jmu": "(d, s) mu",
            "je": "(d, s) e"},
    "s1": {"ttau": "t tau", "tmu": "t mu", "te": "t e", "jmu": "(u, c) mu", "je": "(u, c) e", "bnu": "b nu",
           "jnu": "(d, s) nu"},
}
_LQ_TEXT = {"r53": "R2 (charge 5/3)", "r23": "R2 (charge 2/3)", "s1": "S1"}

OBSERVABLES = tuple(
    Observable(f"bound_lhc_pair_{lq}_{channel}", "", f"BR({_LQ_TEXT[lq]} -> {text}) (LHC pair production)")
    for lq, channels in CHANNELS.items()
    for channel, text in channels.items()
)


def _phase_space(m_q, mass):
    return (1.0 - jnp.minimum((m_q / mass) ** 2, 1.0)) ** 2


def _fractions(widths):
    """{channel: width} -> {channel: width/total}, 0 when the total vanishes."""
    total = sum(jnp.sum(w) for w in widths.values())
    positive = total > 0
    safe = jnp.where(positive, total, 1.0)
    return {k: jnp.where(positive, jnp.sum(w) / safe, 0.0) for k, w in widths.items()}


def branching_ratios(params, inputs):
    """{"r53": {...}, "r23": {...}, "s1": {...}}: partial widths (up to M/16 pi) per final state, summed into the
    channels of CHANNELS plus a "rest" entry (u tau, c tau, ...), normalised to branching ratios."""
    ckm = inputs["ckm"]
    m_t = inputs["m_t_pole"]
    f_l, f_r, y_l, y_r = params["fL"], params["fR"], params["yL"], params["yR"]
    f_hat, y_hat = f_r_hat(f_r, ckm), y_l_hat(y_l, ckm)
    top_r2 = _phase_space(m_t, params["M_R2"])
    top_s1 = _phase_space(m_t, params["M_S1"])

    def up_widths(left, right, top):
        w = abs2(left) + abs2(right)
        return w.at[_THIRD].multiply(top)

    r53 = up_widths(f_l, f_r, top_r2)  # [up quark, lepton]
    s1 = up_widths(y_l, y_r, top_s1)
    r23_nu = up_widths(f_l, jnp.zeros_like(f_l), top_r2)
    r23_l = abs2(f_hat)
    s1_nu = abs2(y_hat)

    def charged(w):
        return {"ttau": w[_THIRD, _TAU], "tmu": w[_THIRD, _MU], "te": w[_THIRD, _E], "jmu": w[_FIRST_TWO, _MU],
                "je": w[_FIRST_TWO, _E], "rest": w[_FIRST_TWO, _TAU]}

    out = {
        "r53": _fractions(charged(r53)),
        "r23": _fractions({"btau": r23_l[_THIRD, _TAU], "bmu": r23_l[_THIRD, _MU], "be": r23_l[_THIRD, _E],
                           "tnu": r23_nu[_THIRD], "jnu": r23_nu[_FIRST_TWO], "jmu": r23_l[_FIRST_TWO, _MU],
                           "je": r23_l[_FIRST_TWO, _E], "rest": r23_l[_FIRST_TWO, _TAU]}),
        "s1": _fractions(dict(charged(s1), bnu=s1_nu[_THIRD], jnu=s1_nu[_FIRST_TWO])),
    }
    return out


def lhc_observables(params, inputs):
    """bound_lhc_pair_<component>_<channel> branching ratios of one point (module docstring)."""
    ratios = branching_ratios(params, inputs)
    return {f"bound_lhc_pair_{lq}_{channel}": ratios[lq][channel]
            for lq, channels in CHANNELS.items() for channel in channels}
