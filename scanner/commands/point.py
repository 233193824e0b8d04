"""``flavorscan point CARD [--json]``: every observable and constraint of the card's point."""

from __future__ import annotations

import json
import math


def register(subparsers):
    parser = subparsers.add_parser("point", help="evaluate the card's [point]: observables and constraints")
    parser.add_argument("card", help="run card (TOML) with a [point] table")
    parser.add_argument("--json", action="store_true", help="print JSON (schema in interface.md)")
    parser.set_defaults(handler=run)


def _number(x):
    """JSON has no NaN/inf: they become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def evaluate_card_point(card: dict) -> dict:
    """The point's result in the interface.md JSON schema (plus units for the text view)."""
    import jax

    from flavorscan.scanner.pipeline import make_point_function, model_inputs, point_params

    inputs = model_inputs(card)
    point_function = make_point_function(card, inputs)
    columns = jax.jit(point_function)(point_params(card, inputs))
    observables = {o.name: _number(columns[o.name]) for o in point_function.model.observables}
    constraints = {}
    approximate = set(point_function.constraints.approximate)
    for constraint in point_function.constraints.constraints:
        name = constraint.name
        constraints[name] = {
            "value": _number(columns[constraint.observable]),
            "pass": bool(columns[f"pass_{name}"]),
            "chi2": _number(columns[f"chi2_{name}"]) if point_function.constraints.has_chi2(name) else None,
            "approx": name in approximate,  # limit recalled/approximated, not read from its source
        }
    return {
        "observables": observables,
        "constraints": constraints,
        "viable": bool(columns["viable"]),
        "chi2_total": _number(columns["chi2_total"]),
        "units": {o.name: o.unit for o in point_function.model.observables},
    }


def shown(value, spec: str = ".6g") -> str:
    """A JSON number for the text tables: None (a non-finite value, see _number) reads "nan"."""
    return "nan" if value is None else format(value, spec)


def constraint_lines(constraints: dict) -> list[str]:
    """The constraint table (value, pass, chi2, approximate limit) shared by ``point`` and ``fit``."""
    lines = ["constraint                      value          pass   chi2      approx limit"]
    for name, c in constraints.items():
        value = shown(c["value"])
        chi2 = "-" if c["chi2"] is None else shown(c["chi2"], ".3g")
        approx = "yes" if c.get("approx") else ""
        lines.append(f"{name:<30} {value:>14}  {'yes' if c['pass'] else 'NO':<5}  {chi2:<8}  {approx}".rstrip())
    return lines


def format_text(result: dict) -> str:
    lines = ["observable                      value          unit"]
    for name, value in result["observables"].items():
        lines.append(f"{name:<30} {shown(value):>14}  {result['units'][name]}")
    if result["constraints"]:
        lines.append("")
        lines.extend(constraint_lines(result["constraints"]))
    lines.append("")
    lines.append(f"chi2_total = {shown(result['chi2_total'])}    viable = {'yes' if result['viable'] else 'no'}")
    return "\n".join(lines)


def run(args) -> int:
    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.errors import UserError

    card = load_card(args.card)
    if "point" not in card:
        raise UserError(f"{args.card}: has no [point] table (flavorscan run evaluates a [scan])")
    result = evaluate_card_point(card)
    if args.json:
        payload = {k: result[k] for k in ("observables", "constraints", "viable", "chi2_total")}
        print(json.dumps(payload, indent=2))
    else:
        print(format_text(result))
    return 0
