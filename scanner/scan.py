"""Run a card's [scan] into a run directory (``flavorscan run``, the Python API's ``run_scan``).

Signals: ``flavorscan run`` installs its SIGINT (Ctrl-C) and SIGTERM (scancel, a SLURM time limit) handlers
before it reads the card, so a signal at any moment after that (reading the card, importing and compiling,
evaluating, writing the last segment) asks the run to stop at the next safe point: before the engine is
built, before each step and after each step; the writer then writes every chunk it has buffered and the run
ends with :class:`StopRequested` (the command exits with status 130). The first signal also restores the
system's default action for both signals, so a second signal ends the process at once, even inside
compiled code (nothing more is written; what is on disk stays complete, see
:mod:`flavorscan.scanner.store.format`).
"""

from __future__ import annotations

import re
import signal

from flavorscan.scanner.errors import StopRequested, UserError


class StopRequest:
    """Installs the SIGINT/SIGTERM handlers of a run for the duration of a ``with`` block. The first signal
    sets ``requested`` (and ``signal``, its number) and puts the default action back for both signals, so a
    second signal terminates the process at once. No exception is raised from the handler: a
    KeyboardInterrupt raised from a signal can land in a JAX garbage-collection callback, where Python prints
    and drops it, and would wait for compiled code to return anyway. Callers test ``requested`` (or call
    :meth:`check`) at safe points."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.requested = False
        self.signal: int | None = None
        self._previous = {}

    def _handle(self, signum, frame):
        self.requested = True
        self.signal = signum
        for s in self.SIGNALS:
            signal.signal(s, signal.SIG_DFL)

    def check(self) -> None:
        """Raise :class:`StopRequested` if a signal arrived."""
        if self.requested:
            raise StopRequested

    def __enter__(self):
        self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, handler in self._previous.items():
            signal.signal(s, handler)


def parse_shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,9})/(\d{1,9})", text or "")
    if not match or int(match.group(2)) < 1 or int(match.group(1)) >= int(match.group(2)):
        raise UserError(f"--shard: expected I/N with 0 <= I < N, got {text[:40]!r}")
    return int(match.group(1)), int(match.group(2))


def with_overrides(card: dict, n: int | None = None, seed: int | None = None) -> dict:
    """The card with its [scan] n and seed replaced (the chunk size stays the card's, so n = N evaluates
    exactly the first N points of the card's scan)."""
    from flavorscan.scanner.sampling import check_scan_size

    if "scan" not in card:
        raise UserError("the card has no [scan] table (flavorscan point evaluates a [point])")
    scan = dict(card["scan"])
    if n is not None:
        if n < 1:
            raise UserError(f"--n: must be >= 1, got {n}")
        check_scan_size(n, scan["chunk_size"], "--n")
        scan["n"] = n
    if seed is not None:
        if not 0 <= seed < 2**63:
            raise UserError(f"--seed: must be in [0, 2^63), got {seed}")
        scan["seed"] = seed
    return dict(card, scan=scan)


def run_scan(card: dict, out, *, shard=(0, 1), restart: bool = False, progress=False,
             segment_rows: int | None = None, segment_seconds: float | None = None, stop=None) -> dict:
    """Evaluate the card's [scan] (the chunks of ``shard``) into the run directory ``out``, resuming what is
    there. Returns the summary {"chunks_skipped", "chunks_evaluated", "points_evaluated", "rows_kept",
    "seconds", "out", "shard", "chunks_planned"}.

    Args:
        card: a resolved card with a [scan] table.
        out: run directory (created; resumed if it holds this card's run; refused if it holds another).
        shard: (index, count): evaluate chunks c with c % count == index.
        restart: discard the directory's previous results.
        progress: True: progress on stderr (compilation, then a bar on a terminal or plain lines every 30 s);
            or a :class:`flavorscan.scanner.progress.Progress` (the command's, with its -q/-v/interval).
        segment_rows, segment_seconds: when the writer closes a segment file (defaults of the store).
        stop: an object whose ``requested`` attribute ends the run after the current step (StopRequest).
    """
    from flavorscan.scanner import store
    from flavorscan.scanner.config import identity
    from flavorscan.scanner.engine import ScanEngine
    from flavorscan.scanner.progress import Progress
    from flavorscan.scanner.provenance import provenance

    if "scan" not in card:
        raise UserError("the card has no [scan] table (flavorscan point evaluates a [point])")
    if not card["likelihood"]["constraints"]:
        raise UserError("no constraint is enabled: every point would be viable; enable at least one "
                        "(constraints.enabled)")
    segment_rows = store.DEFAULT_ROWS_PER_SEGMENT if segment_rows is None else segment_rows
    segment_seconds = store.DEFAULT_SECONDS_PER_SEGMENT if segment_seconds is None else segment_seconds
    if segment_rows < 1 or not segment_seconds > 0:
        raise UserError("--segment-rows and --segment-seconds must be positive")
    if stop is not None and stop.requested:  # a signal while reading the card or importing
        raise StopRequested
    engine = ScanEngine(card)
    if stop is not None and stop.requested:  # a signal while the engine was built (tracing)
        raise StopRequested
    info = dict(provenance(), seed=card["scan"]["seed"], measurements=card["measurements"],
                likelihood_hash=card["likelihood"]["hash"],
                approximate_constraints=engine.point_function.constraints.approximate)
    planned = len(engine.planned_chunks(shard))
    if not isinstance(progress, Progress):
        progress = Progress("run", enabled=bool(progress))
    with store.RunWriter(out, card, info, shard=shard, restart=restart, planned_chunks=engine.n_chunks,
                         rows_per_segment=segment_rows, seconds_per_segment=segment_seconds,
                         identity=identity(card)) as writer:
        summary = engine.run(writer, shard=shard, progress=progress, stop=stop)
    if stop is not None and stop.requested:  # a signal during the final segment write: written, now stop
        raise StopRequested
    summary.update(out=str(out), shard=f"{shard[0]}/{shard[1]}", chunks_planned=planned)
    return summary
