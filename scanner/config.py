"""Run cards: parse TOML, validate every key, fill defaults, return a fully resolved card.

A card is data. It is parsed with tomllib only, never evaluated. Every problem raises
:class:`scanner.errors.UserError` with one line naming the offending key, so the CLI exits with status 2
and no traceback. The resolved card is a plain dict (JSON-serialisable, defaults filled in): it is what
gets written into HDF5 attributes and hashed to recognise a run directory.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from flavorscan.kernels.constants import LOOP_QUARK_MASS_CHOICES, MEASUREMENT_SETS, NU_QUARK_MASS_CHOICES
from flavorscan.scanner.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MODELS = ("lq", "zprime")
COUPLINGS = ("fR", "fL", "yR", "yL")
I0_KEYS = ("theta", "phi", "M1", "M2", "M3", "M4")
PHASE_CHOICES = ("sign", "uniform", "fixed")
PRIORS = ("uniform", "log")


# ---------------------------------------------------------------------------------------------- checks

def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def number(x, key: str, *, positive=False, nonnegative=False, lo=None, hi=None) -> float:
    """A finite real number (ints accepted), optionally range-checked; error names the key."""
    if not _is_number(x):
        raise UserError(f"{key}: expected a number, got {type(x).__name__} {x!r}")
    value = float(x)
    if not math.isfinite(value):
        raise UserError(f"{key}: must be finite, got {x!r}")
    if positive and value <= 0:
        raise UserError(f"{key}: must be > 0, got {x!r}")
    if nonnegative and value < 0:
        raise UserError(f"{key}: must be >= 0, got {x!r}")
    if lo is not None and value < lo:
        raise UserError(f"{key}: must be >= {lo}, got {x!r}")
    if hi is not None and value > hi:
        raise UserError(f"{key}: must be <= {hi}, got {x!r}")
    return value


def integer(x, key: str, *, lo=None, hi=None) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise UserError(f"{key}: expected an integer, got {type(x).__name__} {x!r}")
    if lo is not None and x < lo:
        raise UserError(f"{key}: must be >= {lo}, got {x}")
    if hi is not None and x > hi:
        raise UserError(f"{key}: must be <= {hi}, got {x}")
    return x


def choice(x, key: str, options) -> str:
    if not isinstance(x, str) or x not in options:
        raise UserError(f"{key}: must be one of {', '.join(map(repr, options))}, got {x!r}")
    return x


def matrix3(x, key: str, **checks) -> list[list[float]]:
    """A 3x3 matrix of numbers (rows u,c,t; columns e,mu,tau)."""
    if not (isinstance(x, list) and len(x) == 3 and all(isinstance(r, list) and len(r) == 3 for r in x)):
        raise UserError(f"{key}: expected a 3x3 matrix (three rows of three numbers)")
    return [[number(v, f"{key}[{i}][{j}]", **checks) for j, v in enumerate(row)] for i, row in enumerate(x)]


def pair(x, key: str, **checks) -> list[float]:
    """[lo, hi] with lo <= hi."""
    if not (isinstance(x, list) and len(x) == 2):
        raise UserError(f"{key}: expected [lo, hi]")
    lo, hi = (number(v, key, **checks) for v in x)
    if lo > hi:
        raise UserError(f"{key}: lo > hi ({lo} > {hi})")
    return [lo, hi]


def table(x, key: str) -> dict:
    if not isinstance(x, dict):
        raise UserError(f"{key}: expected a table")
    return x


def reject_unknown(section: dict, allowed, where: str) -> None:
    for key in section:
        if key not in allowed:
            raise UserError(f"{where}{key}: unknown key (allowed: {', '.join(sorted(allowed))})")


# ---------------------------------------------------------------------------------------------- sections

def resolve_lq_point(point: dict) -> dict:
    """Validated [point] of the leptoquark model with defaults filled in."""
    allowed = {"M_R2", "M_S1", "m0I0", "nu_term_signs", "nu_quark_masses", "loop_quark_masses", *I0_KEYS}
    allowed |= set(COUPLINGS) | {f"{c}_im" for c in COUPLINGS}
    reject_unknown(point, allowed, "point.")
    out: dict[str, Any] = {
        "M_R2": number(required(point, "M_R2", "point."), "point.M_R2", positive=True),
        "M_S1": number(required(point, "M_S1", "point."), "point.M_S1", positive=True),
    }
    given_i0 = [k for k in I0_KEYS if k in point]
    if "m0I0" in point and given_i0:
        raise UserError(f"point.m0I0: give either m0I0 or all of {', '.join(I0_KEYS)}, not both")
    if "m0I0" in point:
        out["m0I0"] = number(point["m0I0"], "point.m0I0")
    elif len(given_i0) == len(I0_KEYS):
        out["theta"] = number(point["theta"], "point.theta")
        out["phi"] = number(point["phi"], "point.phi")
        for k in ("M1", "M2", "M3", "M4"):
            out[k] = number(point[k], f"point.{k}", positive=True)
    else:
        missing = [k for k in I0_KEYS if k not in point]
        raise UserError(f"point.m0I0: missing (or give theta, phi, M1..M4; missing {', '.join(missing)})")
    out.update(resolve_lq_options(point, "point."))
    for name in COUPLINGS:
        out[name] = matrix3(point[name], f"point.{name}") if name in point else [[0.0] * 3 for _ in range(3)]
        im = f"{name}_im"
        out[im] = matrix3(point[im], f"point.{im}") if im in point else [[0.0] * 3 for _ in range(3)]
    return out


def resolve_lq_options(section: dict, where: str) -> dict:
    """The convention keys shared by [point] and [scan]: term signs and quark-mass scales."""
    if "nu_term_signs" not in section:
        raise UserError(
            f"{where}nu_term_signs: required (the letter's sign convention is ambiguous; e.g. [1, -1, -1] for TX-I)"
        )
    signs = section["nu_term_signs"]
    if not (isinstance(signs, list) and len(signs) == 3 and all(_is_number(s) and s in (1, -1) for s in signs)):
        raise UserError(f"{where}nu_term_signs: expected three entries, each 1 or -1, got {signs!r}")
    nu_masses = section.get("nu_quark_masses", "1TeV")
    if isinstance(nu_masses, str):
        choice(nu_masses, f"{where}nu_quark_masses", NU_QUARK_MASS_CHOICES)
    elif isinstance(nu_masses, list) and len(nu_masses) == 3:
        nu_masses = [number(m, f"{where}nu_quark_masses", positive=True) for m in nu_masses]
    else:
        raise UserError(f"{where}nu_quark_masses: expected \"1TeV\", \"low\" or [m_u, m_c, m_t] in GeV")
    loop_masses = choice(section.get("loop_quark_masses", "letter"), f"{where}loop_quark_masses", LOOP_QUARK_MASS_CHOICES)
    return {"nu_term_signs": [int(s) for s in signs], "nu_quark_masses": nu_masses, "loop_quark_masses": loop_masses}


def required(section: dict, key: str, where: str):
    if key not in section:
        raise UserError(f"{where}{key}: missing")
    return section[key]


def resolve_zprime_point(point: dict) -> dict:
    """Validated [point] of the Z' model (charges are checked against the model layer)."""
    from flavorscan.kernels.zprime.models import resolve_charges  # Z' model layer owns the charge vocabulary

    reject_unknown(point, {"charges", "g_X", "m_Zp", "epsilon", "g_bs"}, "point.")
    try:
        charges = resolve_charges(required(point, "charges", "point."))
    except ValueError as exc:
        raise UserError(f"point.charges: {exc}") from None
    out = {
        "charges": charges,
        "g_X": number(required(point, "g_X", "point."), "point.g_X", positive=True),
        "m_Zp": number(required(point, "m_Zp", "point."), "point.m_Zp", positive=True),
        "g_bs": number(point.get("g_bs", 0.0), "point.g_bs"),
    }
    eps = point.get("epsilon", 0.0)
    if isinstance(eps, str):
        if eps != "loop":
            raise UserError(f"point.epsilon: expected a number or \"loop\", got {eps!r}")
    else:
        eps = number(eps, "point.epsilon")
    out["epsilon"] = eps
    from flavorscan.kernels.zprime.models import make_params  # the model layer knows which charges allow "loop"

    try:
        make_params(charges, out["g_X"], out["m_Zp"], eps, g_bs_L=out["g_bs"])
    except ValueError as exc:
        raise UserError(f"point.{exc}") from None
    return out


