"""``flavorscan discover``: batches of the discovery search into a run directory (HDF5, the schema of ``run``).

Batch ``b`` (an independent restart, :mod:`.search`) is written as chunk ``b`` of the run: its distinct viable
points (every evaluation's, deduplicated by their parameters), and with ``keep = "viable+best"`` also the
lowest-loss member of its last evaluation, flagged ``candidate``. point_id = b x (population x R) + r x
population + member, with r the evaluation's index in the batch and R the evaluations per batch
(generations x sub-stages of ``record_every`` steps). Shards take the batches b with b % N == I; a resumed run skips finished
batches, so an interrupted search loses nothing it had written and resumes to the same rows.

Budget: ``evals`` (point evaluations; batches = ceil(evals / evaluations per batch)) makes the rows a
function of (seed, evals); ``seconds`` stops after the batch during which it runs out, so its rows are a
prefix, in batch order, of the evals run.
"""

from __future__ import annotations

import math
import time

import numpy as np

from flavorscan.scanner.discover.search import Discovery, member_ids
from flavorscan.scanner.discover.settings import BUDGET_KEYS
from flavorscan.scanner.errors import StopRequested


def identity_of(card: dict) -> dict:
    """A discovery run's identity: the card without its measurement-file path and without the budget."""
    from flavorscan.scanner.config import identity

    out = identity(card)
    out["discover"] = {k: v for k, v in card["discover"].items() if k not in BUDGET_KEYS}
    return out


def planned_batches(discovery: Discovery) -> int | None:
    evals = discovery.settings["evals"]
    if evals is None:
        return None if discovery.settings["seconds"] else 1
    return max(1, math.ceil(evals / discovery.evaluations_per_batch()))


def run_discover(card: dict, out, *, shard=(0, 1), restart: bool = False, stop=None, progress=None) -> dict:
    """Run the discovery search of ``card`` into ``out`` (module docstring); returns a summary with the
    families of every viable row stored in the directory.

    Args:
        card: resolved card with [scan] (the prior) and [discover] tables.
        out: run directory (resumed if it holds this card's discovery).
        shard: (index, count) of this process's batches.
        restart: discard the directory's previous results.
        stop: an object whose ``requested`` attribute ends the run after the current batch.
        progress: optional :class:`flavorscan.scanner.progress.Progress`: compilation (timed with the first
            evaluation, which it cannot be told apart from), then evaluations after every sub-stage.
    """
    from flavorscan.scanner import store
    from flavorscan.scanner.families import families
    from flavorscan.scanner.provenance import provenance

    start = time.perf_counter()  # seconds to the first viable point include compilation
    discovery = Discovery(card, progress)  # announces the compilation once the card is checked
    settings = discovery.settings
    batches = planned_batches(discovery)
    info = dict(provenance(), seed=card["scan"]["seed"], measurements=card["measurements"],
                likelihood_hash=card["likelihood"]["hash"], approximate_constraints=discovery.constraints.approximate)
    summary = {"batches_evaluated": 0, "batches_skipped": 0, "evaluations": 0, "rows_kept": 0, "viable": 0,
               "seconds_to_first_viable": None, "evaluations_to_first_viable": None}
    with store.RunWriter(out, card, info, shard=shard, restart=restart, planned_chunks=batches,
                         identity=identity_of(card)) as writer:
        done = writer.finished_chunks()
        batch = shard[0]
        if progress is not None:
            todo = None if batches is None else sum(1 for b in range(shard[0], batches, shard[1]) if b not in done)
            if todo == 0:  # a finished search resumed: only the column schema was compiled
                progress.end_compile()

            def on_record(points):  # after every sub-stage: evaluations so far, the time budget used
                progress.end_compile("the first evaluation", done=summary["evaluations"] + points)
                used = None if settings["seconds"] is None else (time.perf_counter() - start) / settings["seconds"]
                progress.update(summary["evaluations"] + points, summary["rows_kept"], summary["viable"], used)

            progress.start(None if todo is None else todo * discovery.evaluations_per_batch())
        try:
            while batches is None or batch < batches:
                if batch in done:
                    summary["batches_skipped"] += 1
                else:
                    batch_start = time.perf_counter()
                    rows, stats = search_batch(discovery, card["scan"]["seed"], batch,
                                               on_record if progress is not None else None)
                    writer.add_chunk(batch, rows, counts={"points": stats["evaluated_points"],
                                                          "viable": stats["viable"]})
                    writer.flush()  # a batch is expensive: every finished one is on disk
                    if stats["first_viable_evaluations"] is not None and summary["seconds_to_first_viable"] is None:
                        summary["seconds_to_first_viable"] = round(stats["first_viable_time"] - start, 3)
                        summary["evaluations_to_first_viable"] = (summary["evaluations"]
                                                                  + stats["first_viable_evaluations"])
                    summary["batches_evaluated"] += 1
                    summary["evaluations"] += discovery.evaluations_per_batch()
                    summary["rows_kept"] += len(rows["point_id"])
                    summary["viable"] += stats["viable"]
                    if progress is not None:
                        progress.note(f"batch {batch}: {stats['viable']} viable ({summary['viable']} in all), "
                                      f"{time.perf_counter() - batch_start:.1f} s")
                        on_record(0)  # the batch's rows are counted now
                batch += shard[1]
                if stop is not None and stop.requested:
                    raise StopRequested
                if settings["seconds"] is not None and time.perf_counter() - start > settings["seconds"]:
                    break
        finally:
            if progress is not None:
                progress.close()
    summary["seconds"] = round(time.perf_counter() - start, 3)
    stored = store.load(out) if store.info(out)["rows"] else {}
    summary["families"] = families(card, stored)
    return summary


