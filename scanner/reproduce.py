"""A card that reproduces one stored row (``flavorscan card DIR --point-id N``).

The card names the run's model, measurement set (and the absolute path of its measurement file, if it had
one), its [constraints] table and a [point] with every parameter of the row (the model's
``point_from_columns``: for the leptoquark model the masses, m0I0 as stored — however the scan set it — the
conventions and all four coupling matrices), floats written with Python's round-trip repr, so that
``flavorscan point`` on it evaluates the point the row was computed at and gives its verdict. (A row of a
``mass_scale = "dm3l"`` scan was computed at m0I0 = 1 and rescaled; evaluated directly at the stored m0I0 it
agrees to round-off.)
"""

from __future__ import annotations

import json
import math

import numpy as np

from flavorscan.scanner import models
from flavorscan.scanner.errors import UserError


def toml_value(value) -> str:
    """A TOML literal of a card value (strings, booleans, ints, floats at round-trip precision, lists,
    inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def card_text(card: dict, point: dict, comment: str) -> str:
    lines = [f"# {comment}", f"model = {toml_value(card['model'])}", f"measurements = {toml_value(card['measurements'])}"]
    if "measurements_file" in card:
        lines.append(f"measurements_file = {toml_value(card['measurements_file'])}")
    lines += ["", "[point]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in point.items()]
    lines += ["", "[constraints]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in card["constraints"].items()]
    return "\n".join(lines) + "\n"


def reproducing_card(directory, point_id: int) -> str:
    """The TOML text of a card reproducing the row ``point_id`` of a run directory (or merged file)."""
    from flavorscan.scanner import store

    summary = store.info(directory)
    card = summary["card"]
    if not card or "model" not in card:
        raise UserError(f"{directory}: holds no run card")
    spec = models.get(card["model"])
    ids = store.load(directory, ["point_id"])["point_id"]
    where = np.flatnonzero(ids == point_id)
    if where.size == 0:
        raise UserError(f"{directory}: no row with point_id {point_id}")
    names = [o.name for o in spec.stored_parameters(card)]
    missing = [n for n in names if n not in summary["columns"]]
    if missing:
        raise UserError(f"{directory}: no column {missing[0]!r} (not a {spec.name} run of this version?)")
    columns = store.load(directory, names)
    row = {name: values[where[0]] for name, values in columns.items()}
    point = spec.point_from_columns(card, row)
    return card_text(card, point, f"point_id {point_id} of {directory} (flavorscan card)")
