"""Merging a run's segments into one HDF5 file: :func:`merge`, physical (rows copied, sorted by point_id)
or virtual (an HDF5 virtual dataset file referencing the segments)."""

from __future__ import annotations

import json
import os
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.files import check_output_path
# store_format.MERGE_CACHE_BYTES and store_format.HDF5_CHUNK_ROWS are read at call time (tests lower them)
from flavorscan.scanner.store import format as store_format
from flavorscan.scanner.store.format import (
    LOCK_RE,
    RUN_FILE,
    SEGMENT_RE,
    TMP_RE,
    creating_h5,
    h5open,
    meta_int,
    one_line,
    remove_stale,
    replacing,
    set_common_attrs,
    source_fingerprint,
    write_columns,
    write_int_dataset,
)
from flavorscan.scanner.store.reader import H5_ERRORS, Catalog, catalog, read_meta, run_summary


def _merged_meta(cat: Catalog):
    """Sorted unique chunks with their kept row counts and counts (first occurrence wins)."""
    chunk_rows: dict[int, int] = {}
    counts: dict[str, dict[int, int]] = {}
    for seg in cat.segments:
        for j in np.flatnonzero(seg.keep_chunks):
            chunk_rows[int(seg.chunks[j])] = int(seg.chunk_rows[j])
        for key, arr in seg.counts.items():
            dst = counts.setdefault(key, {})
            for j in np.flatnonzero(seg.keep_chunks):
                dst[int(seg.chunks[j])] = int(arr[j])
    chunks = np.array(sorted(chunk_rows), dtype=np.int64)
    rows = np.array([chunk_rows[c] for c in chunks.tolist()], dtype=np.int64)
    complete_counts = {
        key: np.array([d[c] for c in chunks.tolist()], np.int64)
        for key, d in counts.items()
        if len(d) == len(chunks)
    }
    return chunks, rows, complete_counts


def _write_merged_header(f, cat, fmt, schema):
    summary = run_summary(cat)
    set_common_attrs(
        f, fmt, summary["card_json"], summary["card_hash"], schema, summary["provenance"],
        summary["planned_chunks"],
    )
    f.attrs["shards"] = json.dumps(summary["shards"])
    f.attrs["segments"] = len(cat.segments)
    f.attrs["provenance_variants"] = json.dumps(summary["provenance_variants"], sort_keys=True)
    sizes = {seg.attrs.get("point_id_chunk_size") for seg in cat.segments}
    if len(sizes) == 1 and None not in sizes:  # every segment has chunk-major point ids, of one chunk size
        f.attrs["point_id_chunk_size"] = meta_int(sizes.pop(), "attribute point_id_chunk_size", minimum=1)
    chunks, rows, counts = _merged_meta(cat)
    write_int_dataset(f, "chunks", chunks)
    write_int_dataset(f, "chunk_rows", rows)
    if counts:
        g = f.create_group("counts")
        for key, arr in counts.items():
            write_int_dataset(g, key, arr)


