"""``flavorscan constraints [--set NAME] [--model M] [--json]``: every constraint of the measurement sets."""

from __future__ import annotations

import json


def register(subparsers):
    parser = subparsers.add_parser("constraints", help="list the constraints of the measurement sets (values, sources)")
    parser.add_argument("--set", default=None, help="one measurement set (default: every set)")
    parser.add_argument("--model", default=None, help="only the constraints that apply to this model")
    parser.add_argument("--json", action="store_true", help="print JSON (docs/interface.md)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.kernels.constants import MEASUREMENT_SETS
    from flavorscan.scanner import models
    from flavorscan.scanner.cardkeys import choice
    from flavorscan.scanner.listings import constraint_listing, format_constraints

    if args.set is not None:
        choice(args.set, "--set", MEASUREMENT_SETS)
    if args.model is not None:
        models.get(args.model)
    listing = constraint_listing(args.set, args.model)
    print(json.dumps(listing, indent=1) if args.json else format_constraints(listing))
    return 0
