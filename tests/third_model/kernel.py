"""Physics of the toy model: one-loop Delta a_mu of a real scalar coupling g phi mu-bar mu (pure JAX).

    Delta a_mu = g^2 / (8 pi^2) * I(r),  I(r) = int_0^1 dx (1 - x)^2 (1 + x) / ((1 - x)^2 + x r),  r = m^2/m_mu^2

(Jegerlehner and Nyffeler, Phys. Rept. 477 (2009) 1, Eq. 257 for a scalar). The integral is evaluated with two
fixed 64-point Gauss-Legendre rules, in log x on [1e-14, 1/2] and in log(1 - x) on [1/2, 1 - 1e-14], which
resolve both end-point regions for 1e-8 <= r <= 1e5 (tests/cli/test_third_model.py checks it against scipy
quadrature).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels.observable import Observable

M_MU = 0.1056583755
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
_LOG_LO, _LOG_HI = math.log(1e-14), math.log(0.5)
_S = 0.5 * (_LOG_HI - _LOG_LO) * (_NODES + 1.0) + _LOG_LO
X = np.concatenate([np.exp(_S), 1.0 - np.exp(_S)])
W = np.tile(0.5 * (_LOG_HI - _LOG_LO) * _WEIGHTS * np.exp(_S), 2)

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
