"""Leptoquark loop functions f_S, f_F, g_S, g_F against Feynman-parameter quadrature and analytic limits.

Reference: tests/reference/lq_dipoles_numpy.py evaluates int_0^1 w(t)/(1 - t + t x) dt (and its x-derivative)
with scipy quadrature; the closed forms of docs/physics/leptoquark.md section 3 are checked against the same
integrals here, so the kernel is compared with an independent representation, not with its own formulas.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flavorscan.kernels.leptoquark import loops
from tests.reference import lq_dipoles_numpy as ref

NAMES = ("f_S", "f_F", "g_S", "g_F")
EDGE = loops.SERIES_HALF_WIDTH
# Required points, the extremes of the documented range, and both sides of the series window edges.
X_POINTS = np.array(
    [1e-14, 1e-12, 1e-6, 0.5, 1 - 1e-4, 1.0, 1 + 1e-4, 10.0, 1e3, 1e4,
     1 - EDGE - 1e-4, 1 - EDGE + 1e-4, 1 + EDGE - 1e-4, 1 + EDGE + 1e-4, 1 - 2e-3, 1 + 2e-3]
)


def _closed_forms_numpy(x):
    """docs/physics/leptoquark.md section 3 as printed (valid away from x = 1)."""
    lx = math.log(x)
    return {
        "f_S": (x + 1) / (4 * (1 - x) ** 2) + x * lx / (2 * (1 - x) ** 3),
        "f_F": (x * x - 5 * x - 2) / (12 * (x - 1) ** 3) + x * lx / (2 * (x - 1) ** 4),
        "g_S": 1 / (x - 1) - lx / (x - 1) ** 2,
        "g_F": (x - 3) / (2 * (x - 1) ** 2) + lx / (x - 1) ** 3,
    }


def _loop_sum(x):
    return sum(loops.loop_functions(x)[:4])


@jax.jit
def _evaluate(x):
    """Values, first derivatives (autodiff) and dg_F of all functions, plus d/dx and d2/dx2 of their sum."""
    values = {n: getattr(loops, n)(x) for n in NAMES + ("dg_F",)}
    grads = jax.vmap(lambda y: {n: jax.grad(getattr(loops, n))(y) for n in NAMES})(x)
    first = jax.vmap(jax.grad(_loop_sum))(x)
    second = jax.vmap(jax.grad(jax.grad(_loop_sum)))(x)
    return values, grads, first, second


DENSE = np.concatenate(
    [np.logspace(-14, 4, 181), 1.0 + np.linspace(-0.06, 0.06, 241), [1.0, 1 - EDGE, 1 + EDGE, 0.0]]
)


@pytest.fixture(scope="module")
def kernel_values():
    values, grads, first, second = _evaluate(jnp.asarray(np.concatenate([X_POINTS, DENSE])))
    n = len(X_POINTS)
    values = {k: np.asarray(v) for k, v in values.items()}
    return (
        {k: v[:n] for k, v in values.items()},
        {k: np.asarray(v)[:n] for k, v in grads.items()},
        {
            "values": {k: v[n:] for k, v in values.items()},
            "first": np.asarray(first)[n:],
            "second": np.asarray(second)[n:],
        },
    )


def test_integral_representation_matches_printed_closed_forms():
    # The reference integrals are only a valid reference if they are the functions of section 3.
    for x in (1e-3, 0.3, 0.8, 1.7, 25.0):
        printed = _closed_forms_numpy(x)
        for name in NAMES:
            assert ref.loop_integral(name, x) == pytest.approx(printed[name], rel=1e-10), (name, x)


@pytest.mark.parametrize("name", NAMES)
def test_values_against_quadrature(kernel_values, name):
    values, _, _ = kernel_values
    expected = np.array([ref.loop_integral(name, x) for x in X_POINTS])
    np.testing.assert_allclose(values[name], expected, rtol=1e-10, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_against_quadrature_and_finite_differences(kernel_values, name):
    _, grads, _ = kernel_values
    near_one = np.abs(X_POINTS - 1.0) < 0.1
    exact = np.array([ref.loop_integral_derivative(name, x) for x in X_POINTS])
    np.testing.assert_allclose(grads[name], exact, rtol=1e-8, atol=0)
    h = 1e-4
    central = np.array(
        [(ref.loop_integral(name, x + h) - ref.loop_integral(name, x - h)) / (2 * h) for x in X_POINTS[near_one]]
    )
    np.testing.assert_allclose(grads[name][near_one], central, rtol=1e-6, atol=0)


def test_g_f_derivative_function(kernel_values):
    """dg_F (closed form / series, used by the Z vertex) against quadrature of -int t^3/D^2 and autodiff of g_F."""
    values, grads, _ = kernel_values
    values = values["dg_F"]
    expected = np.array([ref.loop_integral_derivative("g_F", x) for x in X_POINTS])
    np.testing.assert_allclose(values, expected, rtol=1e-9, atol=0)
    np.testing.assert_allclose(values, grads["g_F"], rtol=1e-9, atol=0)
    assert float(loops.dg_F(1.0)) == pytest.approx(-0.25, abs=1e-16)


def test_limits(kernel_values):
    dense = kernel_values[2]["values"]
    at = {x: int(np.nonzero(DENSE == x)[0][0]) for x in (0.0, 1.0, 1e-12)}
    assert dense["f_S"][at[0.0]] == pytest.approx(0.25, abs=1e-16)
    assert dense["f_F"][at[0.0]] == pytest.approx(1 / 6, abs=1e-16)
    assert dense["f_S"][at[1.0]] == pytest.approx(1 / 12, abs=1e-16)
    assert dense["f_F"][at[1.0]] == pytest.approx(1 / 24, abs=1e-16)
    assert dense["g_S"][at[1.0]] == pytest.approx(0.5, abs=1e-16)
    assert dense["g_F"][at[1.0]] == pytest.approx(1 / 3, abs=1e-16)
    # small-x logarithms: g_S -> -1 - ln x, g_F -> -3/2 - ln x (+ O(x ln x))
    assert dense["g_S"][at[1e-12]] == pytest.approx(-1 - math.log(1e-12), rel=1e-10)
    assert dense["g_F"][at[1e-12]] == pytest.approx(-1.5 - math.log(1e-12), rel=1e-10)


def test_gradients_finite_everywhere(kernel_values):
    dense = kernel_values[2]
    finite = DENSE > 0  # at x = 0 itself the slopes of x ln x and ln x are genuinely infinite
    assert np.all(np.isfinite(dense["first"][finite])) and np.all(np.isfinite(dense["second"][finite]))
