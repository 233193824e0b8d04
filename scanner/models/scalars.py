"""A refinement parametrisation for models whose free parameters are a few real scalars.

Each :class:`Scalar` moves through log|x| (sign kept; a zero start stays zero) or x itself; every other leaf of
the params (e.g. a Z' model's charges) is carried through unchanged. A scalar marked ``coupling`` gets the
[refine] ``max_coupling`` perturbativity penalty. Used by the Z' model and by small models added through the
registry (docs/extending.md).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from flavorscan.scanner.models.spec import Parametrisation


class Scalar(NamedTuple):
    """One free-able scalar: its params key, its [refine] ``free`` name and how it moves."""

    key: str
    free_name: str
    log: bool = True
    coupling: bool = False


def scalar_parametrisation(scalars: tuple[Scalar, ...], groups: dict[str, tuple[str, ...]] | None = None,
                           frozen: dict[str, str] | None = None) -> Parametrisation:
    """The parametrisation of ``scalars``; ``groups`` adds [refine] free names that free several scalars
    (e.g. {"couplings": ("g_X",)}); ``frozen`` maps a scalar's key to a params key whose value 1 fixes it
    (e.g. epsilon is not free when epsilon_loop = 1)."""
    groups = dict(groups or {})
    frozen = dict(frozen or {})
    names = tuple(s.free_name for s in scalars)

    def free_scalars(settings) -> set[str]:
        free = settings["free"]
        if free == "all":
            return set(names)
        chosen = set()
        for name in free:
            chosen |= set(groups.get(name, (name,)))
        return chosen

    def encode(params, settings):
        chosen = free_scalars(settings)
        batch = np.asarray(params[scalars[0].key]).reshape(-1).shape[0]
        starts, variables, signs, free = [], [], [], []
        for s in scalars:
            value = np.asarray(params[s.key], dtype=np.float64).reshape(batch)
            starts.append(value)
            is_free = np.broadcast_to(s.free_name in chosen, (batch,))
            if s.key in frozen:
                is_free = is_free & (np.asarray(params[frozen[s.key]]).reshape(batch) != 1.0)
            if s.log:
                with np.errstate(divide="ignore", invalid="ignore"):
                    variables.append(np.log(np.abs(value)))
                signs.append(np.where(value < 0, -1.0, 1.0))
                is_free = is_free & (value != 0)
            else:
                variables.append(value)
                signs.append(np.ones(batch))
            free.append(is_free)
        start = np.stack(starts, axis=1)
        finite = np.all(np.isfinite(start), axis=1)
        u = {"scalars": np.where(np.isfinite(np.stack(variables, axis=1)), np.stack(variables, axis=1), 0.0)}
        others = {k: np.asarray(v) for k, v in params.items() if k not in {s.key for s in scalars}}
        fixed = {"start": start, "sign": np.stack(signs, axis=1), "others": others}
        mask = {"scalars": np.stack(free, axis=1) & finite[:, None]}
        return u, fixed, mask

    def decode(u, fixed, mask):
        import jax.numpy as jnp

        params = dict(fixed["others"])
        for k, s in enumerate(scalars):
            raw = u["scalars"][k]
            value = fixed["sign"][k] * jnp.exp(raw) if s.log else raw
            params[s.key] = jnp.where(mask["scalars"][k], value, fixed["start"][k])
        return params

    def penalty(u, fixed, mask, settings):
        import jax.numpy as jnp

        from flavorscan.scanner.constraints import limit_penalty

        total = jnp.asarray(0.0)
        for k, s in enumerate(scalars):
            if s.coupling and s.log:
                excess = jnp.exp(u["scalars"][k]) / settings["max_coupling"] - 1.0
                total = total + jnp.where(mask["scalars"][k], limit_penalty(excess), 0.0)
        return total

    def perturb(u, fixed, mask, rng, count, settings):
        """log scalars: log10 shifted by U(-s, s) (s = start_spread for couplings, mass_spread otherwise);
        linear scalars: scaled by 1 + U(-1, 1) start_spread."""
        shift = rng.uniform(-1.0, 1.0, size=(count, len(scalars)))
        out = np.repeat(u["scalars"], count, axis=0)
        for k, s in enumerate(scalars):
            if s.log:
                spread = settings["start_spread"] if s.coupling else settings["mass_spread"]
                step = shift[:, k] * spread * math.log(10.0)
            else:
                step = shift[:, k] * settings["start_spread"] * out[:, k]
            out[:, k] += np.where(mask["scalars"][0, k], step, 0.0)
        return {"scalars": out}

    def check_point(point, settings):
        return None

    return Parametrisation(encode=encode, decode=decode, penalty=penalty, perturb=perturb, check_point=check_point,
                           free_names=frozenset(names) | frozenset(groups) | {"all"})
