"""Physics of the toy model: one-loop Delta a_mu of a real scalar coupling g phi mu-bar mu (pure JAX).

    Delta a_mu = g^2 / (8 pi^2) * I(r),  I(r) = int_0^1 dx (1 - x)^2 (1 + x) / ((1 - x)^2 + x r),  r = m^2/m_mu^2

(Jegerlehner and Nyffeler, Phys. Rept. 477 (2009) 1, Eq. 257 for a scalar). The integral is evaluated with a
fixed 64-point Gauss-Legendre rule (tests/cli/test_third_model.py checks it against scipy quadrature).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels.observable import Observable

M_MU = 0.1056583755
NODES, WEIGHTS = np.polynomial.legendre.leggauss(64)
X = 0.5 * (NODES + 1.0)
W = 0.5 * WEIGHTS

OBSERVABLES = (
    Observable("delta_a_mu", "", "one-loop scalar contribution to a_mu"),
    Observable("toy_coupling_sq", "", "g^2 (a second observable, for plots)"),
)


def loop_integral(r):
    x = jnp.asarray(X)
    return jnp.sum(jnp.asarray(W) * (1 - x) ** 2 * (1 + x) / ((1 - x) ** 2 + x * r))


def toy_observables(params, inputs) -> dict:
    g, m = params["g"], params["m"]
    return {
        "delta_a_mu": g**2 / (8 * math.pi**2) * loop_integral((m / M_MU) ** 2),
        "toy_coupling_sq": g**2,
    }
