"""Summary of a run directory or merged file: :func:`info` (a JSON-able dict) and :func:`format_info` (its
text, as ``flavorscan info`` prints it)."""

from __future__ import annotations

import json
from typing import Mapping

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.provenance import PROVENANCE_KEYS
from flavorscan.scanner.store.format import (FORMAT_VERSION, MAX_JSON_DEPTH, h5open, json_too_deep, one_line,
                                             pass_columns)
from flavorscan.scanner.store.reader import H5_ERRORS, catalog, run_summary


def _likelihood_hash(card_json) -> str | None:
    """The hash of the run card's resolved likelihood (None for a card without one)."""
    card = _parse_card(card_json)
    likelihood = card.get("likelihood") if isinstance(card, dict) else None
    value = likelihood.get("hash") if isinstance(likelihood, dict) else None
    return value if isinstance(value, str) else None


def info(directory) -> dict:
    """Summary of a run directory (or merged file) as a JSON-able dict:

    ``path``, ``kind`` ("directory"/"file"), ``format_version``, ``card_hash``, ``segments``, ``shards``,
    ``card`` (the resolved card stored with the run: run.json's, else the segment/file's ``card``
    attribute; ``{}`` if none), ``rows``, ``finished_chunks``, ``planned_chunks`` (None if unknown),
    ``complete`` (None if unknown),
    ``duplicate_chunks``, ``tmp_files``, ``columns`` ({name: dtype}), ``viable_rows`` and
    ``viable_fraction`` (over stored rows; None without a ``viable`` column or rows),
    ``pass_fractions`` ({constraint: fraction of stored rows with ``pass_<constraint>`` true}),
    ``counts`` (totals of the per-chunk counts, over ``counted_chunks`` chunks) and ``count_fractions``
    (each count / the ``points`` count, if recorded), ``provenance`` (of run.json, or of the file) and
    ``provenance_variants`` ({key: distinct values} for provenance keys that differ between segments).
    Peak memory: one segment's pass/viable columns."""
    cat = catalog(directory)
    schema = cat.schema()
    segs = cat.segments
    finished = set()
    for seg in segs:
        finished.update(seg.chunks.tolist())
    rows = sum(seg.kept_rows for seg in segs)

    run = run_summary(cat)
    planned_chunks = run["planned_chunks"]
    complete = None  # counted, not compared with set(range(planned_chunks)): that is read from a file
    if planned_chunks is not None:
        complete = sum(1 for c in finished if c < planned_chunks) == planned_chunks

    flag_cols = pass_columns(schema)
    if "viable" in schema:
        flag_cols.append("viable")
    sums = {n: 0 for n in flag_cols}
    for seg in segs:
        if not seg.keep or not flag_cols:
            continue
        try:
            with h5open(seg.path, "r") as f:
                for name in flag_cols:
                    ds = f[name]
                    for a, b in seg.keep:
                        sums[name] += int(np.count_nonzero(ds[a:b]))
        except H5_ERRORS as exc:
            raise UserError(f"cannot read {seg.path}: {one_line(exc)}") from None

    def frac(k):
        return (k / rows) if rows else None

    counts: dict[str, int] = {}
    counted_chunks = 0
    for seg in segs:
        if not seg.counts:
            continue
        counted_chunks += int(seg.keep_chunks.sum())
        for key, arr in seg.counts.items():
            counts[key] = counts.get(key, 0) + int(arr[seg.keep_chunks].sum())
    points = counts.get("points")
    count_fractions = {k: v / points for k, v in counts.items() if k != "points" and points}

    return {
        "path": str(cat.path),
        "kind": cat.kind,
        "format_version": FORMAT_VERSION,
        "card_hash": run["card_hash"],
        "likelihood_hash": _likelihood_hash(run["card_json"]),
        "card": _parse_card(run["card_json"]),
        "segments": len(segs) if cat.kind == "directory" else int(segs[0].attrs.get("segments", 1)),
        "shards": run["shards"],
        "rows": rows,
        "finished_chunks": len(finished),
        "planned_chunks": planned_chunks,
        "complete": complete,
        "duplicate_chunks": cat.duplicates,
        "tmp_files": cat.tmp_files,
        "columns": {n: str(d) for n, d in schema.items()},
        "viable_rows": sums.get("viable") if "viable" in sums else None,
        "viable_fraction": frac(sums["viable"]) if "viable" in sums else None,
        "pass_fractions": {n[5:]: frac(sums[n]) for n in flag_cols if n != "viable"},
        "counts": counts,
        "counted_chunks": counted_chunks,
        "count_fractions": count_fractions,
        "provenance": run["provenance"],
        "provenance_variants": run["provenance_variants"],
    }


