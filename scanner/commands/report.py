"""``flavorscan report DIR -o OUT``: a self-contained report (index.html or index.md + PNG figures)."""

from __future__ import annotations

from flavorscan.scanner.commands import output_path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="self-contained report of a run: provenance, counts, pass fractions, best points, plots",
        description=(
            "Write OUT/index.html (or OUT/index.md with --format md), the PNG figures it shows and "
            "OUT/summary.json. Needs matplotlib: pip install matplotlib, or pip install -e '.[plot]' in a checkout."
        ),
    )
    parser.add_argument("directory", metavar="DIR", help="run directory (or merged HDF5 file)")
    parser.add_argument("-o", "--output", metavar="OUT", required=True, type=output_path, help="report directory to write")
    parser.add_argument("--format", choices=("html", "md"), default="html", help="index format (default html)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="best points listed (default 10)")
    parser.add_argument("--corner-max", type=int, default=10, metavar="N",
                        help="at most N parameters in the corner plot (default 10)")
    parser.add_argument("--dpi", type=int, default=110, help="resolution of the figures (default 110)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.report import build_report

    if not 1 <= args.top <= 1000:
        raise UserError(f"--top: expected 1..1000, got {args.top}")
    if not 1 <= args.corner_max <= 30:
        raise UserError(f"--corner-max: expected 1..30, got {args.corner_max}")
    if not 10 <= args.dpi <= 600:
        raise UserError(f"--dpi: expected 10..600, got {args.dpi}")
    index = build_report(args.directory, args.output, fmt=args.format, top=args.top,
                         corner_max=args.corner_max, dpi=args.dpi)
    print(f"wrote {index}")
    return 0
