"""The leptoquark population of ``flavorscan discover``: textures as on/off masks, signs and log-magnitudes.

A member is one texture: for each of the 36 coupling entries a discrete *mask* (the entry is non-zero) and,
for real entries, a discrete *sign*, plus continuous variables the optimizer moves: ``log|z|`` of every entry
(clipped to the card's magnitude range of that entry; only masked-in entries matter), the phase of entries
whose [scan] table has ``phase = "uniform"``, ``log M`` of the two leptoquark masses (clipped to their
ranges) and, for ``mass_scale = "sampled"``, ``log m0I0``. With ``mass_scale = "dm3l"`` m0I0 is fixed per
texture by the evaluator.

Keeping the pattern discrete is what makes gradients useful: a coupling that is on always has a finite
log-magnitude gradient, and a coupling can become exactly zero (or come back) only through a discrete move of
:func:`mutate` — switching an entry off or on (a revived entry gets a magnitude drawn from its prior) and
flipping a sign — applied to the children between optimizer stages. The entries' on-probabilities, magnitude
ranges, sign modes and the mass ranges come from the card's [scan] table (docs/cards.md).
"""

from __future__ import annotations

import math

import numpy as np

from flavorscan.kernels.names import COUPLINGS
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.models.spec import Encoding

SCALARS = ("M_R2", "M_S1", "m0I0")


def _entry_table(scan: dict, key: str, default: float) -> np.ndarray:
    """(4, 3, 3) array of one per-entry coupling setting (``default`` for a matrix without a table)."""
    out = np.full((4, 3, 3), default, dtype=np.float64)
    for m, name in enumerate(COUPLINGS):
        if name in scan["couplings"]:
            out[m] = np.asarray(scan["couplings"][name][key], dtype=np.float64)
    return out


def encoding(card: dict) -> Encoding:
    """The discovery encoding of a resolved leptoquark card with a [scan] table (its priors)."""
    scan = card["scan"]
    if "I0" in scan:
        raise UserError("discover: I0 priors are not supported; give an m0I0 prior or mass_scale = \"dm3l\"")
    probability = _entry_table(scan, "probability", 0.0).reshape(36)
    log_lo = np.log(_entry_table(scan, "magnitude_lo", 1.0)).reshape(36)
    log_hi = np.log(_entry_table(scan, "magnitude_hi", 1.0)).reshape(36)
    phase_mode = np.array([[scan["couplings"].get(name, {"phase": "fixed"})["phase"]] * 9 for name in COUPLINGS]).reshape(36)
    fixed_sign = _entry_table(scan, "sign", 1.0).reshape(36)
    complex_entry = phase_mode == "uniform"
    sign_free = phase_mode == "sign"
    always = probability >= 1.0
    never = probability <= 0.0
    scalars = [name for name in SCALARS if name in scan]  # m0I0 only with an m0I0 prior
    scalar_lo = np.log([scan[name]["range"][0] for name in scalars])
    scalar_hi = np.log([scan[name]["range"][1] for name in scalars])

    def init(rng, count: int) -> dict:
        mask = (rng.random((count, 36)) < probability) | always
        return {
            "log_magnitude": rng.uniform(log_lo, log_hi, (count, 36)),
            "phase": rng.uniform(0.0, 2.0 * math.pi, (count, 36)),
            "log_scalars": _scalar_prior(rng, count),
            "mask": mask & ~never,
            "sign": np.where(sign_free, rng.choice([-1.0, 1.0], (count, 36)), fixed_sign),
        }

    def _scalar_prior(rng, count):
        """Masses (and m0I0) from the card's priors, as logarithms."""
        columns = []
        for k, name in enumerate(scalars):
            u = rng.random(count)
            lo, hi = scan[name]["range"]
            if scan[name]["prior"] == "log":
                columns.append(scalar_lo[k] + u * (scalar_hi[k] - scalar_lo[k]))
            else:
                columns.append(np.log(lo + u * (hi - lo)))
        return np.stack(columns, axis=1)

    def clip(arrays: dict) -> dict:
        import jax.numpy as jnp

        xp = jnp if not isinstance(arrays["log_magnitude"], np.ndarray) else np
        out = dict(arrays)
        out["log_magnitude"] = xp.clip(arrays["log_magnitude"], log_lo, log_hi)
        out["log_scalars"] = xp.clip(arrays["log_scalars"], scalar_lo, scalar_hi)
        return out

    def decode(member: dict) -> dict:
        import jax.numpy as jnp

        magnitude = jnp.exp(jnp.clip(member["log_magnitude"], log_lo, log_hi))
        unit = jnp.where(complex_entry, jnp.exp(1j * member["phase"]), member["sign"] + 0j)
        z = jnp.where(member["mask"], magnitude * unit, 0.0 + 0j).reshape(4, 3, 3)
        params = {name: z[m] for m, name in enumerate(COUPLINGS)}
        values = jnp.exp(jnp.clip(member["log_scalars"], scalar_lo, scalar_hi))
        params.update({name: values[k] for k, name in enumerate(scalars)})
        return params

    def mutate(rng, population: dict, settings: dict) -> dict:
        """Children: Gaussian noise on the continuous variables, entries switched off/on and signs flipped with
        the settings' per-entry rates (fixed entries stay as the card says)."""
        out = {k: np.array(v, copy=True) for k, v in population.items()}
        count = out["mask"].shape[0]
        out["log_magnitude"] += rng.normal(0.0, settings["noise"] * math.log(10.0), (count, 36))
        out["phase"] += rng.normal(0.0, settings["noise"], (count, 36))
        out["log_scalars"] += rng.normal(0.0, settings["mass_noise"] * math.log(10.0), out["log_scalars"].shape)
        toggle = (rng.random((count, 36)) < settings["toggle_rate"]) & ~always & ~never
        revived = toggle & ~out["mask"]
        out["log_magnitude"] = np.where(revived, rng.uniform(log_lo, log_hi, (count, 36)), out["log_magnitude"])
        out["mask"] = out["mask"] ^ toggle
        flip = (rng.random((count, 36)) < settings["flip_rate"]) & sign_free
        out["sign"] = np.where(flip, -out["sign"], out["sign"])
        return clip(out)

    null = {
        "log_magnitude": log_lo.copy(),
        "phase": np.zeros(36),
        "log_scalars": scalar_lo.copy(),
        "mask": np.zeros(36, dtype=bool),
        "sign": np.ones(36),
    }
    return Encoding(init=init, decode=decode, clip=clip, mutate=mutate,
                    continuous=("log_magnitude", "phase", "log_scalars"), null=null)
