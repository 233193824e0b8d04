"""``flavorscan card DIR --point-id N``: print a card that reproduces one stored row (and nothing else)."""

from __future__ import annotations


def register(subparsers):
    parser = subparsers.add_parser("card", help="print a card reproducing a stored row (flavorscan point on it)")
    parser.add_argument("directory", help="run directory or merged file (run, refine or discover output)")
    parser.add_argument("--point-id", type=int, required=True, help="the row's point_id")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner.reproduce import reproducing_card

    print(reproducing_card(args.directory, args.point_id), end="")
    return 0
