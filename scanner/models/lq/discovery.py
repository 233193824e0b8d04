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

from flavorscan.kernels import oscillation_manifold
from flavorscan.kernels.names import COUPLINGS
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.models.spec import Encoding

GEV_PER_EV = 1e-9
LIGHTEST_MASS_EV = (1e-4, 0.05)
"""Range of the lightest neutrino mass of manifold targets (log-uniform) [eV]."""
NORMAL_ORDERING_FRACTION = 0.8

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

    def project(rng, population: dict) -> dict:
        return project_population(card, population, rng, decode, log_lo, log_hi, sign_free, bool(complex_entry.any()))

    null = {
        "log_magnitude": log_lo.copy(),
        "phase": np.zeros(36),
        "log_scalars": scalar_lo.copy(),
        "mask": np.zeros(36, dtype=bool),
        "sign": np.ones(36),
    }
    return Encoding(init=init, decode=decode, clip=clip, mutate=mutate,
                    continuous=("log_magnitude", "phase", "log_scalars"), null=null, project=project)


def draw_target(rng, card: dict, real: bool) -> np.ndarray:
    """A neutrino mass matrix [GeV] from the card's oscillation data: each angle and dm21 Gaussian around the
    best fit of the drawn ordering (its 1 sigma errors), kept inside the 3 sigma windows; |dm3l| at its best
    fit (what mass_scale = "dm3l" imposes); the lightest mass log-uniform in LIGHTEST_MASS_EV; CP phases 0 or
    pi for real textures (a real matrix), uniform otherwise."""
    from flavorscan.scanner.constraints import oscillation_sigmas

    entries = {c["name"]: c for c in card["likelihood"]["constraints"]}
    entries.update(card["likelihood"]["inputs"]["entries"])
    ordering = "no" if rng.random() < NORMAL_ORDERING_FRACTION else "io"
    values = {}
    for name in ("dm21_sq", "s12_sq", "s23_sq", "s13_sq"):
        spec = entries[name]
        lo, hi = spec[f"{ordering}_range"]
        below, above = oscillation_sigmas(spec, ordering)
        step = rng.normal()
        values[name] = float(np.clip(spec[f"{ordering}_best"] + step * (above if step > 0 else below), lo, hi))
    dm3l = abs(entries["dm3l_sq"][f"{ordering}_best"])
    lightest = float(np.exp(rng.uniform(*np.log(LIGHTEST_MASS_EV))))
    if ordering == "no":
        masses = [lightest, np.sqrt(lightest**2 + values["dm21_sq"]), np.sqrt(lightest**2 + dm3l)]
    else:
        m2 = np.sqrt(lightest**2 + dm3l)
        masses = [np.sqrt(m2**2 - values["dm21_sq"]), m2, lightest]
    if real:  # a real matrix: delta 0 or pi, Majorana phases 0 or pi (signs of the masses)
        delta = float(rng.choice([0.0, np.pi]))
        signs = rng.choice([-1.0, 1.0], 3)
        u = oscillation_manifold.pmns(values["s12_sq"], values["s23_sq"], values["s13_sq"], delta)
        return oscillation_manifold.target_matrix(np.asarray(masses) * signs, u).real * GEV_PER_EV
    delta, a21, a31 = rng.uniform(0.0, 2 * np.pi, 3)
    u = oscillation_manifold.pmns(values["s12_sq"], values["s23_sq"], values["s13_sq"], delta, a21, a31)
    return oscillation_manifold.target_matrix(np.asarray(masses), u) * GEV_PER_EV


def project_population(card, population, rng, decode, log_lo, log_hi, sign_free, complex_textures: bool) -> dict:
    """Members moved onto the exact oscillation manifold: for each, a target mass matrix (:func:`draw_target`)
    and the minimum-norm values of its non-zero R2 couplings (or, where those do not have rank 6, of its S1
    couplings) that give it; a member keeps its values when neither group reaches every entry, a solved
    magnitude leaves its prior range or a solved sign contradicts a fixed one. m0I0 is the member's (1 with
    mass_scale = "dm3l", whose rescaling then leaves the target's |dm3l| unchanged)."""
    import jax

    from flavorscan.kernels.neutrino import mass_matrix
    from flavorscan.scanner.pipeline import model_inputs

    kernel_inputs = model_inputs(card)

    def bases(member):
        params = decode(member)
        params.setdefault("m0I0", 1.0)
        bound = lambda p: mass_matrix(p, kernel_inputs)  # noqa: E731
        return {group: oscillation_manifold.group_basis(bound, params, group) for group in ("f", "y")}

    out = {k: np.array(v, copy=True) for k, v in population.items()}
    count = out["mask"].shape[0]
    targets = np.stack([draw_target(rng, card, real=not complex_textures) for _ in range(count)])
    computed = jax.device_get(jax.jit(jax.vmap(bases))(population))
    done = np.zeros(count, dtype=bool)
    for group, index in (("f", np.arange(18)), ("y", np.arange(18, 36))):
        m0, basis = computed[group]
        free = out["mask"][:, index]
        solution, ok = oscillation_manifold.solve_group(m0, basis, free, targets, real=not complex_textures)
        magnitude = np.abs(solution)
        log_magnitude = np.log(np.where(free, np.maximum(magnitude, 1e-300), 1.0))
        negative = np.real(solution) < 0
        inside = np.all(~free | ((log_magnitude >= log_lo[index]) & (log_magnitude <= log_hi[index])), axis=1)
        keeps_signs = complex_textures | np.all(~free | sign_free[index] | (negative == (out["sign"][:, index] < 0)),
                                                axis=1)
        accept = ok & inside & keeps_signs & ~done
        rows = np.flatnonzero(accept)
        for name in ("log_magnitude", "phase", "sign"):
            block = out[name][:, index]
            if name == "log_magnitude":
                new = np.where(free, log_magnitude, block)
            elif name == "phase":
                new = np.where(free & complex_textures, np.angle(solution), block)
            else:
                new = np.where(free & ~complex_textures, np.where(negative, -1.0, 1.0), block)
            block[rows] = new[rows]
            out[name][:, index] = block
        done |= accept
    return out
