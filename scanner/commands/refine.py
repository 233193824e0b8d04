"""``flavorscan refine DIR [--out DIR2] [--steps N]``: gradient refinement of a run's candidate rows.

Reads the rows of DIR flagged ``candidate`` (all rows with ``--all``), refines them with the run card's
[refine] settings (docs/refinement.md) and writes them into DIR2 (default DIR/refined) with the run's column
schema plus ``parent_point_id`` and the diagnostics columns; an interrupted refinement resumes where it
stopped. Progress on stderr; on stdout the human summary on a terminal, else (and with --json) the one-line
JSON summary.
"""

from __future__ import annotations

from flavorscan.scanner.commands import output_path
from flavorscan.scanner.progress import add_progress_option


def register(subparsers):
    from flavorscan.scanner.refine.settings import OPTIMIZERS

    parser = subparsers.add_parser("refine", help="gradient refinement of a run's best candidates (optax)")
    parser.add_argument("directory", help="run directory written by flavorscan run (or discover)")
    parser.add_argument("--out", default=None, type=output_path, help="output run directory (default DIR/refined)")
    parser.add_argument("--steps", type=int, default=None, help="step budget per point (default: [refine] steps)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="optax optimizer (default: [refine])")
    parser.add_argument("--learning-rate", type=float, default=None, help="learning rate (default: [refine])")
    parser.add_argument("--all", action="store_true", help="refine every stored row, not only candidate rows")
    parser.add_argument("--restart", action="store_true", help="discard a previous refinement in the output directory")
    parser.add_argument("--json", action="store_true",
                        help="print the JSON summary (the default when stdout is not a terminal)")
    add_progress_option(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner.cardkeys import integer
    from flavorscan.scanner.commands import require_float64
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.progress import from_args, print_result
    from flavorscan.scanner.refine.driver import refine_run
    from flavorscan.scanner.refine.settings import MAX_STEPS

    require_float64("refine")
    if args.steps is not None:
        integer(args.steps, "--steps", lo=0, hi=MAX_STEPS)
    if args.learning_rate is not None and not args.learning_rate > 0:
        raise UserError(f"--learning-rate: must be > 0, got {args.learning_rate}")
    progress = from_args(args, "refine")
    summary = refine_run(args.directory, args.out, steps=args.steps, optimizer=args.optimizer,
                         learning_rate=args.learning_rate, all_rows=args.all, restart=args.restart, progress=progress)
    print_result(summary, _summary_text(summary, progress), args.json)
    return 0


def _summary_text(summary: dict, progress) -> str:
    from flavorscan.scanner.progress import format_summary, timing_items

    refined = summary["rows_refined"]
    return format_summary("flavorscan refine", [
        ("rows refined", f"{refined:,d}" + (f" ({summary['rows_skipped']:,d} done before)"
                                            if summary["rows_skipped"] else "")),
        ("viable", f"{summary['viable_before']:,d} before, {summary['viable_after']:,d} after"),
        ("converged", f"{summary['converged']:,d}"),
        ("optimizer", f"{summary['optimizer']}, at most {summary['steps']:,d} steps"),
        *timing_items(progress, summary["seconds"], refined, rate_digits=1),
        ("output", summary["out"]),
    ])
