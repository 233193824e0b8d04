"""Export a point's Wilson coefficients in the WCxf exchange format (``flavorscan wcxf``), for wilson, smelli,
flavio and other tools (https://wcxf.github.io). What a model exports, at which scale and in which basis, is
its spec's ``wilson_coefficients`` (the leptoquark model: WET, flavio basis, 4.8 GeV)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from flavorscan.scanner import models
from flavorscan.scanner.errors import UserError


def wcxf_record(card: dict) -> dict:
    """The WCxf record {"eft", "basis", "scale", "values": {name: {"Re", "Im"} or number}} of a card's point."""
    from flavorscan.scanner.evaluate import evaluate_card_point

    spec = models.get(card["model"])
    if spec.wilson_coefficients is None:
        raise UserError(f"model {spec.name!r} exports no Wilson coefficients")
    if "point" not in card:
        raise UserError("wcxf needs a card with a [point] table")
    observables = evaluate_card_point(card)["observables"]
    missing = [name for name, value in observables.items() if value is None]
    record = spec.wilson_coefficients({k: (math.nan if v is None else v) for k, v in observables.items()})
    values = {}
    for name, value in record["values"].items():
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise UserError(f"{name}: not finite at this point (non-finite observables: {', '.join(missing[:5])})")
        if value != 0:
            values[name] = {"Re": value.real, "Im": value.imag} if value.imag else value.real
    return {"eft": record["eft"], "basis": record["basis"], "scale": float(record["scale"]), "values": values}


def to_yaml(record: dict) -> str:
    """The record as YAML (flat enough to write directly: numbers with round-trip precision)."""
    lines = [f"eft: {record['eft']}", f"basis: {record['basis']}", f"scale: {record['scale']!r}", "values:"]
    for name, value in record["values"].items():
        if isinstance(value, dict):
            lines.append(f"  {name}: {{Re: {value['Re']!r}, Im: {value['Im']!r}}}")
        else:
            lines.append(f"  {name}: {value!r}")
    if not record["values"]:
        lines[-1] = "values: {}"
    return "\n".join(lines) + "\n"


def write_wcxf(card: dict, output) -> dict:
    """Write the card's point as a WCxf file (.json: JSON, otherwise YAML); returns the record."""
    from flavorscan.scanner.files import write_regular_file

    record = wcxf_record(card)
    text = json.dumps(record, indent=1) + "\n" if Path(output).suffix == ".json" else to_yaml(record)
    write_regular_file(output, text)
    return record
