"""How refinement and fits move a leptoquark point (the [refine] ``free`` and ``phases`` keys).

The texture of the starting point is kept: every NON-ZERO coupling entry z = |z| e^{i phi} moves through
log|z| (free) and phi (free or fixed, see ``phases``); zero entries stay exactly zero. Masses M_R2, M_S1 (and
M1..M4 of an I0 scan) move through their logarithms, m0I0 through log|m0I0| with its sign kept, theta and
phi (I0 scans) directly. Parameters that are not free are put back bit for bit (the decoded value is
``where(free, transform(u), start)``), so a fixed real entry stays exactly real. With ``mass_scale = "dm3l"``
m0I0 is set by the evaluator and is never free.

[refine] free names: "all", "couplings", "masses", a matrix ("fR", "fL", "yR", "yL"), an entry ("fR_ce",
"yL_tmu", ...), "<entry>_phase", "M_R2", "M_S1", "m0I0", and for I0 scans "theta", "phi", "M1".."M4"
("m0I0" frees all six there).
"""

from __future__ import annotations

import math

import numpy as np

from flavorscan.kernels.names import COUPLINGS, ENTRY_NAMES, I0_PARAMETERS, entry_index
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.models.spec import Parametrisation

GROUP_NAMES = ("all", "couplings", "masses", *COUPLINGS)
SCALAR_NAMES = ("M_R2", "M_S1", "m0I0", *I0_PARAMETERS)
FREE_NAMES = frozenset(GROUP_NAMES) | frozenset(SCALAR_NAMES) | frozenset(ENTRY_NAMES) | frozenset(
    f"{e}_phase" for e in ENTRY_NAMES)
ANGLES = ("theta", "phi")


def mode_of(card: dict) -> str:
    """How m0I0 is given: "m0I0" (directly), "I0" (scalar mixing of an I0 scan) or "dm3l" (fixed by the evaluator)."""
    scan = card.get("scan", {}) if "point" not in card else {}
    if scan.get("mass_scale") == "dm3l":
        return "dm3l"
    return "I0" if "I0" in scan else "m0I0"


def scalar_names(mode: str) -> tuple[str, ...]:
    return ("M_R2", "M_S1", *I0_PARAMETERS) if mode == "I0" else ("M_R2", "M_S1", "m0I0")


def free_masks(settings: dict, mode: str):
    """Host-side masks of what the settings free, before the per-point texture is applied:
    (magnitude mask (4,3,3) bool, phase mask (4,3,3) of entries listed as <entry>_phase, free scalar names)."""
    free = settings["free"]
    names = set(ENTRY_NAMES + SCALAR_NAMES + ("couplings", "masses")) if free == "all" else set(free)
    magnitude = np.zeros((4, 3, 3), bool)
    phase_listed = np.zeros((4, 3, 3), bool)
    if "couplings" in names:
        magnitude[:] = True
    for m, matrix in enumerate(COUPLINGS):
        if matrix in names:
            magnitude[m] = True
    for name in names:
        if name in ENTRY_NAMES:
            magnitude[entry_index(name)] = True
        elif name.endswith("_phase"):
            phase_listed[entry_index(name[: -len("_phase")])] = True
    scalars = set()
    if "masses" in names:
        scalars |= {"M_R2", "M_S1"}
    scalars |= {n for n in ("M_R2", "M_S1") if n in names}
    if mode == "m0I0":
        if "m0I0" in names:
            scalars.add("m0I0")
    elif mode == "I0":
        if "m0I0" in names:
            scalars |= set(I0_PARAMETERS)
        scalars |= {n for n in I0_PARAMETERS if n in names}
    # mode "dm3l": m0I0 is fixed by the evaluator (the |dm3l| best fit), nothing to free
    return magnitude, phase_listed, scalars


def encode(params: dict, settings: dict, mode: str):
    """(u, fixed, mask) of a batch (numpy, batch axis first)."""
    magnitude_mask, phase_listed, free_scalars = free_masks(settings, mode)
    z = np.stack([np.asarray(params[m], dtype=np.complex128) for m in COUPLINGS], axis=1)  # (B,4,3,3)
    batch = z.shape[0]
    absz = np.abs(z)
    nonzero = absz > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        logabs = np.where(nonzero, np.log(np.where(nonzero, absz, 1.0)), 0.0)
        unit = np.where(nonzero, z / np.where(nonzero, absz, 1.0), 0.0)
    phase = np.angle(unit)
    free_mag = nonzero & magnitude_mask[None]
    phases = settings["phases"]
    if phases == "free":
        free_phase = free_mag.copy()
    elif phases == "auto":
        free_phase = free_mag & (np.imag(z) != 0)
    else:
        free_phase = np.zeros_like(free_mag)
    free_phase |= nonzero & phase_listed[None]
    scalars, scalar_start, scalar_free, scalar_sign = [], [], [], []
    for name in scalar_names(mode):
        value = np.asarray(params[name], dtype=np.float64).reshape(batch) if name in params else np.ones(batch)
        scalar_start.append(value)
        is_free = name in free_scalars
        if name in ANGLES:
            scalars.append(value)
            scalar_sign.append(np.ones(batch))
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                scalars.append(np.log(np.abs(value)))
            scalar_sign.append(np.where(value < 0, -1.0, 1.0))
            is_free = is_free & (value != 0)
        scalar_free.append(np.broadcast_to(is_free, (batch,)))
    u = {"logabs": logabs, "phase": phase, "scalars": np.stack(scalars, axis=1)}
    fixed = {
        "z": z,
        "unit": unit,
        "scalar_start": np.stack(scalar_start, axis=1),
        "scalar_sign": np.stack(scalar_sign, axis=1),
    }
    mask = {"logabs": free_mag, "phase": free_phase, "scalars": np.stack(scalar_free, axis=1)}
    # a point with a non-finite starting value is masked: nothing of it is free (decoding returns its start
    # values, NaN included), the loop never activates it; its variables are made finite so the optimizer
    # state of the batch stays finite
    finite = np.all(np.isfinite(z), axis=(1, 2, 3)) & np.all(np.isfinite(fixed["scalar_start"]), axis=1)
    mask = {k: v & finite.reshape((batch,) + (1,) * (v.ndim - 1)) for k, v in mask.items()}
    u = {k: np.where(np.isfinite(v), v, 0.0) for k, v in u.items()}
    return u, fixed, mask