def resolve_constraints(section: dict) -> dict:
    """[constraints]: which constraints are enabled and how Gaussian ones pass.

    enabled = "default" (every constraint of the set that applies to the model and is not marked
    default = false) or an explicit list; disabled removes names from it.
    """
    reject_unknown(section, {"enabled", "disabled", "n_sigma", "mass_floor_R2", "mass_floor_S1"}, "constraints.")
    enabled = section.get("enabled", "default")
    if enabled != "default" and not (isinstance(enabled, list) and all(isinstance(n, str) for n in enabled)):
        raise UserError("constraints.enabled: expected \"default\" or a list of constraint names")
    disabled = section.get("disabled", [])
    if not (isinstance(disabled, list) and all(isinstance(n, str) for n in disabled)):
        raise UserError("constraints.disabled: expected a list of constraint names")
    for key, names in (("enabled", enabled if isinstance(enabled, list) else []), ("disabled", disabled)):
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:  # a repeated name would count its chi2 and penalty twice
            raise UserError(f"constraints.{key}: {repeated[0]!r} is listed more than once")
    out = {
        "enabled": enabled,
        "disabled": list(disabled),
        "n_sigma": number(section.get("n_sigma", 2.0), "constraints.n_sigma", positive=True),
    }
    for key in ("mass_floor_R2", "mass_floor_S1"):
        if key in section:
            out[key] = number(section[key], f"constraints.{key}", positive=True)
    return out


