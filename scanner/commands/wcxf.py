"""``flavorscan wcxf CARD -o FILE.yaml``: the point's Wilson coefficients as a WCxf file (wilson, smelli)."""

from __future__ import annotations

from flavorscan.scanner.commands import output_path


def register(subparsers):
    parser = subparsers.add_parser("wcxf", help="write the card's point's Wilson coefficients as a WCxf file")
    parser.add_argument("card", help="run card (TOML) with a [point] table")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", type=output_path, help="FILE.yaml (or FILE.json)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.wcxf import write_wcxf

    record = write_wcxf(load_card(args.card), args.output)
    print(f"wrote {args.output}: {len(record['values'])} coefficients ({record['eft']}, {record['basis']} basis, "
          f"scale {record['scale']} GeV)")
    return 0
