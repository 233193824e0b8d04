"""``flavorscan run CARD --out DIR [--n N] [--seed S] [--restart] [--shard I/N] [--distributed]``."""

from __future__ import annotations

import json
import re
import signal
import sys


def register(subparsers):
    parser = subparsers.add_parser("run", help="run the card's [scan] (resumes by default), HDF5 output in DIR")
    parser.add_argument("card", help="run card (TOML) with a [scan] table")
    parser.add_argument("--out", required=True, help="run directory (created; resumed if it holds this card's run)")
    parser.add_argument("--n", type=int, help="override scan.n (total points)")
    parser.add_argument("--seed", type=int, help="override scan.seed")
    parser.add_argument("--restart", action="store_true", help="discard the directory's previous results")
    parser.add_argument("--shard", default=None, help="I/N: evaluate chunks c with c %% N == I (SLURM arrays)")
    parser.add_argument("--distributed", action="store_true",
                        help="initialise jax.distributed (SLURM auto-detection) and take the shard from it")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.add_argument("--segment-rows", type=int, default=262_144,
                        help="close a segment file after this many kept rows (default 262144)")
    parser.add_argument("--segment-seconds", type=float, default=120.0,
                        help="write finished chunks as a segment once this long has passed since the previous "
                             "segment (checked after each chunk; default 120 s)")
    parser.set_defaults(handler=run)


def parse_shard(text: str) -> tuple[int, int]:
    from flavorscan.scanner.errors import UserError

    match = re.fullmatch(r"(\d+)/(\d+)", text or "")
    if not match or int(match.group(2)) < 1 or int(match.group(1)) >= int(match.group(2)):
        raise UserError(f"--shard: expected I/N with 0 <= I < N, got {text!r}")
    return int(match.group(1)), int(match.group(2))


class StopRequest:
    """Ctrl-C (SIGINT) and SIGTERM (scancel, a SLURM time limit) while the scan runs: the first one asks the
    engine to stop after the current step, so the writer then writes every chunk it has buffered and the
    command exits with status 130; a second one interrupts at once. (A KeyboardInterrupt raised straight
    from the signal can land in a JAX garbage-collection callback, where Python prints and drops it.)"""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.requested = False
        self._previous = {}

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, handler in self._previous.items():
            signal.signal(s, handler)


def run(args) -> int:
    from flavorscan.scanner.commands import require_float64
    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.errors import UserError

    require_float64("run")

    card = load_card(args.card)
    if "scan" not in card:
        raise UserError(f"{args.card}: has no [scan] table (flavorscan point evaluates a [point])")
    if args.n is not None:
        # The chunk size stays the card's, so --n N evaluates exactly the first N points of the card's scan.
        from flavorscan.scanner.sampling import check_scan_size

        if args.n < 1:
            raise UserError(f"--n: must be >= 1, got {args.n}")
        check_scan_size(args.n, card["scan"]["chunk_size"], "--n")
        card["scan"]["n"] = args.n
    if args.seed is not None:
        if not 0 <= args.seed < 2**63:
            raise UserError(f"--seed: must be in [0, 2^63), got {args.seed}")
        card["scan"]["seed"] = args.seed
    if args.distributed and args.shard:
        raise UserError("--shard and --distributed exclude each other (the distributed runtime assigns shards)")

    from flavorscan.scanner.engine import Progress, ScanEngine, initialise_distributed
    from flavorscan.scanner.provenance import provenance
    from flavorscan.scanner.store import RunWriter

    shard = initialise_distributed() if args.distributed else parse_shard(args.shard) if args.shard else (0, 1)
    engine = ScanEngine(card)
    info = dict(provenance(), seed=card["scan"]["seed"], measurements=card["measurements"],
                approximate_constraints=engine.point_function.constraints.approximate)
    planned = len(engine.planned_chunks(shard))
    progress = Progress(enabled=False if args.quiet else None)
    if args.segment_rows < 1 or not args.segment_seconds > 0:
        raise UserError("--segment-rows and --segment-seconds must be positive")
    with RunWriter(args.out, card, info, shard=shard, restart=args.restart, planned_chunks=engine.n_chunks,
                   rows_per_segment=args.segment_rows, seconds_per_segment=args.segment_seconds) as writer:
        with StopRequest() as stop:
            summary = engine.run(writer, shard=shard, progress=progress, stop=stop)
    summary.update(out=str(args.out), shard=f"{shard[0]}/{shard[1]}", chunks_planned=planned)
    print(json.dumps(summary), file=sys.stdout)
    return 0
