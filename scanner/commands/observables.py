"""``flavorscan observables [--model M] [--json]``: every observable and parameter column with unit and meaning."""

from __future__ import annotations

import json


def register(subparsers):
    parser = subparsers.add_parser("observables", help="list the observables and parameter columns of the models")
    parser.add_argument("--model", default=None, help="one model (default: every model)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner import models
    from flavorscan.scanner.listings import format_observables, observable_listing

    if args.model is not None:
        models.get(args.model)
    listing = observable_listing(args.model)
    print(json.dumps(listing, indent=1) if args.json else format_observables(listing))
    return 0
