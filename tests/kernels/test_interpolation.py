"""kernels.interpolation.piecewise_linear against numpy.interp (inside) and the end segments' lines (outside)."""

from __future__ import annotations

import jax
import numpy as np

from flavorscan.kernels.interpolation import piecewise_linear


def _reference(x, knots, values):
    inside = np.interp(x, knots, values)
    below = values[0] + (values[1] - values[0]) / (knots[1] - knots[0]) * (x - knots[0])
    above = values[-1] + (values[-1] - values[-2]) / (knots[-1] - knots[-2]) * (x - knots[-1])
    return np.where(x < knots[0], below, np.where(x > knots[-1], above, inside))


def test_piecewise_linear_against_numpy_interp():
    rng = np.random.default_rng(7)
    knots = np.sort(rng.uniform(500.0, 3000.0, 16))
    values = rng.lognormal(0.0, 2.0, 16)
    x = np.concatenate([rng.uniform(0.0, 4000.0, 500), knots])
    got = np.asarray(jax.vmap(lambda m: piecewise_linear(m, knots, values))(x))
    np.testing.assert_allclose(got, _reference(x, knots, values), rtol=1e-12, atol=1e-12 * values.max())


def test_piecewise_linear_tables_and_single_knot():
    knots = np.array([1.0, 2.0, 4.0])
    table = np.array([[[1.0, 2.0], [3.0, 4.0]], [[2.0, 2.0], [0.0, 4.0]], [[6.0, 0.0], [1.0, 4.0]]])
    for x in (0.5, 1.0, 1.5, 3.0, 4.0, 7.0):
        expected = np.array([[_reference(np.array(x), knots, table[:, i, j]) for j in range(2)] for i in range(2)])
        np.testing.assert_allclose(np.asarray(piecewise_linear(x, knots, table)), expected, rtol=1e-14, atol=1e-14)
    assert float(piecewise_linear(123.0, [1000.0], [0.5])) == 0.5