def search_batch(discovery: Discovery, seed: int, batch: int, on_record=None) -> tuple[dict, dict]:
    """(rows, statistics) of one batch: its distinct viable points and, with keep = "viable+best", the best
    member of its last generation flagged candidate. ``on_record(points)``: called after every evaluation
    with the points the batch has evaluated so far."""
    settings = discovery.settings
    population, records = settings["population"], settings["generations"] * len(discovery.records())
    parameter_names = [o.name for o in discovery.spec.stored_parameters(discovery.card)]
    seen: set[bytes] = set()
    parts = []
    first = first_time = None
    last = None
    for record, columns, score, viable in discovery.run_batch(seed, batch):
        members = np.flatnonzero(viable)
        if members.size:
            rows = discovery.rows(columns, members)
            keys = np.stack([np.asarray(rows[n], dtype=np.float64) for n in parameter_names], axis=1)
            fresh = []
            for k, member in enumerate(members):
                key = keys[k].tobytes()
                if key not in seen:
                    seen.add(key)
                    fresh.append(k)
            if fresh:
                chosen = {name: value[fresh] for name, value in rows.items()}
                chosen["point_id"] = member_ids(batch, record, members[fresh], population, records)
                parts.append(chosen)
                if first is None:
                    first = (record + 1) * discovery.evaluations_per_batch() // records
                    first_time = time.perf_counter()
        last = (record, columns, score, viable)
        if on_record is not None:  # a record stands for its share of the batch's evaluations (steps included)
            on_record((record + 1) * discovery.evaluations_per_batch() // records)
    if settings["keep"] == "viable+best" and last is not None:
        record, columns, score, viable = last
        candidates = np.flatnonzero(~viable & np.isfinite(score))
        if candidates.size:
            best = candidates[np.argmin(score[candidates])]
            row = discovery.rows(columns, np.array([best]))
            row["point_id"] = member_ids(batch, record, np.array([best]), population, records)
            row["candidate"] = np.ones(1, dtype=bool)
            parts.append(row)
    rows = _concatenate(parts) or {name: np.empty(0, dtype) for name, dtype in discovery.column_dtypes.items()}
    rows["point_id"] = np.asarray(rows.get("point_id", np.empty(0)), dtype=np.int64)
    rows["chunk"] = np.full(len(rows["point_id"]), batch, dtype=np.int64)
    if settings["keep"] == "viable+best":
        rows.setdefault("candidate", np.zeros(len(rows["point_id"]), dtype=bool))
    viable_count = sum(len(p["point_id"]) for p in parts if "candidate" not in p)
    return rows, {"viable": viable_count, "evaluated_points": population * records,
                  "first_viable_evaluations": first, "first_viable_time": first_time}


def _concatenate(parts: list[dict]) -> dict:
    if not parts:
        return {}
    names = [n for n in parts[0] if n != "candidate"]
    out = {n: np.concatenate([p[n] for p in parts]) for n in names}
    if any("candidate" in p for p in parts):
        out["candidate"] = np.concatenate([p.get("candidate", np.zeros(len(p["point_id"]), dtype=bool)) for p in parts])
    return out
