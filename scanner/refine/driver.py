"""Refinement of a run's stored rows into a new run directory (``flavorscan refine``).

Reads the rows of a run flagged ``candidate`` (the scan's ``best_per_chunk`` seeds; all rows if the run has
no such column, or with ``all_rows``), refines them with the run card's [refine] settings and writes the
refined rows chunk by chunk through :class:`~flavorscan.scanner.store.RunWriter` with the run's column
schema plus ``parent_point_id`` and the diagnostics columns (refine_steps, refine_status,
refine_start_loss, refine_loss, refine_n_failing, refine_failing). Refined rows keep the parent's
``point_id`` and ``chunk``, so an interrupted refinement resumes where it stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from flavorscan.scanner import models
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.refine.loop import STATUS_CONVERGED, refiner_for
from flavorscan.scanner.refine.settings import DEFAULTS, settings_of


def refine_rows(card: dict, rows: dict, settings: dict, steps: int | None = None, progress=None) -> dict:
    """Refined rows (the run's columns, recomputed at the refined parameters) of stored rows, plus
    parent_point_id and the diagnostics columns, in the input order (``progress``: told about compilations)."""
    refiner = refiner_for(card, settings)
    params = models.get(card["model"]).params_from_columns(card, rows)
    out = refiner.refine(params, steps=settings["steps"] if steps is None else steps, settings=settings,
                         progress=progress)
    if not out:
        return {}
    out["parent_point_id"] = np.asarray(rows["point_id"], np.int64)
    out["point_id"] = np.asarray(rows["point_id"], np.int64)
    for name in ("chunk", "candidate"):
        if name in rows:
            out[name] = np.asarray(rows[name])
    return out


def refine_run(directory, out=None, *, steps=None, optimizer=None, learning_rate=None, all_rows=False,
               restart=False, progress=None) -> dict:
    """Refine the candidate rows (or every row) of a run directory into ``out`` (default DIR/refined);
    returns a summary {"out", "rows_refined", "rows_skipped", "viable_before", "viable_after", "converged",
    "optimizer", "steps", "seconds"}. Overrides of the card's [refine] settings: steps, optimizer,
    learning_rate (a new optimizer without a learning rate gets its own default rate). ``progress``: a
    :class:`flavorscan.scanner.progress.Progress` (compilation, then rows refined, kept and viable)."""
    from flavorscan.scanner import store
    from flavorscan.scanner.provenance import provenance

    run = store.read_run_json(directory)
    card, parent_hash = run["card"], str(run.get("card_hash", ""))
    spec = models.get(card["model"])
    if "scan" not in card:
        raise UserError(f"{directory}: the run card has no [scan] table")
    out_dir = Path(out) if out else Path(directory) / "refined"
    if out_dir.resolve() == Path(directory).resolve():
        raise UserError("--out: must differ from the run directory")
    settings = settings_of(card, steps=steps, optimizer=optimizer, learning_rate=learning_rate)
    card_optimizer = (card.get("refine") or {}).get("optimizer")
    if optimizer is not None and learning_rate is None and card_optimizer != optimizer:
        settings["learning_rate"] = DEFAULTS["learning_rate"]  # the new optimizer's default rate

    schema = store.info(directory)["columns"]
    if not schema:
        raise UserError(f"{directory}: the run has no rows")
    wanted = [o.name for o in spec.stored_parameters(card)] + ["point_id"]
    wanted += [n for n in ("chunk", "candidate", "viable") if n in schema]
    missing = [n for n in wanted if n not in schema]
    if missing:
        raise UserError(f"{directory}: no column {missing[0]!r} (not a {spec.name} run of this version?)")
    rows = store.load(directory, wanted)
    if "candidate" in rows and not all_rows:
        keep = rows["candidate"].astype(bool)
        rows = {k: v[keep] for k, v in rows.items()}
    if len(rows["point_id"]) == 0:
        raise UserError(f"{directory}: no candidate rows to refine (scan with best_per_chunk > 0, or use --all)")
    if "chunk" not in rows:
        rows["chunk"] = rows["point_id"] // card["scan"]["chunk_size"]

    out_card = dict(card, refine=settings)
    # which rows are refined is part of what the output is: --all into a candidates-only output is refused
    identity = {"card": out_card, "parent_card_hash": parent_hash, "rows": "all" if all_rows else "candidates"}
    info = dict(provenance(), seed=card["scan"]["seed"], measurements=card["measurements"],
                refined_from=str(directory), parent_card_hash=parent_hash)
    summary = {"out": str(out_dir), "rows_refined": 0, "rows_skipped": 0, "viable_before": 0, "viable_after": 0,
               "converged": 0, "optimizer": settings["optimizer"], "steps": settings["steps"]}
    start = time.perf_counter()
    with store.RunWriter(out_dir, out_card, info, restart=restart, identity=identity) as writer:
        done = writer.finished_chunks()
        summary["rows_skipped"] = int(np.count_nonzero(np.isin(rows["chunk"], list(done)))) if done else 0
        if progress is not None:
            progress.start(len(rows["point_id"]) - summary["rows_skipped"])
        try:
            for group in _chunk_groups(rows["chunk"], done, settings["batch_size"]):
                group_start = time.perf_counter()
                part = {k: v[np.isin(rows["chunk"], group)] for k, v in rows.items()}
                refined = refine_rows(card, part, settings, progress=progress)
                for chunk in group:
                    mine = refined["chunk"] == chunk
                    piece = {k: v[mine] for k, v in refined.items()}
                    writer.add_chunk(chunk, piece, counts={"points": int(mine.sum()),
                                                           "viable": int(np.count_nonzero(piece["viable"]))})
                summary["rows_refined"] += len(part["point_id"])
                if "viable" in part:
                    summary["viable_before"] += int(np.count_nonzero(part["viable"]))
                summary["converged"] += int(np.count_nonzero(refined["refine_status"] == STATUS_CONVERGED))
                summary["viable_after"] += int(np.count_nonzero(refined["viable"]))
                if progress is not None:
                    progress.note(f"{len(part['point_id'])} rows of chunks {group[0]}..{group[-1]}: "
                                  f"{time.perf_counter() - group_start:.1f} s")
                    progress.update(summary["rows_refined"], summary["rows_refined"], summary["viable_after"])
        finally:
            if progress is not None:
                progress.close()
    summary["seconds"] = round(time.perf_counter() - start, 3)
    return summary


def _chunk_groups(chunks: np.ndarray, done: set, batch_size: int):
    """Unfinished chunks in order, grouped so that each group holds at least ``batch_size`` rows (the last
    group may hold fewer): whole chunks per group, so that every written chunk is complete."""
    group, group_rows = [], 0
    pending = [int(c) for c in np.unique(chunks) if int(c) not in done]
    for position, c in enumerate(pending):
        group.append(c)
        group_rows += int(np.count_nonzero(chunks == c))
        if group_rows >= batch_size or position == len(pending) - 1:
            yield group
            group, group_rows = [], 0
