"""Z' points of one chunk: random draws or grid points of the [scan] table (:mod:`.card` explains both)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from flavorscan.scanner.models.zprime.card import CHARGE_KEYS, RANGED, grid_axes
from flavorscan.scanner.sampling import chunk_key, draw

FOLD = {"g_X": 0, "m_Zp": 1, "epsilon": 2, "g_bs": 3}
"""fold_in index of each randomly drawn quantity."""


def charge_table(scan: dict) -> dict:
    """{q, L, E, N}: float64 arrays of shape (len(models), 3)."""
    return {k: np.array([m[k] for m in scan["models"]], dtype=np.float64).reshape(-1, 3) for k in CHARGE_KEYS}


def point_indices(scan: dict, chunk_index, size: int):
    """point_id of the chunk's points (chunk × chunk_size + index)."""
    return jnp.asarray(chunk_index, jnp.int64) * scan["chunk_size"] + jnp.arange(size, dtype=jnp.int64)


def _fixed(value, size):
    return jnp.full((size,), value, dtype=jnp.float64)


def sample(scan: dict, chunk_index, size: int) -> dict:
    """The Z' params of chunk ``chunk_index`` (leading axis ``size``): the pytree of
    :func:`flavorscan.kernels.zprime.models.make_params` with scalars of shape (size,) and charges X_q, X_L,
    X_E, X_N of shape (size, 3)."""
    key = chunk_key(scan["seed"], chunk_index)
    charges = {k: jnp.asarray(v) for k, v in charge_table(scan).items()}
    n_models = len(scan["models"])
    values = {}
    if scan["mode"] == "grid":
        axes = grid_axes(scan)
        total = math.prod(len(v) for _, v in axes)
        g = point_indices(scan, chunk_index, size) % total
        stride = total
        for name, axis_values in axes:
            stride //= len(axis_values)
            digit = (g // stride) % len(axis_values)
            values[name] = jnp.asarray(axis_values)[digit]
        model = values.pop("model")
    else:
        if n_models > 1:
            model = point_indices(scan, chunk_index, size) % n_models
        else:
            model = jnp.zeros((size,), jnp.int64)
        for name in RANGED:
            if isinstance(scan[name], dict):
                values[name] = draw(jax.random.fold_in(key, FOLD[name]), scan[name], size).astype(jnp.float64)
    loop = scan["epsilon"] == "loop"
    for name in RANGED:
        if name not in values:
            fixed = 0.0 if (name == "epsilon" and loop) else scan[name]
            values[name] = _fixed(fixed, size)
    return {
        "g_X": values["g_X"],
        "m_Zp": values["m_Zp"],
        "epsilon": values["epsilon"],
        "epsilon_loop": _fixed(1.0 if loop else 0.0, size),
        "g_bs_L": values["g_bs"],
        "g_bs_R": _fixed(0.0, size),
        "X_q": charges["q"][model],
        "X_L": charges["L"][model],
        "X_E": charges["E"][model],
        "X_N": charges["N"][model],
    }
