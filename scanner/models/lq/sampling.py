"""Random leptoquark textures of one chunk (the [scan] priors of :mod:`.card`).

Every quantity draws from its own ``fold_in(chunk key, k)`` with a fixed k (M_R2: 0, M_S1: 1, m0I0: 2, coupling
matrix m: 10 + m, I0 parameter i: 20 + i), so adding a quantity never changes the others' values.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from flavorscan.kernels.names import COUPLINGS, I0_PARAMETERS
from flavorscan.scanner.sampling import chunk_key, draw, uniform


def _sample_matrix(key, spec: dict, size: int):
    """One coupling matrix per point: keys (on, magnitude, phase) = split(key, 3), each drawn only if needed.

    The sparsity draw is skipped where it is decided anyway (every probability 0 or 1, a trace-time check),
    and a matrix that is off everywhere draws nothing; the magnitude and phase values do not depend on
    whether the mask was drawn.
    """
    k_on, k_mag, k_phase = jax.random.split(key, 3)
    probability = [[float(p) for p in row] for row in spec["probability"]]
    flat = [p for row in probability for p in row]
    real = jnp.result_type(float)
    complex_dtype = jnp.result_type(1j)
    if all(p == 0.0 for p in flat):
        return jnp.zeros((size, 3, 3), complex_dtype)
    log_lo, log_hi = jnp.log(jnp.asarray(spec["magnitude_lo"], real)), jnp.log(jnp.asarray(spec["magnitude_hi"], real))
    magnitude = jnp.exp(log_lo + uniform(k_mag, (size, 3, 3)) * (log_hi - log_lo))
    if spec["phase"] == "uniform":
        angle = uniform(k_phase, (size, 3, 3)) * (2.0 * math.pi)
        value = jax.lax.complex(magnitude * jnp.cos(angle), magnitude * jnp.sin(angle))
    elif spec["phase"] == "sign":
        sign = jnp.where(uniform(k_phase, (size, 3, 3)) < 0.5, 1.0, -1.0)
        value = jax.lax.complex(magnitude * sign, jnp.zeros_like(magnitude))
    else:
        sign = jnp.asarray(spec["sign"], real)
        value = jax.lax.complex(magnitude * sign, jnp.zeros_like(magnitude))
    if all(p in (0.0, 1.0) for p in flat):
        on = jnp.asarray([[p == 1.0 for p in row] for row in probability])
    else:
        on = uniform(k_on, (size, 3, 3)) < jnp.asarray(probability, real)
    return jnp.where(on, value, 0.0)


def sample(scan: dict, chunk_index, size: int) -> dict:
    """The leptoquark params of chunk ``chunk_index`` (leading axis ``size``); m0I0 is left out in I0/dm3l
    mode. (Every model's sampler has this signature: the engine calls ``sample(scan, chunk_index, size)``.)

    Every quantity draws from its own fold_in(chunk key, k) with a fixed k, so adding a quantity never
    changes the others' values.
    """
    key = chunk_key(scan["seed"], chunk_index)
    params = {
        "M_R2": draw(jax.random.fold_in(key, 0), scan["M_R2"], size),
        "M_S1": draw(jax.random.fold_in(key, 1), scan["M_S1"], size),
    }
    for index, name in enumerate(COUPLINGS):
        if name in scan["couplings"]:
            params[name] = _sample_matrix(jax.random.fold_in(key, 10 + index), scan["couplings"][name], size)
        else:
            params[name] = jnp.zeros((size, 3, 3), jnp.result_type(1j))
    if "m0I0" in scan:
        params["m0I0"] = draw(jax.random.fold_in(key, 2), scan["m0I0"], size)
    if "I0" in scan:
        for index, name in enumerate(I0_PARAMETERS):
            params[name] = draw(jax.random.fold_in(key, 20 + index), {"range": scan["I0"][name], "prior": "uniform"}, size)
    return params