def resolve_card(raw: dict, source: str = "card") -> dict:
    """Validate a parsed card (a dict from TOML) and return the resolved card."""
    reject_unknown(raw, {"model", "measurements", "point", "scan", "constraints", "refine", "title"}, "")
    if "model" not in raw:
        raise UserError(f"{source}: model: missing (\"lq\" or \"zprime\")")
    model = choice(raw["model"], "model", MODELS)
    measurements = choice(raw.get("measurements", "paper2022"), "measurements", MEASUREMENT_SETS)
    card: dict[str, Any] = {"model": model, "measurements": measurements}
    if "title" in raw:
        if not isinstance(raw["title"], str):
            raise UserError("title: expected a string")
        card["title"] = raw["title"]
    if "point" not in raw and "scan" not in raw:
        raise UserError(f"{source}: needs a [point] or a [scan] table")
    if "point" in raw:
        point = table(raw["point"], "point")
        card["point"] = resolve_lq_point(point) if model == "lq" else resolve_zprime_point(point)
    if "scan" in raw:
        from flavorscan.scanner.sampling import resolve_scan  # the sampler owns the [scan] vocabulary

        card["scan"] = resolve_scan(model, table(raw["scan"], "scan"))
    card["constraints"] = resolve_constraints(table(raw.get("constraints", {}), "constraints"))
    if "refine" in raw:
        from flavorscan.scanner.refine import resolve_refine  # the refiner owns the [refine] vocabulary

        card["refine"] = resolve_refine(table(raw["refine"], "refine"))
    from flavorscan.scanner.constraints import check_constraint_names

    check_constraint_names(card)
    return card


def load_card(path) -> dict:
    """Read, parse and resolve a card file; every failure is a one-line UserError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a TOML card") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: malformed TOML: {exc}") from None
    return resolve_card(raw, str(path))
