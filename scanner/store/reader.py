"""Reading a run: its run.json, the segment files and their checked metadata, the catalog of a run directory
or merged file (duplicate chunks marked, virtual sources checked), and :func:`load` of its columns.

Every value read is checked; anything missing or malformed is a one-line :class:`UserError` naming the file.

Files may be hostile. Only regular files are opened (checked on a descriptor opened with O_NONBLOCK, so a FIFO
never blocks); inside a run directory run.json and the segments must be regular files themselves (a symbolic
link is refused, so nothing outside the directory is opened through them). Sizes are bounded before anything
is allocated (run.json at :data:`MAX_RUN_JSON_BYTES`, JSON nesting at :data:`MAX_JSON_DEPTH`, every dataset's
declared size against the bytes it stores). A file whose objects reach outside it (soft or external links,
external storage, virtual datasets) is refused; virtual datasets are accepted only in a
``flavorscan-virtual`` merge output, whose sources are checked like segments. Remaining race: a file swapped
by another process between the check and HDF5's own open is noticed afterwards (device and inode are
compared), not before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.files import read_regular_file, regular_file_stat
from flavorscan.scanner.store.format import (
    ALLOWED_KINDS,
    FORMATS,
    MAX_DECLARED_RATIO,
    MAX_JSON_DEPTH,
    MAX_RUN_JSON_BYTES,
    META_DATASETS,
    RUN_FILE,
    SEGMENT_RE,
    SMALL_DATASET_BYTES,
    TMP_RE,
    attr_str,
    attr_value,
    canonical_json,
    check_attrs,
    check_version,
    h5open,
    json_too_deep,
    meta_int,
    meta_json,
    one_line,
    source_fingerprint,
)

# what h5py raises for a damaged or hostile file (RuntimeError: e.g. a soft link that loops)
H5_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError, MemoryError, OverflowError)

# --------------------------------------------------------------------------------------------------
# run directory: segment files, run.json


def segment_files(directory: Path) -> list[Path]:
    """The complete segment files of a run directory, by shard, then sequence number. A segment name that is
    not a regular file (a symbolic link, a FIFO, a directory) is a one-line :class:`UserError`: a run
    directory's segments are its own files."""
    found = []
    for entry in os.scandir(directory):
        m = SEGMENT_RE.match(entry.name)
        if m:
            try:
                regular = entry.is_file(follow_symlinks=False)
            except OSError:
                regular = False
            if not regular:
                kind = "a symbolic link" if entry.is_symlink() else "not a regular file"
                raise UserError(f"{entry.path}: is {kind} (a segment must be a regular file in the run directory)")
            found.append((int(m.group(1)), int(m.group(2)), Path(entry.path)))
    found.sort()
    return [p for _, _, p in found]


