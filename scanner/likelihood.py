"""The likelihood of a card: the measurement set, amended by the user's measurement file, resolved to the
enabled constraints with every number and source.

Measurement sets are data (``kernels/data/measurements/<set>/*.toml``): one ``[constraint.<name>]`` table per
constraint, ``[[correlation]]`` tables, and the kernel inputs of the set (``[ckm]``). A card may add a user
file (``measurements_file = "mine.toml"``, relative to the card) holding only ``[constraint.<name>]`` tables:
an entry replaces the set's constraint of the same name or adds a new one. Every entry is validated here
(kinds, fields, finite numbers, known observables, structured sources); a problem is one
:class:`~flavorscan.scanner.errors.UserError` line naming the file, the constraint and the field.

:func:`resolve_likelihood` turns a card's choice of set, file and [constraints] into ``card["likelihood"]``:
the enabled constraints in order, with their numbers and sources, the correlations between them and the
set's kernel inputs, plus a hash of all of it. Being part of the resolved card, the likelihood is part of a
run's identity: resuming a run, or adding a shard, with other values is refused (docs/likelihood.md).
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple

from flavorscan.scanner import models
from flavorscan.scanner.cardkeys import did_you_mean, echo, key_text, parse_toml
from flavorscan.scanner.errors import UserError

MAX_FILE_BYTES = 1 << 20
SOURCE_KEYS = ("text", "arxiv", "inspire", "where")


class Kind(NamedTuple):
    """The fields of one constraint kind beyond the common ones."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    description: str = ""


KINDS = {
    "gaussian": Kind(("value",), ("sigma", "sigma_lo", "sigma_hi", "sigma_theory"),
                     "a measurement: passes when |pull| <= n_sigma; chi2 = pull^2"),
    "oscillation": Kind(("no_range", "io_range", "no_best", "io_best"), ("no_sigma", "io_sigma"),
                        "a neutrino oscillation parameter: passes inside the 3 sigma range of the point's ordering"),
    "upper_limit": Kind(("value",), ("mass_scaling",), "observable <= value (x (M/TeV)^power with mass_scaling)"),
    "lower_limit": Kind(("value",), (), "observable >= value"),
    "range": Kind(("lo", "hi"), ("mass_scaling",), "lo <= observable <= hi (both x (M/TeV)^power with mass_scaling)"),
    "mass_dependent_upper_limit": Kind(("mass", "masses", "limits"), (),
                                       "observable <= limit(M), linear in M between the tabulated masses"),
}
COMMON = ("kind", "observable", "source", "approx", "approx_reason", "default", "models", "cl", "prediction")
INPUT_TABLES = ("ckm",)
"""Top-level tables of a set that are kernel inputs (part of every card's likelihood)."""


# ---------------------------------------------------------------------------------------------- validation