def _parse_card(card_json: str) -> dict:
    """The card stored with a run (a JSON object nested at most MAX_JSON_DEPTH deep), else {}."""
    try:
        card = json.loads(card_json or "{}")
    except (ValueError, RecursionError):
        return {}
    if not isinstance(card, dict) or json_too_deep(card, MAX_JSON_DEPTH):
        return {}
    return card


def format_info(summary: Mapping) -> str:
    """Human-readable text of an :func:`info` summary."""

    def pct(x):
        return "n/a" if x is None else f"{100 * x:.4g}%"

    lines = [f"run: {summary['path']}"]
    lines.append(f"card hash: {summary['card_hash']}")
    if summary.get("likelihood_hash"):
        lines.append(f"likelihood hash: {summary['likelihood_hash']}")
    card = summary.get("card") or {}
    if card.get("model"):
        kind = "scan" if "scan" in card else "point" if "point" in card else "card"
        lines.append(f"card: model {card['model']}, measurements {card.get('measurements', '-')} ({kind})")
    shards = ", ".join(summary["shards"]) or "-"
    lines.append(f"segments: {summary['segments']} (shards {shards})")
    planned = summary["planned_chunks"]
    done = summary["finished_chunks"]
    if planned is None:
        lines.append(f"finished chunks: {done}")
    else:
        state = "complete" if summary["complete"] else "incomplete"
        lines.append(f"finished chunks: {done} of {planned} planned ({state})")
    lines.append(f"rows: {summary['rows']}")
    if summary["viable_fraction"] is not None or summary["viable_rows"] is not None:
        lines.append(f"viable rows: {summary['viable_rows']} ({pct(summary['viable_fraction'])} of rows)")
    if summary["counts"]:
        lines.append(f"counts over {summary['counted_chunks']} chunks:")
        width = max(len(k) for k in summary["counts"])
        for key, value in summary["counts"].items():
            extra = summary["count_fractions"].get(key)
            tail = f"  ({pct(extra)} of points)" if extra is not None else ""
            lines.append(f"  {key:<{width}}  {value}{tail}")
    if summary["pass_fractions"]:
        lines.append("pass fractions over stored rows:")
        width = max(len(k) for k in summary["pass_fractions"])
        for key, value in summary["pass_fractions"].items():
            lines.append(f"  {key:<{width}}  {pct(value)}")
    if summary["duplicate_chunks"]:
        lines.append(f"chunks recorded twice (read once): {summary['duplicate_chunks']}")
    if summary["tmp_files"]:
        lines.append(f"unfinished .tmp segment files (ignored): {summary['tmp_files']}")
    lines.append("columns: " + (", ".join(summary["columns"]) or "-"))
    prov = summary["provenance"]
    if prov:
        lines.append("provenance:")
        for key in list(PROVENANCE_KEYS) + sorted(k for k in prov if k not in PROVENANCE_KEYS):
            if key in prov:
                value = prov[key]
                text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                lines.append(f"  {key}: {text}")
    for key, values in summary["provenance_variants"].items():
        lines.append(f"  {key} differs between segments: {', '.join(map(str, values))}")
    return "\n".join(lines)
