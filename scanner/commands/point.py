"""``flavorscan point CARD [--json]``: every observable and constraint of the card's point."""

from __future__ import annotations

import json


def register(subparsers):
    parser = subparsers.add_parser("point", help="evaluate the card's [point]: observables and constraints")
    parser.add_argument("card", help="run card (TOML) with a [point] table")
    parser.add_argument("--json", action="store_true", help="print JSON (schema in docs/interface.md)")
    parser.set_defaults(handler=run)


def format_text(result: dict) -> str:
    from flavorscan.scanner.text import constraint_lines, observable_lines, shown

    lines = observable_lines(result["observables"], result["units"])
    if result["constraints"]:
        lines.append("")
        lines.extend(constraint_lines(result["constraints"]))
    lines.append("")
    lines.append(f"chi2_total = {shown(result['chi2_total'])}    viable = {'yes' if result['viable'] else 'no'}")
    return "\n".join(lines)


def run(args) -> int:
    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.evaluate import evaluate_card_point

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