def merge(directory, output, virtual: bool = False) -> dict:
    """Merge a run's segments into one HDF5 file ``output`` (written to ``output.tmp``, then renamed).

    Physical (default): the same layout as a segment (``format`` "flavorscan-merged"), rows sorted by
    ``point_id`` exactly as :func:`load` returns them, ``/chunks`` sorted, run-level attributes from
    run.json (plus ``shards``, ``segments``, ``provenance_variants``). Memory: rows are ordered chunk by
    chunk (chunks sorted by their smallest point_id); chunks whose point_id ranges interleave are sorted
    together, so with chunk-major point_ids (no interleaving) peak memory is one write block plus a
    bounded cache of decoded segments, independent of the number of segments.

    Virtual (``virtual=True``): an HDF5 virtual dataset file ("flavorscan-virtual") whose columns
    reference the segment files by paths relative to ``output``'s directory (move them together). Rows
    keep the segments' order (by shard, then sequence number), NOT sorted by point_id; :func:`load` on
    it sorts. Sources are checked before and after creation (every file present, shape and dtype as
    expected, point_id read through the file equal to the sources'). The root attribute
    ``virtual_sources`` records a fingerprint of each source (sha256 of its root attributes and chunk
    lists). Every read of the file (:func:`load`, :func:`info`, :func:`merge` of it) re-checks the
    sources: present, same card hash as the file, same fingerprint, mapped rows covering exactly the
    chunks the file records. A missing, restarted or rewritten segment is a :class:`UserError` ("merge the
    run again"), never silent fill values or another run's rows. Virtual files without
    ``virtual_sources`` (older flavorscan) get every check but the fingerprint.

    Returns {"output", "rows", "segments", "virtual"}.
    """
    cat = catalog(directory)
    schema = cat.schema()
    output = Path(output)
    if output.is_dir():
        raise UserError(f"{output} is a directory; give a file name")
    check_output_path(output, "merge output")  # a new or regular file: never a device, FIFO or symbolic link
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {output.parent}: {one_line(exc)}") from None
    target = output.resolve()
    if any(seg.path.resolve() == target for seg in cat.segments) or target == cat.path.resolve():
        raise UserError(f"{output} is one of the files being merged")
    reserved = (SEGMENT_RE, TMP_RE, LOCK_RE, re.compile(r".*\.tmp$"))
    if cat.path.is_dir() and target.parent == cat.path.resolve() and (
            output.name == RUN_FILE or any(pattern.match(output.name) for pattern in reserved)):
        raise UserError(f"{output}: a name the run directory reserves for its own files; choose another name")
    tmp = output.with_name(output.name + ".tmp")
    remove_stale(tmp, "merge output")  # left by a killed merge (a regular file only)
    try:
        with replacing(tmp, output):
            if virtual:
                rows = _merge_virtual(cat, schema, tmp, output)
            else:
                rows = _merge_physical(cat, schema, tmp)
    except OSError as exc:  # a full disk, a read-only directory: nothing is left behind
        raise UserError(f"cannot write {output}: {exc.strerror or one_line(exc)}") from None
    if virtual:
        read_meta(output)  # re-open the final file and re-check its sources
    return {"output": str(output), "rows": rows, "segments": len(cat.segments), "virtual": virtual}


def _merge_physical(cat: Catalog, schema: dict, tmp: Path) -> int:
    segs = cat.segments
    total = sum(seg.kept_rows for seg in segs)

    # pass 1: point_id range of every kept, non-empty chunk (one segment's point_id in memory at a time)
    entries = []  # (min_pid, max_pid, chunk, segment index, a, b)
    for si, seg in enumerate(segs):
        if not seg.keep:
            continue
        try:
            with h5open(seg.path, "r") as f:
                pid = f["point_id"][...]
        except H5_ERRORS as exc:
            raise UserError(f"cannot read {seg.path}: {one_line(exc)}") from None
        offsets = np.concatenate([[0], np.cumsum(seg.chunk_rows)])
        for j in np.flatnonzero(seg.keep_chunks & (seg.chunk_rows > 0)):
            a, b = int(offsets[j]), int(offsets[j + 1])
            part = pid[a:b]
            entries.append((int(part.min()), int(part.max()), int(seg.chunks[j]), si, a, b))
        del pid
    entries.sort()
    groups: list[list] = []
    top = None
    for e in entries:
        if groups and e[0] <= top:
            groups[-1].append(e)
            top = max(top, e[1])
        else:
            groups.append([e])
            top = e[1]

    cache: OrderedDict[int, dict] = OrderedDict()
    cache_bytes = 0

    def segment_data(si: int) -> dict:
        nonlocal cache_bytes
        if si in cache:
            cache.move_to_end(si)
            return cache[si]
        try:
            with h5open(segs[si].path, "r") as f:
                data = {n: f[n][...] for n in schema}
        except H5_ERRORS as exc:
            raise UserError(f"cannot read {segs[si].path}: {one_line(exc)}") from None
        size = sum(a.nbytes for a in data.values())
        while cache and cache_bytes + size > store_format.MERGE_CACHE_BYTES:
            _, old = cache.popitem(last=False)
            cache_bytes -= sum(a.nbytes for a in old.values())
        cache[si] = data
        cache_bytes += size
        return data

    block = max(1, min(total, store_format.HDF5_CHUNK_ROWS))
    with creating_h5(tmp, libver="v108") as (f, sink):
        _write_merged_header(f, cat, "flavorscan-merged", schema)
        write_columns(f, schema, None, total)
        datasets = {k: f[k] for k in schema}
        pending: list[dict] = []
        pending_rows = 0
        written = 0

        def write_out(final: bool) -> None:
            nonlocal pending, pending_rows, written
            if not pending:
                return
            n = pending_rows if final else (pending_rows // block) * block
            if n == 0:
                return
            if sink.error is not None:  # the disk is full: stop now (the error is raised once the file is closed)
                raise sink.error
            joined = {k: np.concatenate([p[k] for p in pending]) for k in schema}
            for k in schema:
                datasets[k][written : written + n] = joined[k][:n]
            written += n
            rest = pending_rows - n
            pending = [{k: joined[k][n:] for k in schema}] if rest else []
            pending_rows = rest

        for group in groups:
            parts = [{k: v[a:b] for k, v in segment_data(si).items()} for (_, _, _, si, a, b) in group]
            part = parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in schema}
            pid = part["point_id"]
            if len(pid) > 1 and not np.all(pid[1:] >= pid[:-1]):
                order = np.argsort(pid, kind="stable")
                part = {k: v[order] for k, v in part.items()}
            pending.append(part)
            pending_rows += len(pid)
            if pending_rows >= block:
                write_out(False)
        write_out(True)
        if written != total:  # pragma: no cover - internal consistency
            raise RuntimeError(f"merge wrote {written} rows, expected {total}")
    return total