def _finite(value, where: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{where}: expected a number, got {echo(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise UserError(f"{where}: must be finite") from None
    if not math.isfinite(number):
        raise UserError(f"{where}: must be finite, got {echo(value)}")
    if positive and number <= 0:
        raise UserError(f"{where}: must be > 0, got {echo(value)}")
    return number


def _pair(value, where: str, positive: bool = False, ordered: bool = True) -> list[float]:
    if not (isinstance(value, list) and len(value) == 2):
        raise UserError(f"{where}: expected two numbers")
    pair = [_finite(v, where, positive) for v in value]
    if ordered and pair[0] > pair[1]:
        raise UserError(f"{where}: lo > hi")
    return pair


def _source(value, where: str) -> dict:
    if isinstance(value, str):
        return {"text": value}
    if not isinstance(value, dict):
        raise UserError(f"{where}: expected a string or a table {{text, arxiv, inspire, where}}")
    unknown = [k for k in value if k not in SOURCE_KEYS]
    if unknown:
        raise UserError(f"{where}.{key_text(unknown[0])}: unknown key{did_you_mean(unknown[0], SOURCE_KEYS)}")
    for key, text in value.items():
        if not isinstance(text, str):
            raise UserError(f"{where}.{key}: expected a string")
    if "text" not in value:
        raise UserError(f"{where}.text: missing (a short description of the source)")
    return {k: value[k] for k in SOURCE_KEYS if k in value}


def _mass_scaling(value, where: str, parameters: set[str]) -> dict:
    if not (isinstance(value, dict) and set(value) == {"mass", "power"}):
        raise UserError(f"{where}: expected {{mass = \"<parameter>\", power = <number>}}")
    if value["mass"] not in parameters:
        raise UserError(f"{where}.mass: {echo(value['mass'])} is not a parameter{did_you_mean(value['mass'], parameters)}")
    power = _finite(value["power"], f"{where}.power")
    return {"mass": value["mass"], "power": int(power) if isinstance(value["power"], int) else power}


@functools.lru_cache(maxsize=None)
def known_names() -> tuple[frozenset, frozenset]:
    """(observable names, parameter names) of every registered model."""
    observables, parameters = set(), set()
    for name in models.names():
        spec = models.get(name)
        observables |= {o.name for o in spec.observables}
        parameters |= {o.name for o in spec.parameters}
    return frozenset(observables), frozenset(parameters)


def validate_entry(name: str, entry, where: str) -> dict:
    """A validated constraint entry (a plain dict with normalised fields); UserError naming the field."""
    where = f"{where}: constraint.{name}"
    if not isinstance(entry, dict):
        raise UserError(f"{where}: expected a table")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise UserError(f"{where}.kind: {echo(kind)} is not a constraint kind{did_you_mean(kind, KINDS)}")
    spec = KINDS[kind]
    allowed = set(COMMON) | set(spec.required) | set(spec.optional)
    for key in entry:
        if key not in allowed:
            raise UserError(f"{where}.{key_text(key)}: unknown field for kind {kind}{did_you_mean(key, allowed)}")
    for key in ("observable", *spec.required):
        if key not in entry:
            raise UserError(f"{where}.{key}: missing (kind {kind} needs {', '.join(('observable',) + spec.required)})")
    observables, parameters = known_names()
    observable = entry["observable"]
    if not isinstance(observable, str) or observable not in observables | parameters:
        raise UserError(f"{where}.observable: {echo(observable)} is not an observable of any model"
                        f"{did_you_mean(observable, observables | parameters)}")
    out: dict[str, Any] = {"kind": kind, "observable": observable}
    if kind == "gaussian":
        out["value"] = _finite(entry["value"], f"{where}.value")
        if "sigma" in entry:
            if "sigma_lo" in entry or "sigma_hi" in entry:
                raise UserError(f"{where}.sigma: give sigma or sigma_lo and sigma_hi, not both")
            out["sigma"] = _finite(entry["sigma"], f"{where}.sigma", positive=True)
        elif "sigma_lo" in entry and "sigma_hi" in entry:
            out["sigma_lo"] = _finite(entry["sigma_lo"], f"{where}.sigma_lo", positive=True)
            out["sigma_hi"] = _finite(entry["sigma_hi"], f"{where}.sigma_hi", positive=True)
        else:
            raise UserError(f"{where}.sigma: missing (sigma, or sigma_lo and sigma_hi)")
        if "sigma_theory" in entry:
            out["sigma_theory"] = _finite(entry["sigma_theory"], f"{where}.sigma_theory")
            if out["sigma_theory"] < 0:
                raise UserError(f"{where}.sigma_theory: must be >= 0")
    elif kind == "oscillation":
        for ordering in ("no", "io"):
            out[f"{ordering}_range"] = _pair(entry[f"{ordering}_range"], f"{where}.{ordering}_range")
            best = out[f"{ordering}_best"] = _finite(entry[f"{ordering}_best"], f"{where}.{ordering}_best")
            lo, hi = out[f"{ordering}_range"]
            if not lo <= best <= hi:
                raise UserError(f"{where}.{ordering}_best: outside {ordering}_range")
            if f"{ordering}_sigma" in entry:
                out[f"{ordering}_sigma"] = _pair(entry[f"{ordering}_sigma"], f"{where}.{ordering}_sigma",
                                                 positive=True, ordered=False)
    elif kind in ("upper_limit", "lower_limit"):
        out["value"] = _finite(entry["value"], f"{where}.value")
        if kind == "upper_limit" and out["value"] == 0 and "mass_scaling" in entry:
            raise UserError(f"{where}.value: a mass-scaled limit must not be 0")
    elif kind == "range":
        out["lo"], out["hi"] = _pair([entry["lo"], entry["hi"]], f"{where}.lo/hi")
    else:
        if entry["mass"] not in parameters:
            raise UserError(f"{where}.mass: {echo(entry['mass'])} is not a parameter{did_you_mean(entry['mass'], parameters)}")
        out["mass"] = entry["mass"]
        masses, limits = entry["masses"], entry["limits"]
        if not (isinstance(masses, list) and isinstance(limits, list) and len(masses) == len(limits) >= 1):
            raise UserError(f"{where}.masses: masses and limits must be lists of the same length")
        out["masses"] = [_finite(m, f"{where}.masses") for m in masses]
        out["limits"] = [_finite(v, f"{where}.limits") for v in limits]
        if any(b <= a for a, b in zip(out["masses"], out["masses"][1:])):
            raise UserError(f"{where}.masses: must increase")
    if "mass_scaling" in entry:
        out["mass_scaling"] = _mass_scaling(entry["mass_scaling"], f"{where}.mass_scaling", parameters)
    if "prediction" in entry:
        mapping = entry["prediction"]
        if not (isinstance(mapping, dict) and set(mapping) <= {"offset", "scale"} and mapping):
            raise UserError(f"{where}.prediction: expected {{offset = <number>, scale = <number>}}")
        out["prediction"] = {k: _finite(v, f"{where}.prediction.{k}") for k, v in mapping.items()}
    if "cl" in entry:
        out["cl"] = _finite(entry["cl"], f"{where}.cl")
        if not 0 < out["cl"] < 1:
            raise UserError(f"{where}.cl: must be between 0 and 1")
    for flag in ("approx", "default"):
        if flag in entry:
            if not isinstance(entry[flag], bool):
                raise UserError(f"{where}.{flag}: expected true or false")
            out[flag] = entry[flag]
    if "approx_reason" in entry:
        if not isinstance(entry["approx_reason"], str):
            raise UserError(f"{where}.approx_reason: expected a string")
        out["approx_reason"] = entry["approx_reason"]
    if "models" in entry:
        names = entry["models"]
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
            raise UserError(f"{where}.models: expected a list of model names")
        out["models"] = list(names)
    if "source" in entry:
        out["source"] = _source(entry["source"], f"{where}.source")
    return out


# ---------------------------------------------------------------------------------------------- sets and files

@functools.lru_cache(maxsize=None)
def shipped_set(name: str) -> Mapping[str, Any]:
    """A shipped measurement set, validated: {"constraint": {name: entry}, "correlation": [...], "ckm": {...},
    "name", "description"} (every ``*.toml`` of its folder merged; a name may appear only once)."""
    from flavorscan.kernels.constants import measurement_set

    raw = measurement_set(name)
    out = {key: value for key, value in raw.items() if key != "constraint"}
    out["constraint"] = {k: validate_entry(k, v, f"measurement set {name}") for k, v in raw["constraint"].items()}
    for position, correlation in enumerate(raw.get("correlation", [])):
        _check_correlation(correlation, out["constraint"], f"measurement set {name}: correlation {position}")
    return out


def _check_correlation(correlation, constraints: Mapping, where: str) -> None:
    names = correlation.get("observables") if isinstance(correlation, dict) else None
    if not (isinstance(names, list) and len(names) == 2 and all(n in constraints for n in names)):
        raise UserError(f"{where}: observables must name two constraints of the set")
    if any(constraints[n]["kind"] != "gaussian" for n in names):
        raise UserError(f"{where}: correlations are between gaussian constraints")
    rho = _finite(correlation.get("rho"), f"{where}.rho")
    if not -1 < rho < 1:
        raise UserError(f"{where}.rho: must be between -1 and 1")


def read_measurement_file(path) -> dict[str, dict]:
    """The validated entries of a user's measurement file (only ``[constraint.<name>]`` tables)."""
    from flavorscan.scanner.files import read_regular_file

    path = Path(path)
    data = parse_toml(read_regular_file(path, MAX_FILE_BYTES, "measurement file"), str(path))
    extra = [k for k in data if k != "constraint"]
    if extra:
        raise UserError(f"{path}: {key_text(extra[0])}: a measurement file holds only [constraint.<name>] tables")
    entries = data.get("constraint", {})
    if not isinstance(entries, dict) or not entries:
        raise UserError(f"{path}: no [constraint.<name>] table")
    return {name: validate_entry(name, entry, str(path)) for name, entry in entries.items()}


def applies(entry: Mapping, spec) -> bool:
    """Whether a constraint applies to a model: the model computes its observable (or has the parameter) and
    the entry's ``models``, if given, name it."""
    names = {o.name for o in spec.observables} | {o.name for o in spec.parameters}
    return entry["observable"] in names and spec.name in entry.get("models", (spec.name,))


def available(spec, set_name: str, user: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """The constraints of a set (amended by the user's entries) that apply to the model, in the set's order
    (a user's new entries last)."""
    merged = dict(shipped_set(set_name)["constraint"])
    merged.update(user or {})
    return {name: entry for name, entry in merged.items() if applies(entry, spec)}


# ---------------------------------------------------------------------------------------------- resolution

def enabled_names(settings: Mapping, candidates: Mapping[str, dict], spec) -> list[str]:
    """The names a [constraints] table enables, in order: "default" means every candidate whose entry is not
    marked ``default = false`` and which the model does not list in its ``not_default``."""
    if settings["enabled"] == "default":
        names = [n for n, entry in candidates.items() if entry.get("default", True) and n not in spec.not_default]
    else:
        names = list(settings["enabled"])
    return [n for n in names if n not in settings["disabled"]]


def check_names(names: Iterable[str], candidates: Mapping, spec, set_name: str) -> None:
    for name in names:
        if name not in candidates:
            raise UserError(f"constraints: {echo(name)} is not a {spec.name} constraint of measurement set "
                            f"{set_name!r}{did_you_mean(name, candidates)} (flavorscan constraints --set "
                            f"{set_name} --model {spec.name} lists them)")


def likelihood_hash(likelihood: Mapping) -> str:
    from flavorscan.scanner.store.format import canonical_json

    content = {k: v for k, v in likelihood.items() if k != "hash"}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def resolve_likelihood(spec, set_name: str, settings: Mapping, user: Mapping[str, dict] | None = None) -> dict:
    """The card's likelihood: {"set", "constraints": [entry with "name", ...], "correlations": [...],
    "inputs": {"ckm": {...}, "entries": {name: entry}}, "hash"} (module docstring). A model's [constraints]
    aliases (e.g. the leptoquark mass_floor_R2) set the value of the limit they name."""
    data = shipped_set(set_name)
    candidates = available(spec, set_name, user)
    named = ([] if settings["enabled"] == "default" else settings["enabled"]) + settings["disabled"]
    check_names(named, candidates, spec, set_name)
    names = enabled_names(settings, candidates, spec)
    enabled = set(names)
    merged_all = dict(data["constraint"], **(user or {}))
    values = {target: settings[key] for key, target in spec.constraint_aliases.items() if key in settings}
    likelihood = {
        "set": set_name,
        "constraints": [dict(candidates[n], name=n, **({"value": values[n]} if n in values else {}))
                        for n in names],
        "correlations": [dict(c) for c in data.get("correlation", []) if all(n in enabled for n in c["observables"])],
        "inputs": {
            **{table: dict(data[table]) for table in INPUT_TABLES if table in data},
            "entries": {n: merged_all[n] for n in spec.set_entries if n in merged_all},
        },
    }
    if user:
        likelihood["user_constraints"] = sorted(user)
    likelihood["hash"] = likelihood_hash(likelihood)
    return likelihood
