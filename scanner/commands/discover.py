"""``flavorscan discover CARD --out DIR [--seconds S] [--evals N] [--seed S] [--json]``: search the card's
prior for viable points (docs/discovery.md). Progress and the families found on stderr; on stdout the human
summary on a terminal, else (and with --json) a one-line JSON summary."""

from __future__ import annotations

import sys

from flavorscan.scanner.commands import output_path
from flavorscan.scanner.progress import add_progress_option


def register(subparsers):
    parser = subparsers.add_parser("discover", help="find viable points from the card's [scan] prior (no seed texture)")
    parser.add_argument("card", help="card with a [scan] table (the prior) and a [discover] table (may be empty)")
    parser.add_argument("--out", required=True, type=output_path, help="run directory (created; resumed if it holds this search)")
    parser.add_argument("--seconds", type=float, default=None, help="time budget (default: [discover] seconds)")
    parser.add_argument("--evals", type=int, default=None, help="budget in point evaluations (default: [discover] evals)")
    parser.add_argument("--seed", type=int, default=None, help="override scan.seed")
    parser.add_argument("--shard", default=None, help="I/N: run the batches b with b %% N == I")
    parser.add_argument("--restart", action="store_true", help="discard the directory's previous results")
    parser.add_argument("--json", action="store_true",
                        help="print the JSON summary (the default when stdout is not a terminal)")
    add_progress_option(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner.cardkeys import integer, number
    from flavorscan.scanner.commands import require_float64
    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.discover.driver import run_discover
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.families import format_families
    from flavorscan.scanner.progress import from_args, print_result
    from flavorscan.scanner.scan import StopRequest, parse_shard, with_overrides

    require_float64("discover")
    shard = parse_shard(args.shard) if args.shard else (0, 1)
    card = load_card(args.card)
    if "discover" not in card:
        raise UserError(f"{args.card}: has no [discover] table (an empty one means the defaults)")
    card = with_overrides(card, seed=args.seed)
    discover = dict(card["discover"])
    if args.seconds is not None:
        discover["seconds"] = number(args.seconds, "--seconds", positive=True, hi=1e9)
    if args.evals is not None:
        discover["evals"] = integer(args.evals, "--evals", lo=1, hi=1 << 62)
    card = dict(card, discover=discover)
    progress = from_args(args, "discover")
    with StopRequest() as stop:
        summary = run_discover(card, args.out, shard=shard, restart=args.restart, stop=stop, progress=progress)
    if not args.quiet:
        print("\n".join(format_families(summary["families"])), file=sys.stderr)
    summary["families"] = len(summary["families"])
    summary.update(out=str(args.out), shard=f"{shard[0]}/{shard[1]}")
    print_result(summary, _summary_text(summary, progress), args.json)
    return 0


def _summary_text(summary: dict, progress) -> str:
    from flavorscan.scanner.progress import format_summary, timing_items

    first = summary["seconds_to_first_viable"]
    skipped = f" ({summary['batches_skipped']} done before)" if summary["batches_skipped"] else ""
    return format_summary(f"flavorscan discover: shard {summary['shard']}", [
        ("batches", f"{summary['batches_evaluated']:,d}{skipped}"),
        ("evaluations", f"{summary['evaluations']:,d}"),
        ("rows kept", f"{summary['rows_kept']:,d} ({summary['viable']:,d} viable, {summary['families']} families)"),
        ("first viable", None if first is None else f"after {first:,.1f} s"),
        *timing_items(progress, summary["seconds"], summary["evaluations"]),
        ("output", summary["out"]),
    ])
