"""``flavorscan plot DIR --x COL [--y COL] [-o FILE.png] ...``: a plot of a run's columns.

Kinds: scatter of two columns (coloured by χ², by the first failing constraint or by a column), binned 2D
profile (min χ² per bin), 1D profile χ² (``--x`` alone), and the presets of the run's model
(``--preset NAME``, e.g. ``lq-couplings`` or ``zprime``). The drawing is :func:`flavorscan.scanner.plots.plot`;
see docs/postprocessing.md.
"""

from __future__ import annotations

import sys

KINDS = ("scatter", "profile")
ROWS = ("all", "viable", "limits")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="scatter / profile plots of a run's columns, the model's preset figures",
        description=(
            "Plot columns of a run directory (or merged file). COL is a column name (parameter, observable, "
            "chi2_total, ...), abs:NAME for the modulus of a complex column pair NAME/NAME_im "
            "(e.g. abs:fR_ctau) or arg:NAME for its phase. With --x alone: 1D profile chi2. "
            "Needs matplotlib: pip install matplotlib, or pip install -e '.[plot]' in a checkout."
        ),
    )
    parser.add_argument("directory", metavar="DIR", help="run directory (or merged HDF5 file)")
    parser.add_argument("--x", metavar="COL", help="column on the x axis")
    parser.add_argument("--y", metavar="COL", help="column on the y axis (without it: 1D profile chi2 of --x)")
    parser.add_argument("-o", "--output", metavar="FILE.png",
                        help="image to write (.png, .pdf, .svg); default: a name built from the columns, "
                             "in the current directory")
    parser.add_argument("--color", metavar="chi2|constraint|COL", default=None,
                        help="scatter colour: chi2_total (chi2, default), first failing constraint "
                             "(constraint) or any column")
    parser.add_argument("--kind", choices=KINDS, default=None,
                        help="scatter (default with --y) or profile (min chi2 per bin; default without --y)")
    parser.add_argument("--preset", metavar="NAME", default=None,
                        help="a ready-made figure of the run's model (e.g. lq-couplings: |coupling| planes "
                             "of viable points; zprime: (m_Zp, g_X) with each constraint's excluded region "
                             "and the delta_a_mu band); an unknown name lists the model's presets")
    parser.add_argument("--rows", choices=ROWS, default=None,
                        help="rows used: all (scatter default), viable, or limits: rows passing every "
                             "limit-type constraint (profile default)")
    xs = parser.add_mutually_exclusive_group()
    xs.add_argument("--logx", dest="logx", action="store_const", const=True, default=None,
                    help="log x axis (default: automatic: log when positive values span more than a decade, "
                         "symlog when values of both signs or zero span many decades, else linear)")
    xs.add_argument("--linx", dest="logx", action="store_const", const=False, help="linear x axis")
    ys = parser.add_mutually_exclusive_group()
    ys.add_argument("--logy", dest="logy", action="store_const", const=True, default=None,
                    help="log y axis (default: automatic)")
    ys.add_argument("--liny", dest="logy", action="store_const", const=False, help="linear y axis")
    parser.add_argument("--bins", type=int, default=None, metavar="N",
                        help="bins per axis of profiles and binned presets (default: about 4 rows per "
                             "bin, 8 to 60 bins; a grid scan's own grid when it has few distinct values)")
    parser.add_argument("--max-points", type=int, default=None, metavar="N",
                        help="scatter: draw at most N points (all viable ones kept, the rest at random; "
                             "default 300000)")
    parser.add_argument("--cl", metavar="P[,P...]", default=None,
                        help="confidence levels of the delta chi2 lines (profiles) and of the measurement bands "
                             "and ellipses (scatter, profiles), e.g. 0.6827,0.9545 (the default: 1 and 2 sigma)")
    parser.add_argument("--title", default=None, help="replace the automatic title")
    parser.add_argument("--dpi", type=int, default=120, help="resolution of PNG output (default 120)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner import plots
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.plots.levels import parse_cl

    if args.bins is not None and not 2 <= args.bins <= 1000:
        raise UserError(f"--bins: expected 2..1000, got {args.bins}")
    if args.max_points is not None and args.max_points < 1:
        raise UserError(f"--max-points: expected >= 1, got {args.max_points}")
    if not 10 <= args.dpi <= 1200:
        raise UserError(f"--dpi: expected 10..1200, got {args.dpi}")
    cl = parse_cl(args.cl) if args.cl is not None else None
    path, note = plots.plot(args.directory, x=args.x, y=args.y, kind=args.kind, preset=args.preset,
                            color=args.color, rows=args.rows, bins=args.bins, logx=args.logx, logy=args.logy,
                            max_points=args.max_points, cl=cl, output=args.output, title=args.title,
                            dpi=args.dpi)
    if note and not args.quiet:  # -q: errors only on stderr
        print(f"flavorscan: note: {note}", file=sys.stderr)
    print(f"wrote {path}")
    return 0