def _merge_virtual(cat: Catalog, schema: dict, tmp: Path, output: Path) -> int:
    import h5py

    segs = cat.segments
    for seg in segs:
        if seg.format == "flavorscan-virtual":
            raise UserError(f"{seg.path} is already a virtual dataset file")
    total = sum(seg.kept_rows for seg in segs)
    base = output.parent.resolve()
    mappings = []  # (segment, relative path, a, b, destination offset)
    pos = 0
    for seg in segs:
        src = seg.path.resolve()
        if not src.is_file():
            raise UserError(f"segment {seg.path} is missing")
        try:
            rel = os.path.relpath(src, base)
        except ValueError:  # pragma: no cover - different drives
            rel = str(src)
        for a, b in seg.keep:
            mappings.append((seg, rel, a, b, pos))
            pos += b - a
    # what each mapped source holds now: reading the file later re-checks it (see reader.read_meta)
    fingerprints = {rel: source_fingerprint(seg.attrs, seg.chunks, seg.chunk_rows) for seg, rel, *_ in mappings}
    with creating_h5(tmp, libver="v110") as (f, _):
        _write_merged_header(f, cat, "flavorscan-virtual", schema)
        f.attrs["order"] = "segment order (shard, sequence); not sorted by point_id"
        f.attrs["virtual_sources"] = json.dumps(fingerprints, sort_keys=True)
        for name, dtype in schema.items():
            layout = h5py.VirtualLayout(shape=(total,), dtype=dtype)
            for seg, rel, a, b, p in mappings:
                vsource = h5py.VirtualSource(rel, name, shape=(seg.rows,), dtype=dtype)
                layout[p : p + b - a] = vsource[a:b]
            fill = np.nan if dtype.kind == "f" else (-1 if dtype.kind == "i" else 0)
            f.create_virtual_dataset(name, layout, fillvalue=fill)
    # re-open and check (tmp lies beside output, so relative source paths resolve the same way)
    read_meta(tmp)
    if not mappings:
        return total
    with h5open(tmp, "r") as f:
        ds = f["point_id"]
        for seg, rel, a, b, p in mappings:
            with h5open(seg.path, "r") as g:
                expect = g["point_id"][a:b]
            if not np.array_equal(ds[p : p + b - a], expect):
                raise UserError(f"virtual dataset file {output}: rows of {seg.path} do not read back")
    return total
