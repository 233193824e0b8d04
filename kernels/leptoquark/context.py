"""One-loop quantities of a point that several observable groups share (dipoles, Z and W vertices, LFV penguins).

The dipole loops (dipoles.py), the Z vertex and its zero-momentum LFV penguin (zdecay.py) and the photon penguin
(lfv.py) all need the loop functions f_S, f_F, g_S, g_F, g_F' of :mod:`kernels.leptoquark.loops` at the same
four mass ratios

    x = m_q^2/M^2  for  (up quarks, R2), (down quarks, R2), (up quarks, S1), (down quarks, S1),

and the down-quark couplings f-hat^R = V^dagger f^R, y-hat^L = -V^T y^L. :func:`loop_context` evaluates them once
per point; :func:`kernels.leptoquark.leptoquark_observables` passes the result to every group that takes a
``context``. A group called without one builds its own (same numbers, bit for bit: the same expressions on the same
inputs), so each group can still be evaluated, tested and profiled on its own.

Why: with every group recomputing them, the loop functions (a logarithm, a 14-term series and five divisions per
quark) were evaluated seven times per point and dominated the CPU cost of the new observables.
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.couplings import f_r_hat, y_l_hat
from flavorscan.kernels.leptoquark.loops import loop_functions
from flavorscan.kernels.leptoquark.qcd import loop_mass_factor

UP_R2, DOWN_R2, UP_S1, DOWN_S1 = 0, 1, 2, 3
"""Rows of the (4, 3) arrays of :func:`loop_context`."""


def loop_masses(params, inputs):
    """(m_up, m_down) at each leptoquark: dict {"R2": (up, down), "S1": (up, down)} (scheme of loop_quark_masses)."""
    out = {}
    for lq, key in (("R2", "M_R2"), ("S1", "M_S1")):
        factor = loop_mass_factor(params[key], inputs)
        out[lq] = (inputs["m_up_loop"] * factor, inputs["m_down_loop"] * factor)
    return out


def loop_context(params, inputs):
    """{"m_q": (4, 3) quark masses, "mass": (4,) leptoquark masses, "functions": (f_S, f_F, g_S, g_F, g_F') each
    (4, 3), "f_hat", "y_hat": (3, 3)} with rows (up, R2), (down, R2), (up, S1), (down, S1) (module docstring)."""
    masses = loop_masses(params, inputs)
    (up_r2, down_r2), (up_s1, down_s1) = masses["R2"], masses["S1"]
    m_r2, m_s1 = params["M_R2"], params["M_S1"]
    m_q = jnp.stack([up_r2, down_r2, up_s1, down_s1])
    mass = jnp.stack([m_r2, m_r2, m_s1, m_s1])
    functions = loop_functions((m_q / mass[..., None]) ** 2)
    return {
        "m_q": m_q,
        "mass": mass,
        "functions": functions,
        "f_hat": f_r_hat(params["fR"], inputs["ckm"]),
        "y_hat": y_l_hat(params["yL"], inputs["ckm"]),
    }