def read_run_json(directory) -> dict:
    """The run.json of run directory ``directory``, checked (format, format version, card hash, planned
    chunks, card and provenance objects). A missing directory or run.json, an unreadable or malformed
    file, or one of a newer format version is a one-line :class:`UserError`."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"{directory}: not a run directory" if directory.exists()
                        else f"{directory}: no such directory")
    path = directory / RUN_FILE
    if not os.path.lexists(path):
        raise UserError(f"{directory} is not a flavorscan run directory (no {RUN_FILE})")
    data = read_regular_file(path, MAX_RUN_JSON_BYTES, "run file", follow_symlinks=False)
    try:
        run = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise UserError(f"cannot read {path}: {one_line(exc)}") from None
    if json_too_deep(run):
        raise UserError(f"cannot read {path}: nested more than {MAX_JSON_DEPTH} deep")
    if not isinstance(run, dict) or run.get("format") != "flavorscan-run" or "card_hash" not in run:
        raise UserError(f"{path} is not a flavorscan run file")
    try:
        version = meta_int(run.get("format_version", 0), "format_version")
        if not isinstance(run["card_hash"], str) or not run["card_hash"]:
            raise ValueError(f"card_hash is {run['card_hash']!r}, expected a hex string")
        if run.get("planned_chunks") is not None:
            meta_int(run["planned_chunks"], "planned_chunks")
        for key in ("card", "provenance"):
            if run.get(key) is not None and not isinstance(run[key], dict):
                raise ValueError(f"{key} is not a JSON object")
    except ValueError as exc:
        raise UserError(f"{path} is damaged: {one_line(exc)}") from None
    check_version(path, version)
    return run


# --------------------------------------------------------------------------------------------------
# one file's metadata


@dataclass
class Segment:
    """Metadata of one readable file (segment, merged or virtual file)."""

    path: Path
    format: str
    chunks: np.ndarray
    chunk_rows: np.ndarray
    rows: int
    schema: dict  # column name -> numpy dtype, in stored order
    attrs: dict
    provenance: dict
    counts: dict = field(default_factory=dict)  # key -> int64 array aligned with chunks
    keep: list = field(default_factory=list)  # row ranges (a, b) not duplicated by earlier segments
    keep_chunks: np.ndarray | None = None  # bool mask over chunks: first occurrence

    @property
    def kept_rows(self) -> int:
        return sum(b - a for a, b in self.keep)


def _link_kind(group, name: str) -> str | None:
    """The kind of link ``name`` of ``group`` is, without following it: None (missing), "hard", "soft",
    "external" (or another class name)."""
    import h5py

    link = group.get(name, getlink=True)
    if link is None:
        return None
    if isinstance(link, h5py.HardLink):
        return "hard"
    if isinstance(link, h5py.SoftLink):
        return "soft"
    if isinstance(link, h5py.ExternalLink):
        return "external"
    return type(link).__name__


def check_self_contained(group, where: str = "", depth: int = 0) -> None:
    """ValueError if ``group`` or a group in it holds a soft or external link: every object a flavorscan
    file names must be stored in the file itself (a link could point outside the run directory, or loop).
    Groups nested deeper are never opened by a reader."""
    import h5py

    for name in list(group):
        kind = _link_kind(group, name)
        if kind == "external":
            link = group.get(name, getlink=True)
            raise ValueError(f"{where}{name} is an external link (to {link.filename!r}); a flavorscan file "
                             f"must be self-contained")
        if kind != "hard":
            raise ValueError(f"{where}{name} is a {kind} link; a flavorscan file must be self-contained")
        if depth == 0:
            obj = group.get(name)
            if isinstance(obj, h5py.Group):
                check_self_contained(obj, f"{where}{name}/", depth + 1)


def _dataset(group, name: str, file_size: int, virtual: bool = False, what: str | None = None):
    """Dataset ``name`` of ``group``, checked: a hard link to a dataset stored in the file (no external
    storage; virtual only if ``virtual``) whose declared size fits what the file can hold. None if
    missing; ValueError otherwise."""
    import h5py

    what = what or name
    kind = _link_kind(group, name)
    if kind is None:
        return None
    if kind != "hard":
        raise ValueError(f"{what} is a {kind} link; a flavorscan file must be self-contained")
    ds = group.get(name)
    if not isinstance(ds, h5py.Dataset):
        raise ValueError(f"{what} is not a dataset")
    plist = ds.id.get_create_plist()
    if plist.get_external_count() > 0:
        raise ValueError(f"{what} uses external storage (data in another file); a flavorscan file must be "
                         f"self-contained")
    if ds.is_virtual and not virtual:
        raise ValueError(f"{what} is a virtual dataset (data in other files); only 'flavorscan merge --virtual' "
                         f"writes those")
    if not ds.is_virtual:
        declared = int(np.prod(ds.shape, dtype=object)) * ds.dtype.itemsize if ds.shape is not None else 0
        stored = int(ds.id.get_storage_size())
        if stored > file_size or declared > MAX_DECLARED_RATIO * stored + SMALL_DATASET_BYTES:
            raise ValueError(f"{what} declares shape {ds.shape} ({declared} bytes) but the file stores "
                             f"{stored} bytes of it")
    return ds


def _int_dataset(f, name: str, file_size: int, minimum: int | None = 0, what: str | None = None) -> np.ndarray:
    """A 1-D integer dataset of ``f`` as int64 (values >= ``minimum`` unless None), else ValueError."""
    what = what or name
    ds = _dataset(f, name, file_size, what=what)
    if ds is None or ds.ndim != 1 or ds.dtype.kind not in "iu":
        raise ValueError(f"{what} is not a 1-D integer dataset")
    arr = ds[...]
    if minimum is not None and arr.size and arr.min() < minimum:
        raise ValueError(f"{what} holds values below {minimum}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{what} holds values beyond int64")
    return arr.astype(np.int64)


def _chunk_lists(f, file_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``/chunks`` and ``/chunk_rows`` of a flavorscan file, checked (ValueError)."""
    chunks = _int_dataset(f, "chunks", file_size)
    chunk_rows = _int_dataset(f, "chunk_rows", file_size)
    if chunks.shape != chunk_rows.shape:
        raise ValueError("datasets chunks and chunk_rows do not match")
    if chunk_rows.size and float(chunk_rows.sum(dtype=np.float64)) > 2.0**53:
        raise ValueError("chunk_rows holds impossible row counts")
    if len(np.unique(chunks)) != len(chunks):
        raise ValueError("chunks lists a chunk twice")
    return chunks, chunk_rows