def decode(u, fixed, mask, mode: str):
    """params of one point from its variables (traced)."""
    import jax.numpy as jnp

    magnitude = jnp.exp(u["logabs"])
    unit = jnp.where(mask["phase"], jnp.exp(1j * u["phase"]), fixed["unit"])
    z = jnp.where(mask["logabs"] | mask["phase"], magnitude * unit, fixed["z"])
    params = {m: z[k] for k, m in enumerate(COUPLINGS)}
    for k, name in enumerate(scalar_names(mode)):
        raw = u["scalars"][k]
        value = raw if name in ANGLES else fixed["scalar_sign"][k] * jnp.exp(raw)
        params[name] = jnp.where(mask["scalars"][k], value, fixed["scalar_start"][k])
    return params


def penalty(u, fixed, mask, settings):
    """Perturbativity: the smooth limit penalty on free |couplings| above ``max_coupling`` (traced)."""
    import jax.numpy as jnp

    from flavorscan.scanner.constraints import limit_penalty

    excess = jnp.exp(u["logabs"]) / settings["max_coupling"] - 1.0
    return jnp.sum(jnp.where(mask["logabs"], limit_penalty(excess), 0.0))


def perturb(u, fixed, mask, rng, count: int, settings: dict, mode: str):
    """``count`` random starts around one encoded point (batch of 1; numpy Generator ``rng``): free
    log10|couplings| and log10|m0I0| shifted by U(-start_spread, start_spread), free log10 masses by
    U(-mass_spread, mass_spread), free phases uniform in [0, 2 pi), free angles by U(-pi/4, pi/4)."""
    ln10 = math.log(10.0)
    shift = rng.uniform(-1.0, 1.0, size=(count, 4, 3, 3)) * settings["start_spread"] * ln10
    new_phase = rng.uniform(0.0, 2.0 * math.pi, size=(count, 4, 3, 3))
    names = scalar_names(mode)
    scalar_shift = rng.uniform(-1.0, 1.0, size=(count, len(names)))
    out = {
        "logabs": u["logabs"] + np.where(mask["logabs"], shift, 0.0),
        "phase": np.where(mask["phase"], new_phase, u["phase"]),
        "scalars": np.repeat(u["scalars"], count, axis=0),
    }
    for k, name in enumerate(names):
        if name in ANGLES:
            step = scalar_shift[:, k] * math.pi / 4
        else:
            spread = settings["mass_spread"] if name.startswith("M") else settings["start_spread"]
            step = scalar_shift[:, k] * spread * ln10
        out["scalars"][:, k] += np.where(mask["scalars"][0, k], step, 0.0)
    return out


def check_point(point: dict, settings: dict) -> None:
    """Entries named in ``free`` must be non-zero at a [point] (the texture is kept); I0 names do not apply."""
    free = settings["free"]
    if free == "all":
        return
    for name in free:
        entry = name[: -len("_phase")] if name.endswith("_phase") else name
        if entry in ENTRY_NAMES:
            m, i, j = entry_index(entry)
            matrix = COUPLINGS[m]
            if point[matrix][i][j] == 0 and point[f"{matrix}_im"][i][j] == 0:
                raise UserError(
                    f"refine.free: {entry} is zero at the card's point (refinement keeps the texture; "
                    f"give it a non-zero starting value)"
                )
        if name in I0_PARAMETERS:
            raise UserError(f"refine.free: {name} is not a parameter of a [point] fit (free m0I0 instead)")


def parametrisation(card: dict) -> Parametrisation:
    """The leptoquark parametrisation for a resolved card (its m0I0 mode decides the scalars)."""
    mode = mode_of(card)
    return Parametrisation(
        encode=lambda params, settings: encode(params, settings, mode),
        decode=lambda u, fixed, mask: decode(u, fixed, mask, mode),
        penalty=penalty,
        perturb=lambda u, fixed, mask, rng, count, settings: perturb(u, fixed, mask, rng, count, settings, mode),
        check_point=check_point,
        free_names=FREE_NAMES,
    )
