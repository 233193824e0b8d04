"""``flavorscan run CARD --out DIR [--n N] [--seed S] [--restart] [--shard I/N] [--distributed] [--json]``.

Progress (compilation, points/s, rows kept) on stderr; on stdout the human summary on a terminal, else (and
with --json) the one-line JSON summary {"chunks_skipped", "chunks_evaluated", "points_evaluated",
"rows_kept", "seconds", "out", "shard", "chunks_planned"}.
"""

from __future__ import annotations

from flavorscan.scanner.commands import output_path
from flavorscan.scanner.progress import add_progress_option


def register(subparsers):
    parser = subparsers.add_parser("run", help="run the card's [scan] (resumes by default), HDF5 output in DIR")
    parser.add_argument("card", help="run card (TOML) with a [scan] table")
    parser.add_argument("--out", required=True, type=output_path, help="run directory (created; resumed if it holds this card's run)")
    parser.add_argument("--n", type=int, help="override scan.n (total points)")
    parser.add_argument("--seed", type=int, help="override scan.seed")
    parser.add_argument("--restart", action="store_true", help="discard the directory's previous results")
    parser.add_argument("--shard", default=None, help="I/N: evaluate chunks c with c %% N == I (SLURM arrays)")
    parser.add_argument("--distributed", action="store_true",
                        help="initialise jax.distributed (SLURM auto-detection) and take the shard from it")
    parser.add_argument("--json", action="store_true",
                        help="print the JSON summary (the default when stdout is not a terminal)")
    add_progress_option(parser)
    parser.add_argument("--segment-rows", type=int, default=262_144,
                        help="close a segment file after this many kept rows (default 262144)")
    parser.add_argument("--segment-seconds", type=float, default=120.0,
                        help="write finished chunks as a segment once this long has passed since the previous "
                             "segment (checked after each chunk; default 120 s)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner.progress import print_result
    from flavorscan.scanner.scan import StopRequest

    # The signal handlers first: a SIGINT/SIGTERM while the card is read or JAX starts is not lost (nor
    # raised inside a JAX callback, where Python would drop it); the run stops at its next safe point.
    with StopRequest() as stop:
        from flavorscan.scanner.commands import require_float64
        from flavorscan.scanner.config import load_card
        from flavorscan.scanner.errors import UserError
        from flavorscan.scanner.progress import from_args
        from flavorscan.scanner.scan import parse_shard, run_scan, with_overrides

        require_float64("run")
        if args.distributed and args.shard:
            raise UserError("--shard and --distributed exclude each other (the distributed runtime assigns shards)")
        shard = parse_shard(args.shard) if args.shard else (0, 1)
        progress = from_args(args, "run")
        card = with_overrides(load_card(args.card), n=args.n, seed=args.seed)
        if args.distributed:
            from flavorscan.scanner.engine import initialise_distributed

            shard = initialise_distributed()
        stop.check()
        summary = run_scan(card, args.out, shard=shard, restart=args.restart, progress=progress,
                           segment_rows=args.segment_rows, segment_seconds=args.segment_seconds, stop=stop)
    print_result(summary, _summary_text(summary, progress), args.json)
    return 0


def _summary_text(summary: dict, progress) -> str:
    from flavorscan.scanner.progress import format_summary, timing_items

    skipped = f" ({summary['chunks_skipped']:,d} chunks done before)" if summary["chunks_skipped"] else ""
    return format_summary(f"flavorscan run: shard {summary['shard']}", [
        ("points", f"{summary['points_evaluated']:,d}{skipped}"),
        ("rows kept", f"{summary['rows_kept']:,d} ({progress.viable or 0:,d} viable)"),
        *timing_items(progress, summary["seconds"], summary["points_evaluated"]),
        ("output", summary["out"]),
    ])