def _check_rows(f, fmt: str, names, schema, chunks, chunk_rows, counts, attrs, file_size: int) -> None:
    """Cross-check the chunk lists against the stored rows (format docstring): the ``chunk`` column, the
    chunk-major point ids a segment records, the counts. Reads the chunk and point_id columns (their
    checksums verified). ValueError on a mismatch: the file is damaged."""
    if "points" in counts:
        points = counts["points"]
        if (points < 0).any() or (chunk_rows > points).any():
            raise ValueError("chunk_rows exceed counts/points (damaged chunk lists)")
        for key, arr in counts.items():
            if (arr < 0).any() or (arr > points).any():
                raise ValueError(f"counts/{key} outside [0, counts/points] (damaged counts)")
    owner = np.repeat(chunks, chunk_rows)
    chunk_col = None
    if "chunk" in schema:
        if schema["chunk"].kind not in "iu":
            raise ValueError("column 'chunk' is not an integer column")
        chunk_col = f["chunk"][...].astype(np.int64)
        if fmt == "flavorscan-segment":
            if not np.array_equal(chunk_col, owner):
                raise ValueError("the chunk column does not match datasets chunks/chunk_rows (damaged chunk lists)")
        else:  # merged: rows sorted by point_id, the same number of rows per chunk
            values, number = np.unique(chunk_col, return_counts=True)
            nonzero = chunk_rows > 0
            order = np.argsort(chunks[nonzero])
            if not (np.array_equal(values, chunks[nonzero][order])
                    and np.array_equal(number, chunk_rows[nonzero][order])):
                raise ValueError("the chunk column does not match datasets chunks/chunk_rows (damaged chunk lists)")
    point_id = f["point_id"][...] if "point_id" in schema else None
    size = attrs.get("point_id_chunk_size")
    if size is not None and point_id is not None:
        size = meta_int(size, "attribute point_id_chunk_size", minimum=1)
        reference = chunk_col if chunk_col is not None else owner if fmt == "flavorscan-segment" else None
        if reference is not None and not np.array_equal(point_id.astype(np.int64) // size, reference):
            raise ValueError("point_id does not match the chunks the file records (damaged chunk lists)")


def read_meta(path: Path, *, in_directory: bool = False, allow_virtual: bool = True) -> Segment:
    """Open one flavorscan HDF5 file and read its metadata (not the column data, but the chunk and point_id
    columns, to cross-check the chunk lists). Every value is checked, and a virtual file's sources too;
    anything malformed is a one-line :class:`UserError`. ``in_directory``: a segment of a run directory
    (a regular file, not a symbolic link, format "flavorscan-segment"); ``allow_virtual``: whether a
    virtual file is accepted."""
    path = Path(path)
    what = "segment" if in_directory else "flavorscan file"
    opened = regular_file_stat(path, what, follow_symlinks=not in_directory)
    size, device, inode = opened.st_size, opened.st_dev, opened.st_ino
    try:
        with h5open(path, "r") as f:
            try:
                handle = os.fstat(f.id.get_vfd_handle())
                if (handle.st_dev, handle.st_ino) != (device, inode):
                    raise UserError(f"{path}: replaced while being opened")
            except (TypeError, ValueError, NotImplementedError):  # pragma: no cover - a driver without a handle
                pass
            fmt = f.attrs.get("format", "")
            fmt = attr_str(fmt) if isinstance(fmt, (str, bytes)) else ""
            if fmt not in FORMATS:
                raise UserError(f"{path} is not a flavorscan HDF5 file")
            if in_directory and fmt != "flavorscan-segment":
                raise UserError(f"{path}: a {fmt} file under a segment's name (a run directory holds segments only)")
            if fmt == "flavorscan-virtual" and not allow_virtual:
                raise UserError(f"{path}: a virtual dataset file where a segment or merged file is expected")
            check_self_contained(f)
            attrs = {k: attr_value(v) for k, v in f.attrs.items()}
            check_version(path, meta_int(attrs.get("format_version", 0), "attribute format_version"))
            check_attrs(attrs)
            names = meta_json(attrs.get("columns"), "attribute columns", list)
            if not all(isinstance(n, str) and n and "/" not in n and n not in META_DATASETS for n in names):
                raise ValueError("attribute columns is not a list of column names")
            provenance = meta_json(attrs.get("provenance", "{}"), "attribute provenance", dict)
            chunks, chunk_rows = _chunk_lists(f, size)
            rows = int(chunk_rows.sum())
            schema = {}
            virtual = fmt == "flavorscan-virtual"
            for name in names:
                ds = _dataset(f, name, size, virtual=virtual, what=f"column {name!r}")
                if ds is None or ds.shape != (rows,):
                    shape = ds.shape if ds is not None else "(missing)"
                    raise ValueError(f"column {name!r} has shape {shape}, expected ({rows},)")
                if ds.dtype.kind not in ALLOWED_KINDS:
                    raise ValueError(f"column {name!r} has unsupported dtype {ds.dtype}")
                schema[name] = ds.dtype
            if names and schema.get("point_id", np.dtype("f8")).kind not in "iu":
                raise ValueError("no integer column point_id")
            counts = {}
            kind = _link_kind(f, "counts")
            if kind is not None:
                import h5py

                if not isinstance(f.get("counts"), h5py.Group):
                    raise ValueError("counts is not a group")
                for key in f["counts"]:
                    arr = _int_dataset(f["counts"], key, size, minimum=None, what=f"counts/{key}")
                    if arr.shape != chunks.shape:
                        raise ValueError(f"counts/{key} does not match chunks")
                    counts[key] = arr
            if virtual:
                _check_virtual_sources(path, f, attrs, names, schema, chunks, chunk_rows)
            else:
                _check_rows(f, fmt, names, schema, chunks, chunk_rows, counts, attrs, size)
    except UserError:
        raise
    except H5_ERRORS as exc:
        raise UserError(f"cannot read {path}: {one_line(exc)}") from None
    seg = Segment(path, fmt, chunks, chunk_rows, rows, schema, attrs, provenance, counts)
    seg.keep = [(0, rows)] if rows else []
    seg.keep_chunks = np.ones(len(chunks), dtype=bool)
    return seg


# --------------------------------------------------------------------------------------------------
# virtual files: their sources


def _contiguous(space, what: str) -> tuple[int, int]:
    """The selection of a dataspace of a virtual mapping as a contiguous 1-D range (a, b)."""
    import h5py

    if space.get_select_type() not in (h5py.h5s.SEL_HYPERSLABS, h5py.h5s.SEL_ALL) or len(space.shape) != 1:
        raise ValueError(f"{what}: not a 1-D range selection")
    n = int(space.get_select_npoints())
    (a,), (last,) = space.get_select_bounds()
    if last - a + 1 != n:
        raise ValueError(f"{what}: not a contiguous selection")
    return int(a), int(a) + n


def _check_virtual_sources(path: Path, f, attrs, names, schema, chunks, chunk_rows) -> None:
    """The sources of a virtual file are still the rows it was made from (else UserError): every source
    file exists, holds the expected datasets (shape, dtype), belongs to the same run (card hash), is the
    very file recorded at merge time (fingerprint, for files that record one) and every mapped row
    range covers whole chunks of it; together the mapped chunks are exactly the chunks with rows that
    the virtual file records. Rows of a chunk are a function of (card, chunk), so the data read through
    the file are the rows recorded."""
    where = f"virtual dataset file {path}"
    again = "merge the run again"
    # one mapping list, identical for every column: (file name, source rows, a, b, destination a)
    mappings = None
    for name in names:
        ds = f[name]
        if not ds.is_virtual:
            raise ValueError(f"column {name!r} is not a virtual dataset")
        maps = []
        for vmap in ds.virtual_sources():
            if vmap.dset_name != name or vmap.file_name == ".":
                raise ValueError(f"column {name!r} maps {vmap.file_name}:{vmap.dset_name}")
            a, b = _contiguous(vmap.src_space, f"column {name!r}")
            p, _ = _contiguous(vmap.vspace, f"column {name!r}")
            maps.append((vmap.file_name, tuple(vmap.src_space.shape), a, b, p))
        if mappings is None:
            mappings = maps
        elif maps != mappings:
            raise ValueError(f"column {name!r} maps other rows than column {names[0]!r}")
    mappings = mappings or []
    pos = 0
    for _, _, a, b, p in mappings:
        if p != pos:
            raise ValueError("virtual mappings are not consecutive")
        pos += b - a
    if pos != int(chunk_rows.sum()):
        raise ValueError(f"virtual mappings cover {pos} rows, chunk_rows {int(chunk_rows.sum())}")
    recorded = None
    if "virtual_sources" in attrs:
        recorded = meta_json(attrs["virtual_sources"], "attribute virtual_sources", dict)
        if set(recorded) != {m[0] for m in mappings}:
            raise ValueError("attribute virtual_sources does not list the mapped files")

    expected = {int(c): int(r) for c, r in zip(chunks.tolist(), chunk_rows.tolist()) if r > 0}
    covered: dict[int, int] = {}
    ranges: dict[str, list] = {}
    for file_name, shape, a, b, _ in mappings:
        ranges.setdefault(file_name, []).append((shape, a, b))
    for file_name, wanted in ranges.items():
        src = Path(file_name)
        if not src.is_absolute():
            src = path.parent / src
        if not os.path.lexists(src):
            raise UserError(f"{where}: source {src} is missing")
        try:
            # the source as a segment or merged file: a regular file, self-contained, its rows cross-checked
            source = read_meta(src, allow_virtual=False)
        except UserError as exc:
            raise UserError(f"{where}: source: {exc}; {again}") from None
        src_attrs, src_chunks, src_rows = source.attrs, source.chunks, source.chunk_rows
        if src_attrs.get("card_hash") != attrs["card_hash"]:
            raise UserError(
                f"{where}: source {src} belongs to a run of a different card (restarted since "
                f"the merge?); {again}"
            )
        fingerprint = source_fingerprint(src_attrs, src_chunks, src_rows)
        for name in names:
            if name not in source.schema:
                raise UserError(f"{where}: {src} has no dataset {name}")
            for shape, _, _ in wanted:
                if (source.rows,) != shape or source.schema[name] != schema[name]:
                    raise UserError(
                        f"{where}: {src}:{name} has shape ({source.rows},) dtype {source.schema[name]}, "
                        f"expected {shape} {schema[name]}"
                    )
        offsets = np.concatenate([[0], np.cumsum(src_rows)])
        for shape, a, b in wanted:
            ia = int(np.searchsorted(offsets, a, side="left"))
            ib = int(np.searchsorted(offsets, b, side="right")) - 1
            if shape != (int(offsets[-1]),) or ia >= len(offsets) or offsets[ia] != a or offsets[ib] != b:
                raise UserError(f"{where}: rows {a}:{b} of {src} are not whole chunks of it; {again}")
            for j in range(ia, ib):
                c, r = int(src_chunks[j]), int(src_rows[j])
                if r == 0:
                    continue
                if expected.get(c) != r or c in covered:
                    raise UserError(
                        f"{where}: source {src} holds chunks other than the file records (chunk {c}, "
                        f"{r} rows); {again}"
                    )
                covered[c] = r
        if recorded is not None and recorded[file_name] != fingerprint:
            raise UserError(f"{where}: source {src} was rewritten since the merge; {again}")
    if covered != expected:
        lost = sorted(set(expected) - set(covered))
        raise UserError(f"{where}: its sources no longer hold chunks {lost[:5]} it records; {again}")


# --------------------------------------------------------------------------------------------------
# catalog of a run directory or merged file


def _dedupe(segments: list[Segment]) -> int:
    """Mark chunks already covered by an earlier segment (same chunk twice: identical rows by
    construction); returns how many duplicate chunk entries were dropped."""
    seen: set[int] = set()
    dropped = 0
    for seg in segments:
        mask = np.ones(len(seg.chunks), dtype=bool)
        for j, c in enumerate(seg.chunks.tolist()):
            if c in seen:
                mask[j] = False
                dropped += 1
            else:
                seen.add(c)
        seg.keep_chunks = mask
        if mask.all():
            continue
        if seg.format != "flavorscan-segment":  # merged files hold unique chunks
            raise UserError(f"{seg.path} repeats chunks of another file")
        offsets = np.concatenate([[0], np.cumsum(seg.chunk_rows)])
        keep = []
        for j in np.flatnonzero(mask & (seg.chunk_rows > 0)):
            a, b = int(offsets[j]), int(offsets[j + 1])
            if keep and keep[-1][1] == a:
                keep[-1] = (keep[-1][0], b)
            else:
                keep.append((a, b))
        seg.keep = keep
    return dropped


@dataclass
class Catalog:
    """The readable files of a run directory (its complete segments) or of one merged file, with the
    chunks recorded twice marked (see :attr:`Segment.keep`)."""

    path: Path
    kind: str  # "directory" or "file"
    run: dict | None
    segments: list
    duplicates: int
    tmp_files: int

    def schema(self) -> dict:
        schema: dict | None = None
        first = None
        for seg in self.segments:
            if schema is None:
                schema, first = seg.schema, seg.path
            elif seg.schema != schema:
                raise UserError(
                    f"{seg.path} and {first} have different columns or dtypes; the run mixes outputs of "
                    f"different flavorscan versions"
                )
        return dict(schema or {})


def catalog(path) -> Catalog:
    """The :class:`Catalog` of a run directory or merged file (anything else is a :class:`UserError`)."""
    path = Path(path)
    if path.is_dir():
        run = read_run_json(path)
        segments = [read_meta(p, in_directory=True) for p in segment_files(path)]
        for seg in segments:
            if seg.attrs.get("card_hash") != run["card_hash"]:
                raise UserError(f"{seg.path} belongs to a run of a different card than {path / RUN_FILE}")
        tmp = sum(1 for e in os.scandir(path) if TMP_RE.match(e.name))
        cat = Catalog(path, "directory", run, segments, 0, tmp)
    elif path.is_file():
        cat = Catalog(path, "file", None, [read_meta(path)], 0, 0)
    elif path.exists():
        raise UserError(f"{path} is neither a run directory nor a file")
    else:
        raise UserError(f"{path} does not exist")
    cat.duplicates = _dedupe(cat.segments)
    return cat


def run_summary(cat: Catalog) -> dict:
    """Run-level metadata of a catalog: card JSON and hash, provenance (run.json's, or the file's),
    provenance keys that differ between segments, shards, planned chunks."""
    segs = cat.segments
    if cat.run is not None:
        provenance = dict(cat.run.get("provenance") or {})
        chash = cat.run.get("card_hash") or ""
        card_json = canonical_json(cat.run.get("card", {}))
    elif segs:
        provenance = dict(segs[0].provenance)
        chash = attr_str(segs[0].attrs.get("card_hash", ""))
        card_json = attr_str(segs[0].attrs.get("card", "{}"))
    else:  # pragma: no cover - a file catalog always has its one entry
        provenance, chash, card_json = {}, "", "{}"
    variants: dict[str, list] = {}
    keys = set(provenance)
    for seg in segs:
        keys |= set(seg.provenance)
    for key in sorted(keys):
        values = {canonical_json(seg.provenance.get(key)) for seg in segs}
        values.add(canonical_json(provenance.get(key)))
        if len(values) > 1:
            variants[key] = [json.loads(v) for v in sorted(values)]
    shards: set[str] = set()
    planned = []
    if cat.run is not None and cat.run.get("planned_chunks") is not None:
        planned.append(int(cat.run["planned_chunks"]))
    for seg in segs:
        if "provenance_variants" in seg.attrs:  # merged file: what the merge recorded
            for key, vals in json.loads(attr_str(seg.attrs["provenance_variants"])).items():
                variants.setdefault(key, vals)
        if "shard" in seg.attrs:
            shards.add(attr_str(seg.attrs["shard"]))
        if "shards" in seg.attrs:
            shards.update(json.loads(attr_str(seg.attrs["shards"])))
        if seg.attrs.get("planned_chunks") is not None:
            planned.append(int(seg.attrs["planned_chunks"]))
    return {
        "card_json": card_json,
        "card_hash": chash,
        "provenance": provenance,
        "provenance_variants": variants,
        "shards": sorted(shards, key=lambda t: tuple(int(x) for x in t.split("/"))),
        "planned_chunks": max(planned) if planned else None,
    }


# --------------------------------------------------------------------------------------------------
# load


def load(directory, columns: Iterable[str] | str | None = None) -> dict[str, np.ndarray]:
    """Columns of a run (directory) or merged file as {name: 1-D array}, rows sorted by ``point_id``
    (stable), hence independent of sharding and resume order. Chunks recorded twice are read once.
    ``columns``: names to return (default all, in stored order). A run without segments gives ``{}``.
    Bad paths, unreadable files, unknown columns: :class:`UserError`."""
    cat = catalog(directory)
    schema = cat.schema()
    if not cat.segments or not schema:
        return {}
    if columns is None:
        names = list(schema)
    else:
        names = [columns] if isinstance(columns, str) else list(columns)
        unknown = [n for n in names if n not in schema]
        if unknown:
            from flavorscan.scanner.cardkeys import did_you_mean

            hint = did_you_mean(unknown[0], schema) or " ('flavorscan info DIR' lists the columns)"
            raise UserError(f"no column {unknown[0]!r} in {cat.path}{hint}")
    read = names + (["point_id"] if "point_id" not in names else [])
    total = sum(seg.kept_rows for seg in cat.segments)
    out = {n: np.empty(total, dtype=schema[n]) for n in read}
    pos = 0
    for seg in cat.segments:
        if not seg.keep:
            continue
        try:
            with h5open(seg.path, "r") as f:
                start = pos
                for name in read:
                    ds = f[name]
                    p = start
                    for a, b in seg.keep:
                        if b > a:
                            ds.read_direct(out[name], np.s_[a:b], np.s_[p : p + b - a])
                        p += b - a
                pos = p
        except H5_ERRORS as exc:
            raise UserError(f"cannot read {seg.path}: {one_line(exc)}") from None
    pid = out["point_id"]
    if total > 1 and not np.all(pid[1:] >= pid[:-1]):
        order = np.argsort(pid, kind="stable")
        for name in read:
            out[name] = out[name][order]
    return {n: out[n] for n in names}


def load_dataframe(directory, columns: Iterable[str] | str | None = None):
    """:func:`load` as a pandas DataFrame (pandas is optional: UserError with an install hint)."""
    try:
        import pandas as pd
    except ImportError:
        raise UserError('load_dataframe needs pandas: pip install -e ".[pandas]" (or: pip install pandas)') from None
    return pd.DataFrame(load(directory, columns))
