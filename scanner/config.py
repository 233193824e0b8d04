"""Run cards: parse TOML, validate every key, fill defaults, return a fully resolved card.

A card is data. It is parsed with tomllib only, never evaluated; it may only name a model that is
registered (:mod:`flavorscan.scanner.models`). Every problem raises
:class:`flavorscan.scanner.errors.UserError` with one line naming the offending key, so the CLI exits with
status 2 and no traceback. The resolved card is a plain dict (JSON-serialisable, defaults filled in): it is
what gets written into HDF5 attributes and hashed to recognise a run directory. docs/cards.md lists every
key of every table; it is generated from the :class:`~flavorscan.scanner.cardkeys.CardKey` records the
resolvers validate against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flavorscan.kernels.constants import MEASUREMENT_SETS
from flavorscan.scanner import models
from flavorscan.scanner.cardkeys import (
    REQUIRED,
    CardKey,
    choice,
    number,
    parse_toml,
    reject_unknown,
    string_list,
    table,
)
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.files import read_regular_file

MAX_CARD_BYTES = 1 << 20
"""A card is a few kB; anything above 1 MiB is refused before parsing (a hostile card cannot exhaust memory)."""

TOP_KEYS = (
    CardKey("model", "string", REQUIRED, "the registered model: \"lq\" or \"zprime\" (flavorscan models lists them)"),
    CardKey("measurements", "string", "paper2022", "measurement set: \"paper2022\" or \"current\""),
    CardKey("measurements_file", "string", None,
            "a TOML file of [constraint.<name>] tables (path relative to the card) that replace same-named "
            "constraints of the set or add new ones (docs/likelihood.md)"),
    CardKey("title", "string", None, "a title for plots and reports"),
    CardKey("point", "table", None, "one point (flavorscan point, fit); the model's [point] keys"),
    CardKey("scan", "table", None, "a scan (flavorscan run); engine keys plus the model's [scan] keys"),
    CardKey("constraints", "table", "{}", "which constraints decide viability"),
    CardKey("refine", "table", None, "refinement and fit settings (flavorscan refine, fit)"),
    CardKey("discover", "table", None, "discovery settings (flavorscan discover); the [scan] table is its prior"),
)
CONSTRAINT_KEYS = (
    CardKey("enabled", "\"default\" or [string]", "default",
            "\"default\" (every constraint of the set that applies to the model and is not marked default = false) "
            "or a list of constraint names"),
    CardKey("disabled", "[string]", [], "constraint names removed from the enabled ones"),
    CardKey("n_sigma", "float", 2.0, "a Gaussian constraint passes when |pull| <= n_sigma"),
)
"""The generic [constraints] keys; a model may add aliases that set one limit (ModelSpec.constraint_aliases)."""


def resolve_constraints(section: dict, spec) -> dict:
    """[constraints]: which constraints are enabled and how Gaussian ones pass."""
    reject_unknown(section, CONSTRAINT_KEYS + tuple(CardKey(a, "float", None, "") for a in spec.constraint_aliases),
                   "constraints.")
    enabled = section.get("enabled", "default")
    if enabled != "default":
        if not isinstance(enabled, list):
            raise UserError("constraints.enabled: expected \"default\" or a list of constraint names")
        enabled = string_list(enabled, "constraints.enabled")
    out = {
        "enabled": enabled,
        "disabled": string_list(section.get("disabled", []), "constraints.disabled"),
        "n_sigma": number(section.get("n_sigma", 2.0), "constraints.n_sigma", positive=True),
    }
    for key in spec.constraint_aliases:
        if key in section:
            out[key] = number(section[key], f"constraints.{key}", positive=True)
    return out


def resolve_scan(section: dict, spec, discover: bool = False) -> dict:
    """[scan]: the engine keys (n defaults to the model's grid size, if it has one; a discovery card, whose
    budget is not n, may omit it) and the model's keys."""
    from flavorscan.scanner.sampling import resolve_engine_keys

    if discover and "n" not in section:
        section = dict(section, n=1)
    if "n" in section:  # the engine keys first, so that their errors come first
        scan = resolve_engine_keys(section)
        scan.update(spec.resolve_scan(section))
        return scan
    model_keys = spec.resolve_scan(section)
    scan = resolve_engine_keys(dict(section, n=model_keys["grid_size"]) if "grid_size" in model_keys else section)
    scan.update(model_keys)
    return scan


def resolve_card(raw: dict, source: str = "card", base: Path | None = None) -> dict:
    """Validate a parsed card (a dict from TOML) and return the resolved card. ``base``: the folder a
    relative ``measurements_file`` is read from (the card's folder; default the working directory)."""
    reject_unknown(raw, TOP_KEYS, "")
    if "model" not in raw:
        raise UserError(f"{source}: model: missing ({' or '.join(repr(n) for n in models.names())})")
    spec = models.get(raw["model"])
    measurements = choice(raw.get("measurements", "paper2022"), "measurements", MEASUREMENT_SETS)
    card: dict[str, Any] = {"model": spec.name, "measurements": measurements}
    if "title" in raw:
        if not isinstance(raw["title"], str):
            raise UserError("title: expected a string")
        card["title"] = raw["title"]
    if "point" not in raw and "scan" not in raw:
        raise UserError(f"{source}: needs a [point] or a [scan] table")
    if "point" in raw and "scan" in raw:
        raise UserError(f"{source}: give a [point] (flavorscan point, fit) or a [scan] (flavorscan run), not both")
    if "point" in raw:
        card["point"] = spec.resolve_point(table(raw["point"], "point"))
    if "scan" in raw:
        card["scan"] = resolve_scan(table(raw["scan"], "scan"), spec, discover="discover" in raw)
    card["constraints"] = resolve_constraints(table(raw.get("constraints", {}), "constraints"), spec)
    user = None
    if "measurements_file" in raw:
        from flavorscan.scanner.likelihood import read_measurement_file

        if not isinstance(raw["measurements_file"], str):
            raise UserError("measurements_file: expected a path (a string)")
        path = (Path(base) if base is not None else Path.cwd()) / raw["measurements_file"]
        user = read_measurement_file(path)
        card["measurements_file"] = str(path.resolve())
    from flavorscan.scanner.likelihood import resolve_likelihood

    card["likelihood"] = resolve_likelihood(spec, measurements, card["constraints"], user)
    if "refine" in raw:
        from flavorscan.scanner.refine.settings import resolve_refine

        card["refine"] = resolve_refine(table(raw["refine"], "refine"), spec.parametrisation(card).free_names)
    if "discover" in raw:
        from flavorscan.scanner.discover.settings import resolve_discover

        card["discover"] = resolve_discover(table(raw["discover"], "discover"))
    return card


def identity(card: dict) -> dict:
    """What identifies a run of the card: the resolved card without the path of its measurement file (the
    file's values are in the card's likelihood; moving the file changes nothing)."""
    return {k: v for k, v in card.items() if k != "measurements_file"}


def load_card(path) -> dict:
    """Read, parse and resolve a card file; every failure is a one-line UserError."""
    path = Path(path)
    data = read_regular_file(path, MAX_CARD_BYTES, "card")
    try:
        return resolve_card(parse_toml(data, str(path)), str(path), base=path.parent)
    except RecursionError:  # a resolver walking an absurdly nested value
        raise UserError(f"{path}: a value is nested too deeply") from None

