"""``flavorscan plot DIR --x COL [--y COL] [-o FILE.png] ...``: a plot of a run's columns.

Kinds: scatter of two columns (coloured by χ², by the first failing constraint or by a column), binned 2D
profile (min χ² per bin), 1D profile χ² (``--x`` alone), and two presets: ``lq-couplings`` (|coupling|
planes of the viable points) and ``zprime`` ((m_Z′, g_X) with excluded regions and the Δa_μ band).
See docs/postprocessing.md.
"""

from __future__ import annotations

import re

KINDS = ("scatter", "profile")
PRESETS = ("lq-couplings", "zprime")
ROWS = ("all", "viable", "limits")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="scatter / profile plots of a run's columns, LQ coupling planes, Z' exclusion plot",
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
    parser.add_argument("--preset", choices=PRESETS, default=None,
                        help="lq-couplings: |coupling| planes of viable points; zprime: (m_Zp, g_X) with "
                             "each constraint's excluded region and the delta_a_mu band")
    parser.add_argument("--rows", choices=ROWS, default=None,
                        help="rows used: all (scatter default), viable, or limits: rows passing every "
                             "limit-type constraint (profile default)")
    xs = parser.add_mutually_exclusive_group()
    xs.add_argument("--logx", dest="logx", action="store_const", const=True, default=None,
                    help="log x axis (default: automatic, log when positive values span > 2 decades)")
    xs.add_argument("--linx", dest="logx", action="store_const", const=False, help="linear x axis")
    ys = parser.add_mutually_exclusive_group()
    ys.add_argument("--logy", dest="logy", action="store_const", const=True, default=None,
                    help="log y axis (default: automatic)")
    ys.add_argument("--liny", dest="logy", action="store_const", const=False, help="linear y axis")
    parser.add_argument("--bins", type=int, default=None, metavar="N",
                        help="bins per axis of profiles and the zprime preset (default: about 4 rows per "
                             "bin, 8 to 60 bins; a grid scan's own grid when it has few distinct values)")
    parser.add_argument("--max-points", type=int, default=None, metavar="N",
                        help="scatter: draw at most N points (all viable ones kept, the rest at random; "
                             "default 300000)")
    parser.add_argument("--title", default=None, help="replace the automatic title")
    parser.add_argument("--dpi", type=int, default=120, help="resolution of PNG output (default 120)")
    parser.set_defaults(handler=run)


def _default_name(*parts) -> str:
    text = "_".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text) + ".png"


def run(args) -> int:
    from flavorscan.scanner import plots
    from flavorscan.scanner.errors import UserError

    plots.require_matplotlib()  # fail early with the install hint
    if args.bins is not None and not 2 <= args.bins <= 1000:
        raise UserError(f"--bins: expected 2..1000, got {args.bins}")
    if args.max_points is not None and args.max_points < 1:
        raise UserError(f"--max-points: expected >= 1, got {args.max_points}")
    if not 10 <= args.dpi <= 1200:
        raise UserError(f"--dpi: expected 10..1200, got {args.dpi}")

    if args.preset is not None:
        if args.kind is not None or args.color is not None or args.rows is not None:
            raise UserError(f"--preset {args.preset} takes no --kind, --color or --rows")
        if args.preset == "lq-couplings" and (args.x or args.y):
            raise UserError("--preset lq-couplings chooses its own axes; drop --x/--y")
        data = plots.RunData(args.directory)
        out = args.output or _default_name(args.preset)
        if args.preset == "lq-couplings":
            path = plots.lq_couplings(data, out, title=args.title, dpi=args.dpi)
        else:
            path = plots.zprime(data, out, x=args.x or "m_Zp", y=args.y or "g_X", bins=args.bins,
                                logx=args.logx, logy=args.logy, title=args.title, dpi=args.dpi)
        print(f"wrote {path}")
        return 0

    if not args.x:
        if args.y:
            raise UserError("--y needs --x (with --x alone: 1D profile chi2)")
        raise UserError("give --x COL (and --y COL), or --preset lq-couplings|zprime")
    kind = args.kind or ("scatter" if args.y else "profile")
    if kind == "scatter" and not args.y:
        raise UserError("a scatter plot needs --y COL (for chi2 against x: --y chi2_total)")
    if kind == "profile" and args.color is not None:
        raise UserError("--color applies to scatter plots only (a profile is coloured by delta chi2)")
    data = plots.RunData(args.directory)
    common = dict(logx=args.logx, logy=args.logy, title=args.title, dpi=args.dpi)
    if kind == "scatter":
        out = args.output or _default_name(args.x, "vs", args.y)
        path = plots.scatter(data, args.x, args.y, out, color=args.color or "chi2", rows=args.rows or "all",
                             max_points=args.max_points or plots.DEFAULT_MAX_POINTS, **common)
    elif args.y:
        out = args.output or _default_name("profile", args.x, args.y)
        path = plots.profile2d(data, args.x, args.y, out, rows=args.rows or "limits", bins=args.bins,
                               **common)
    else:
        out = args.output or _default_name("profile", args.x)
        path = plots.profile1d(data, args.x, out, rows=args.rows or "limits", bins=args.bins, **common)
    print(f"wrote {path}")
    return 0
