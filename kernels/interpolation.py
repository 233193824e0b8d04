"""Piecewise-linear interpolation in a constant table, written for vmapped evaluation."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def piecewise_linear(x, knots, values):
    """The line through (knots[k], values[k]) between the knots, extended linearly beyond both ends.

    knots: increasing constants (n,); values: constants (n, ...); x: traced scalar. Written as a sum of hinges,

        f(x) = v_0 + s_0 (x - k_0) + sum_{k=1}^{n-2} (s_k - s_{k-1}) max(x - k_k, 0),
        s_k = (v_{k+1} - v_k)/(k_{k+1} - k_k),

    i.e. element-wise arithmetic only: a search for the segment and a gather of its ends (what
    ``jnp.interp`` does) do not vectorise under vmap on the CPU (measured: the 29 interpolated LHC limits
    of the leptoquark constraint set took 0.87 ms of a 4096-point chunk, BENCHMARKS.md)."""
    knots = np.asarray(knots, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if len(knots) == 1:
        return values[0] + 0.0 * x
    steps = np.diff(knots).reshape((-1,) + (1,) * (values.ndim - 1))
    slopes = np.diff(values, axis=0) / steps
    out = values[0] + slopes[0] * (x - knots[0])
    for k in range(1, len(knots) - 1):
        out = out + (slopes[k] - slopes[k - 1]) * jnp.maximum(x - knots[k], 0.0)
    return out
