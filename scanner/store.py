"""HDF5 storage of a scan: crash-safe per-process segment files, resume manifest, load, info, merge.

Layout of a run directory
-------------------------
::

    DIR/
      run.json                     run identity, written once, atomically, when the run is created
      seg-<IIII>-<SSSSSS>.h5       complete segments: shard index I (4+ digits), sequence number S (6+ digits)
      seg-<IIII>-<SSSSSS>.h5.tmp   a segment being written (or left by a killed process): never read
      .lock-<IIII>                 flock(2) lock held by the process writing shard I (empty file)

Every process (shard) buffers finished chunks in memory and writes them as one segment when the buffer
holds ``rows_per_segment`` rows, when ``seconds_per_segment`` have passed since the previous segment was
written (or the writer opened; checked in :meth:`RunWriter.add_chunk`, so a chunk that finishes after the
deadline is written at once), and at :meth:`RunWriter.flush` / :meth:`RunWriter.close`.
A segment is written to ``<name>.tmp``, closed, fsync'ed and renamed to ``<name>`` (atomic), then the
directory is fsync'ed. A reader only ever opens names without ``.tmp``, so a process killed at any moment
(SIGKILL included) leaves only complete segments behind, and every chunk it had recorded in a complete
segment stays recorded. Chunks still in the buffer at the kill are lost and recomputed on resume.

Segment file (HDF5, libver >= v108)
-----------------------------------
- one 1-D dataset per column at the root (``/<column>``), all of the same length, chunked
  (``min(rows, 65536)``; ``(1,)`` and resizable when empty), gzip (level 1) + shuffle; dtypes as given
  (float64 / int64 / int8 / bool / other numeric). ``point_id`` (int64) is required.
- ``/chunks`` (int64, one entry per chunk covered, zero-row chunks included) and ``/chunk_rows`` (int64,
  rows each chunk kept). Rows are stored chunk after chunk in ``/chunks`` order, so the rows of
  ``chunks[j]`` are ``sum(chunk_rows[:j]) : sum(chunk_rows[:j+1])``.
- optional group ``/counts`` with one int64 dataset per key of the ``counts`` given to
  :meth:`RunWriter.add_chunk` (aligned with ``/chunks``), e.g. points evaluated and passes per
  constraint over all evaluated points, not only the kept rows.
- root attributes: ``format`` ("flavorscan-segment"), ``format_version`` (int), ``card`` (canonical JSON
  of the full resolved card), ``card_hash`` (sha256 hex of the canonical JSON of the identity dict),
  ``shard`` ("I/N"), ``columns`` (JSON list: column order), ``created_utc``, ``planned_chunks`` (only if
  known), ``provenance`` (JSON of the provenance dict) and one attribute per provenance key (scalars as
  such, anything else as a JSON string). Recommended provenance keys are :data:`PROVENANCE_KEYS`;
  :func:`default_provenance` fills them (the store itself never shells out, e.g. for the git commit).

Merged files (:func:`merge`) have the same layout (``format`` "flavorscan-merged" or
"flavorscan-virtual"), rows sorted by ``point_id`` (physical) or in segment order (virtual), ``/chunks``
sorted and ``/chunk_rows`` as row counts per chunk; a virtual file also records ``virtual_sources``
(JSON: source path -> fingerprint), checked on every read. :func:`load` and :func:`info` accept a run
directory or such a file. Every value read from run.json or a file's attributes is checked: malformed
metadata is a one-line :class:`UserError`.

Card identity
-------------
``run.json`` holds ``card`` (the creating process's resolved card) and ``card_hash``: the sha256 of the
canonical JSON (sorted keys, no whitespace) of the ``identity`` dict given to :class:`RunWriter`, which
defaults to the whole card. ``flavorscan run`` uses that default: the whole resolved card, ``scan.n``
(``--n``) and ``scan.seed`` (``--seed``) included, is the identity, so a different ``--n`` or ``--seed``
is a different run; the shard, device options and output paths are not part of the card. A caller may
pass a reduced identity; chunks are identified by (seed, chunk index), so the seed and everything that
changes a chunk's rows must stay in it. Opening a directory whose ``card_hash`` differs is refused
unless ``restart=True``.

Concurrency: one :class:`RunWriter` per shard and directory at a time (a second one for the same
shard is refused through its ``.lock-<I>`` file; flock is skipped on file systems without it), any
number of shards at once, readers at any time (they see complete segments only). ``restart=True`` is
refused while another shard's lock is held. A writer is not thread-safe. A chunk found in two segments
(e.g. copied files) is read once: rows of a chunk are a function of its index.

Files are data: h5py and json only, never pickle or eval.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from flavorscan.scanner.errors import UserError

__all__ = [
    "FORMAT_VERSION",
    "PROVENANCE_KEYS",
    "RunWriter",
    "canonical_json",
    "card_hash",
    "default_provenance",
    "format_info",
    "info",
    "load",
    "load_dataframe",
    "merge",
]

FORMAT_VERSION = 1
RUN_FILE = "run.json"
DEFAULT_ROWS_PER_SEGMENT = 262_144
DEFAULT_SECONDS_PER_SEGMENT = 120.0
HDF5_CHUNK_ROWS = 65_536
GZIP_LEVEL = 1
MERGE_CACHE_BYTES = 256 * 2**20

#: Provenance keys every segment should carry (see :func:`default_provenance`).
PROVENANCE_KEYS = (
    "flavorscan_version",
    "git_commit",
    "jax_version",
    "jaxlib_version",
    "devices",
    "dtype",
    "seed",
    "measurements",
)

_SEGMENT_RE = re.compile(r"^seg-(\d{4,})-(\d{6,})\.h5$")
_TMP_RE = re.compile(r"^seg-(\d{4,})-(\d{6,})\.h5\.tmp$")
_LOCK_RE = re.compile(r"^\.lock-(\d{4,})$")
_SHARD_RE = re.compile(r"^(\d+)/(\d+)$")
_META_DATASETS = ("chunks", "chunk_rows", "counts")
_RESERVED_ATTRS = (
    "format",
    "format_version",
    "card",
    "card_hash",
    "shard",
    "shards",
    "columns",
    "created_utc",
    "planned_chunks",
    "provenance",
    "provenance_variants",
    "segments",
    "order",
    "virtual_sources",
)
_FORMATS = ("flavorscan-segment", "flavorscan-merged", "flavorscan-virtual")
_ALLOWED_KINDS = "biuf"  # bool, signed int, unsigned int, float


# --------------------------------------------------------------------------------------------------
# canonical JSON, hashing, provenance


def _jsonable(obj: Any, where: str = "card") -> Any:
    """Plain JSON types from a card/provenance value (numpy scalars/arrays, tuples, dates converted)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return [_jsonable(x, where) for x in obj.tolist()]
    if isinstance(obj, Mapping):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {key!r} is not a string")
            out[key] = _jsonable(value, f"{where}.{key}")
        return out
    if isinstance(obj, (list, tuple)):
        return [_jsonable(x, where) for x in obj]
    if isinstance(obj, (datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise ValueError(f"{where}: value of type {type(obj).__name__} cannot be stored as JSON")


def canonical_json(obj: Any) -> str:
    """Canonical JSON text of ``obj``: sorted keys, no whitespace, shortest float repr.

    Non-finite floats are written as ``NaN``/``Infinity`` (Python's json extension)."""
    return json.dumps(_jsonable(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def card_hash(identity: Mapping) -> str:
    """sha256 hex digest of :func:`canonical_json` of ``identity``."""
    return hashlib.sha256(canonical_json(identity).encode("utf-8")).hexdigest()


def default_provenance(
    *,
    git_commit: str | None = None,
    seed: int | None = None,
    measurements: str | None = None,
    devices: Iterable[str] | str | None = None,
    dtype: str | None = None,
) -> dict:
    """The :data:`PROVENANCE_KEYS` for a writer: package, jax and jaxlib versions from the running
    interpreter; devices from ``jax.devices()`` and dtype from jax's x64 flag unless given. The git
    commit is only recorded if given (no subprocess is started here); keys left unknown are omitted."""
    import jax
    import jaxlib

    import flavorscan

    prov: dict[str, Any] = {
        "flavorscan_version": flavorscan.__version__,
        "jax_version": jax.__version__,
        "jaxlib_version": getattr(jaxlib, "__version__", None) or jaxlib.version.__version__,
    }
    if git_commit:
        prov["git_commit"] = str(git_commit)
    if devices is None:
        devices = [str(d) for d in jax.devices()]
    prov["devices"] = devices if isinstance(devices, str) else [str(d) for d in devices]
    if dtype is None:
        dtype = "float64" if jax.config.read("jax_enable_x64") else "float32"
    prov["dtype"] = str(dtype)
    if seed is not None:
        prov["seed"] = int(seed)
    if measurements is not None:
        prov["measurements"] = str(measurements)
    return prov


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------
# small file helpers


def _fsync_path(path: Path, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:  # some file systems refuse fsync on directories
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def _replacing(tmp: Path, final: Path):
    """Write to ``tmp`` inside the block; on success fsync it and rename it onto ``final`` atomically, on
    any failure (including a KeyboardInterrupt) remove it, so readers see either nothing or a whole file."""
    try:
        yield tmp
        _fsync_path(tmp)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _atomic_write_text(path: Path, text: str) -> None:
    # a unique temporary name created like any file (mode 0666 & ~umask, as the segments): tempfile.mkstemp
    # would make run.json 0600 and unreadable to collaborators sharing the run directory
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
    with _replacing(tmp, path):
        with open(tmp, "x", encoding="utf-8") as handle:
            handle.write(text)
    _fsync_path(path.parent, directory=True)


def _h5open(path, mode="r", **kwargs):
    """h5py.File without HDF5's own file locking (segments are immutable once renamed; HDF5 locking
    fails on some network file systems). Falls back where the HDF5 build lacks the option."""
    import h5py

    try:
        return h5py.File(path, mode, locking=False, **kwargs)
    except TypeError:  # pragma: no cover - old h5py
        return h5py.File(path, mode, **kwargs)


def _attr_str(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _attr_value(value):
    """Python value of an HDF5 attribute (numpy scalars unwrapped, bytes decoded)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_attr_value(x) for x in value.tolist()]
    return value


# Files are data: every value read from run.json or an HDF5 attribute is checked before use; the checks
# raise ValueError, which the readers turn into a one-line UserError naming the file.


_INT64_MAX = 2**63 - 1


def _meta_int(value, what: str, minimum: int = 0) -> int:
    """``value`` as an int if it is an integer (not a bool, not a float) >= ``minimum``, else ValueError."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum
            or value > _INT64_MAX):
        raise ValueError(f"{what} is {value!r}, expected an integer in [{minimum}, 2^63)")
    return int(value)


def _meta_json(value, what: str, kind: type):
    """JSON text ``value`` parsed, if it is of type ``kind`` (dict or list), else ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a JSON string")
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ValueError(f"{what} is not valid JSON") from None
    if not isinstance(parsed, kind):
        raise ValueError(f"{what} is not a JSON {'object' if kind is dict else 'list'}")
    return parsed


def _meta_shard(value, what: str) -> str:
    m = _SHARD_RE.match(value) if isinstance(value, str) else None
    if not m or not int(m.group(1)) < int(m.group(2)):
        raise ValueError(f"{what} is {value!r}, expected 'I/N' with 0 <= I < N")
    return value


def _check_attrs(attrs: dict) -> None:
    """Types and ranges of a flavorscan file's root attributes (as :func:`_attr_value` gives them)."""
    _meta_int(attrs.get("format_version", 0), "attribute format_version")
    if not isinstance(attrs.get("card_hash"), str):
        raise ValueError("attribute card_hash is missing or not a string")
    if not isinstance(attrs.get("card", ""), str):
        raise ValueError("attribute card is not a string")
    if attrs.get("planned_chunks") is not None:
        _meta_int(attrs["planned_chunks"], "attribute planned_chunks")
    if "segments" in attrs:
        _meta_int(attrs["segments"], "attribute segments")
    if "shard" in attrs:
        _meta_shard(attrs["shard"], "attribute shard")
    if "shards" in attrs:
        for shard in _meta_json(attrs["shards"], "attribute shards", list):
            _meta_shard(shard, "an entry of attribute shards")
    if "provenance_variants" in attrs:
        variants = _meta_json(attrs["provenance_variants"], "attribute provenance_variants", dict)
        if not all(isinstance(v, list) for v in variants.values()):
            raise ValueError("attribute provenance_variants: values are not lists")


def _segment_files(directory: Path) -> list[Path]:
    found = []
    for entry in os.scandir(directory):
        m = _SEGMENT_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), int(m.group(2)), Path(entry.path)))
    found.sort()
    return [p for _, _, p in found]


def _read_run_json(directory: Path) -> dict:
    path = directory / RUN_FILE
    try:
        with open(path, encoding="utf-8") as fh:
            run = json.load(fh)
    except FileNotFoundError:
        raise UserError(f"{directory} is not a flavorscan run directory (no {RUN_FILE})") from None
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise UserError(f"cannot read {path}: {_one_line(exc)}") from None
    if not isinstance(run, dict) or run.get("format") != "flavorscan-run" or "card_hash" not in run:
        raise UserError(f"{path} is not a flavorscan run file")
    try:
        version = _meta_int(run.get("format_version", 0), "format_version")
        if not isinstance(run["card_hash"], str) or not run["card_hash"]:
            raise ValueError(f"card_hash is {run['card_hash']!r}, expected a hex string")
        if run.get("planned_chunks") is not None:
            _meta_int(run["planned_chunks"], "planned_chunks")
        for key in ("card", "provenance"):
            if run.get(key) is not None and not isinstance(run[key], dict):
                raise ValueError(f"{key} is not a JSON object")
    except ValueError as exc:
        raise UserError(f"{path} is damaged: {_one_line(exc)}") from None
    if version > FORMAT_VERSION:
        raise UserError(
            f"{path} has format version {version}; this flavorscan reads up to {FORMAT_VERSION}"
        )
    return run


# --------------------------------------------------------------------------------------------------
# reading: catalog of segments


@dataclass
class _Segment:
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


def _int_dataset(f, name: str, minimum: int | None = 0) -> np.ndarray:
    """A 1-D integer dataset of ``f`` as int64 (values >= ``minimum`` unless None), else ValueError."""
    import h5py

    ds = f.get(name)
    if not isinstance(ds, h5py.Dataset) or ds.ndim != 1 or ds.dtype.kind not in "iu":
        raise ValueError(f"{name} is not a 1-D integer dataset")
    arr = ds[...]
    if minimum is not None and arr.size and arr.min() < minimum:
        raise ValueError(f"{name} holds values below {minimum}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} holds values beyond int64")
    return arr.astype(np.int64)


def _chunk_lists(f) -> tuple[np.ndarray, np.ndarray]:
    """``/chunks`` and ``/chunk_rows`` of a flavorscan file, checked (ValueError)."""
    chunks = _int_dataset(f, "chunks")
    chunk_rows = _int_dataset(f, "chunk_rows")
    if chunks.shape != chunk_rows.shape:
        raise ValueError("datasets chunks and chunk_rows do not match")
    return chunks, chunk_rows


def _read_meta(path: Path, check_virtual: bool = True) -> _Segment:
    """Open one flavorscan HDF5 file and read its metadata (not the column data). Every value is
    checked; anything malformed is a one-line :class:`UserError`."""
    import h5py

    try:
        with _h5open(path, "r") as f:
            fmt = f.attrs.get("format", "")
            fmt = _attr_str(fmt) if isinstance(fmt, (str, bytes)) else ""
            if fmt not in _FORMATS:
                raise UserError(f"{path} is not a flavorscan HDF5 file")
            attrs = {k: _attr_value(v) for k, v in f.attrs.items()}
            version = _meta_int(attrs.get("format_version", 0), "attribute format_version")
            if version > FORMAT_VERSION:
                raise UserError(
                    f"{path} has format version {version}; this flavorscan reads up to {FORMAT_VERSION}"
                )
            _check_attrs(attrs)
            names = _meta_json(attrs.get("columns"), "attribute columns", list)
            if not all(isinstance(n, str) and n and "/" not in n and n not in _META_DATASETS for n in names):
                raise ValueError("attribute columns is not a list of column names")
            provenance = _meta_json(attrs.get("provenance", "{}"), "attribute provenance", dict)
            chunks, chunk_rows = _chunk_lists(f)
            rows = int(chunk_rows.sum())
            schema = {}
            for name in names:
                ds = f.get(name)
                if not isinstance(ds, h5py.Dataset) or ds.shape != (rows,):
                    shape = ds.shape if isinstance(ds, h5py.Dataset) else "(missing)"
                    raise ValueError(f"column {name!r} has shape {shape}, expected ({rows},)")
                if ds.dtype.kind not in _ALLOWED_KINDS:
                    raise ValueError(f"column {name!r} has unsupported dtype {ds.dtype}")
                schema[name] = ds.dtype
            if names and schema.get("point_id", np.dtype("f8")).kind not in "iu":
                raise ValueError("no integer column point_id")
            counts = {}
            if "counts" in f:
                if not isinstance(f["counts"], h5py.Group):
                    raise ValueError("counts is not a group")
                for key in f["counts"]:
                    arr = _int_dataset(f["counts"], key, minimum=None)
                    if arr.shape != chunks.shape:
                        raise ValueError(f"counts/{key} does not match chunks")
                    counts[key] = arr
            if fmt == "flavorscan-virtual" and check_virtual:
                _check_virtual_sources(path, f, attrs, names, schema, chunks, chunk_rows)
    except UserError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise UserError(f"cannot read {path}: {_one_line(exc)}") from None
    seg = _Segment(path, fmt, chunks, chunk_rows, rows, schema, attrs, provenance, counts)
    seg.keep = [(0, rows)] if rows else []
    seg.keep_chunks = np.ones(len(chunks), dtype=bool)
    return seg


def _source_fingerprint(attrs: Mapping, chunks: np.ndarray, chunk_rows: np.ndarray) -> str:
    """sha256 of a source file's root attributes and chunk lists: recorded per source in a virtual
    file, so a source rewritten since the merge (restart, other code, other chunks) is noticed."""
    h = hashlib.sha256(canonical_json(dict(attrs)).encode("utf-8"))
    h.update(np.ascontiguousarray(chunks, dtype="<i8").tobytes())
    h.update(b"|")
    h.update(np.ascontiguousarray(chunk_rows, dtype="<i8").tobytes())
    return h.hexdigest()


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
        recorded = _meta_json(attrs["virtual_sources"], "attribute virtual_sources", dict)
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
        if not src.is_file():
            raise UserError(f"{where}: source {src} is missing")
        try:
            with _h5open(src, "r") as g:
                src_attrs = {k: _attr_value(v) for k, v in g.attrs.items()}
                if src_attrs.get("format") not in ("flavorscan-segment", "flavorscan-merged"):
                    raise UserError(f"{where}: source {src} is not a flavorscan segment; {again}")
                if src_attrs.get("card_hash") != attrs["card_hash"]:
                    raise UserError(
                        f"{where}: source {src} belongs to a run of a different card (restarted since "
                        f"the merge?); {again}"
                    )
                src_chunks, src_rows = _chunk_lists(g)
                fingerprint = _source_fingerprint(src_attrs, src_chunks, src_rows)
                for name in names:
                    ds = g.get(name)
                    if ds is None:
                        raise UserError(f"{where}: {src} has no dataset {name}")
                    for shape, _, _ in wanted:
                        if tuple(ds.shape) != shape or ds.dtype != schema[name]:
                            raise UserError(
                                f"{where}: {src}:{name} has shape {ds.shape} dtype {ds.dtype}, expected "
                                f"{shape} {schema[name]}"
                            )
        except UserError:
            raise
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise UserError(f"{where}: cannot read source {src}: {_one_line(exc)}") from None
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


def _dedupe(segments: list[_Segment]) -> int:
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
class _Catalog:
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


def _catalog(path) -> _Catalog:
    path = Path(path)
    if path.is_dir():
        run = _read_run_json(path)
        segments = [_read_meta(p) for p in _segment_files(path)]
        for seg in segments:
            if seg.attrs.get("card_hash") != run["card_hash"]:
                raise UserError(f"{seg.path} belongs to a run of a different card than {path / RUN_FILE}")
        tmp = sum(1 for e in os.scandir(path) if _TMP_RE.match(e.name))
        cat = _Catalog(path, "directory", run, segments, 0, tmp)
    elif path.is_file():
        cat = _Catalog(path, "file", None, [_read_meta(path)], 0, 0)
    elif path.exists():
        raise UserError(f"{path} is neither a run directory nor a file")
    else:
        raise UserError(f"{path} does not exist")
    cat.duplicates = _dedupe(cat.segments)
    return cat


# --------------------------------------------------------------------------------------------------
# writing


def _check_name(name) -> str:
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(f"invalid column name {name!r}")
    if name in _META_DATASETS:
        raise ValueError(f"column name {name!r} is reserved")
    return name


def _write_columns(f, schema: Mapping[str, np.dtype], data: Mapping[str, np.ndarray], rows: int) -> None:
    chunk = max(1, min(rows, HDF5_CHUNK_ROWS))
    for name, dtype in schema.items():
        f.create_dataset(
            name,
            data=data[name] if data is not None else None,
            shape=(rows,),
            dtype=dtype,
            chunks=(chunk,),
            maxshape=(None,) if rows == 0 else (rows,),  # a (1,) chunk needs room to grow
            compression="gzip",
            compression_opts=GZIP_LEVEL,
            shuffle=True,
        )


def _set_common_attrs(f, fmt, card_json, chash, columns, provenance, planned) -> None:
    f.attrs["format"] = fmt
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["card"] = card_json
    f.attrs["card_hash"] = chash
    f.attrs["columns"] = json.dumps(list(columns))
    f.attrs["created_utc"] = _utc_now()
    if planned is not None:
        f.attrs["planned_chunks"] = int(planned)
    f.attrs["provenance"] = json.dumps(provenance, sort_keys=True)
    for key, value in provenance.items():
        if key in _RESERVED_ATTRS:
            continue
        if value is None:
            continue
        if isinstance(value, (bool, int, float, str)):
            f.attrs[key] = value
        else:
            f.attrs[key] = json.dumps(value, sort_keys=True)


class RunWriter:
    """Writes one shard's finished chunks of a run into crash-safe segment files in ``directory``.

    Parameters
    ----------
    directory:
        run directory, created if needed.
    card:
        the full resolved card (JSON-able dict); stored in ``run.json`` (at creation) and in every segment.
    provenance:
        dict of scalars / lists / dicts recorded with every segment (see :data:`PROVENANCE_KEYS`,
        :func:`default_provenance`). Keys may not shadow format attributes (``shard``, ``card``, ...).
    shard:
        ``(I, N)``: this process writes shard I of N. Segment names carry I.
    restart:
        remove the directory's segments, temporary files and run.json first (refused while another
        process holds a shard lock there). Launch parallel shards *after* a restart, without it.
    rows_per_segment, seconds_per_segment:
        flush thresholds (buffered rows; seconds since the previous segment or the writer's start, checked
        in :meth:`add_chunk`). Peak memory ~ ``rows_per_segment`` rows plus one chunk.
    identity:
        the dict whose hash identifies the run (default: ``card``). A writer whose identity hashes
        differently is refused in an existing run directory (unless ``restart``). ``flavorscan run``
        passes no identity, so the whole resolved card is the identity: the number of points is part of
        it (``scan.n``, as set by ``--n``), like the seed, and a different ``--n`` is a different run. Shard
        and device options are not in the card. Only a caller that deliberately lets resumes differ may
        pass a reduced dict; it must keep everything that changes a chunk's rows.
    planned_chunks:
        number of chunks the run plans (recorded for :func:`info`), if known.

    Raises :class:`UserError` if the directory holds a run of another card, another process writes the
    same shard, or a complete segment cannot be read; :class:`ValueError` on programming errors.
    """

    def __init__(
        self,
        directory,
        card: Mapping,
        provenance: Mapping | None = None,
        shard: tuple[int, int] = (0, 1),
        restart: bool = False,
        rows_per_segment: int = DEFAULT_ROWS_PER_SEGMENT,
        seconds_per_segment: float = DEFAULT_SECONDS_PER_SEGMENT,
        *,
        identity: Mapping | None = None,
        planned_chunks: int | None = None,
    ):
        try:
            index, count = (int(shard[0]), int(shard[1]))
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"shard must be (index, count), got {shard!r}") from None
        if not 0 <= index < count:
            raise ValueError(f"shard index {index} outside 0..{count - 1}")
        if int(rows_per_segment) < 1 or not float(seconds_per_segment) > 0:
            raise ValueError("rows_per_segment must be >= 1 and seconds_per_segment > 0")
        self.directory = Path(directory)
        self.shard = (index, count)
        self.rows_per_segment = int(rows_per_segment)
        self.seconds_per_segment = float(seconds_per_segment)
        self.planned_chunks = None if planned_chunks is None else int(planned_chunks)
        self._card_json = canonical_json(card)
        self._card_hash = card_hash(card if identity is None else identity)
        prov = _jsonable(dict(provenance or {}), "provenance")
        clash = sorted(set(prov) & set(_RESERVED_ATTRS))
        if clash:
            raise ValueError(f"provenance keys {clash} are reserved")
        self._provenance = prov

        if self.directory.exists() and not self.directory.is_dir():
            raise UserError(f"{self.directory} exists and is not a directory")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create {self.directory}: {_one_line(exc)}") from None

        self._lock_fd: int | None = None
        self._closed = False
        self._lock()
        try:
            if restart:
                self._wipe()
            self._open_run()
            self._remove_own_tmp()
            self._seen: dict[str, np.ndarray] = {}
            self._schema: dict[str, np.dtype] | None = None
            self._schema_on_disk = False
            self._finished: set[int] = set()
            self._scan_directory()
            self._next_seq = self._first_free_seq()
        except BaseException:
            self._unlock()
            raise
        self._buffer: list[tuple[int, dict, dict | None]] = []
        self._buffer_chunks: set[int] = set()
        self._buffer_rows = 0
        self._segment_clock = time.monotonic()  # when the current segment's period began
        self._counts_keys: tuple | None = None
        self.segments_written: list[Path] = []

    # -- locking, restart, run.json ------------------------------------------------------------------

    def _lock_path(self, index: int) -> Path:
        return self.directory / f".lock-{index:04d}"

    def _lock(self) -> None:
        path = self._lock_path(self.shard[0])
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"cannot write in {self.directory}: {_one_line(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UserError(
                f"shard {self.shard[0]} of {self.directory} is being written by another process"
            ) from None
        except OSError as exc:  # file system without flock: go on unlocked
            if exc.errno not in (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL):
                os.close(fd)
                raise
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            except OSError:
                pass
            os.close(self._lock_fd)
            self._lock_fd = None

    def _wipe(self) -> None:
        for entry in os.scandir(self.directory):
            m = _LOCK_RE.match(entry.name)
            if not m or int(m.group(1)) == self.shard[0]:
                continue
            fd = os.open(entry.path, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
            except BlockingIOError:
                raise UserError(
                    f"another process is writing {self.directory} (shard {int(m.group(1))}); "
                    f"stop it before --restart"
                ) from None
            except OSError:
                pass
            finally:
                os.close(fd)
        for entry in os.scandir(self.directory):
            if _SEGMENT_RE.match(entry.name) or _TMP_RE.match(entry.name) or entry.name == RUN_FILE:
                os.unlink(entry.path)
        _fsync_path(self.directory, directory=True)

    def _open_run(self) -> None:
        run_path = self.directory / RUN_FILE
        if run_path.exists():
            run = _read_run_json(self.directory)
            if run["card_hash"] != self._card_hash:
                raise UserError(
                    f"directory {self.directory} holds a run of a different card; "
                    f"use --restart or another --out"
                )
            self.run = run
            return
        if _segment_files(self.directory):
            raise UserError(
                f"directory {self.directory} holds segment files but no {RUN_FILE}; "
                f"use --restart or another --out"
            )
        run = {
            "format": "flavorscan-run",
            "format_version": FORMAT_VERSION,
            "card_hash": self._card_hash,
            "card": json.loads(self._card_json),
            "created_utc": _utc_now(),
            "planned_chunks": self.planned_chunks,
            "provenance": self._provenance,
        }
        _atomic_write_text(run_path, json.dumps(run, indent=1, sort_keys=True) + "\n")
        self.run = run

    def _remove_own_tmp(self) -> None:
        for entry in os.scandir(self.directory):
            m = _TMP_RE.match(entry.name)
            if m and int(m.group(1)) == self.shard[0]:
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass

    def _first_free_seq(self) -> int:
        top = -1
        for entry in os.scandir(self.directory):
            m = _SEGMENT_RE.match(entry.name) or _TMP_RE.match(entry.name)
            if m and int(m.group(1)) == self.shard[0]:
                top = max(top, int(m.group(2)))
        return top + 1

    def _scan_directory(self) -> None:
        """Read the chunk lists (and schema) of complete segments not seen before."""
        for path in _segment_files(self.directory):
            if path.name in self._seen:
                continue
            seg = _read_meta(path)
            if seg.attrs.get("card_hash") != self._card_hash:
                raise UserError(
                    f"{path} belongs to a run of a different card; use --restart or another --out"
                )
            if self._schema is None:
                self._schema, self._schema_on_disk = dict(seg.schema), True
            elif seg.schema != self._schema:
                raise UserError(
                    f"{path} has columns or dtypes different from the run's other segments; "
                    f"use --restart or another --out"
                )
            self._seen[path.name] = seg.chunks
            self._finished.update(seg.chunks.tolist())

    # -- public API ----------------------------------------------------------------------------------

    def finished_chunks(self) -> set[int]:
        """Chunk indices recorded by any shard in the directory's complete segments (rescanned on each
        call), plus those this writer holds in its buffer (written at the next flush)."""
        self._check_open()
        self._scan_directory()
        return self._finished | self._buffer_chunks

    def add_chunk(
        self,
        chunk_index: int,
        columns: Mapping[str, np.ndarray],
        counts: Mapping[str, int] | None = None,
    ) -> None:
        """Record chunk ``chunk_index`` as finished, with its kept rows ``columns`` ({name: 1-D array},
        all the same length, possibly zero; ``point_id`` int64 required). ``counts`` optionally holds
        integer statistics of the whole chunk (e.g. ``{"points": n, "pass_r_k": k, "viable": v}``),
        same keys for every chunk of this writer. Arrays are copied. Flushes when a threshold is
        reached. Raises ValueError on inconsistent input or a chunk already recorded."""
        self._check_open()
        if isinstance(chunk_index, (bool, np.bool_)) or not isinstance(chunk_index, (int, np.integer)):
            raise ValueError(f"chunk index must be an integer, got {chunk_index!r}")
        chunk_index = int(chunk_index)
        if chunk_index < 0:
            raise ValueError(f"chunk index must be >= 0, got {chunk_index}")
        if chunk_index in self._finished or chunk_index in self._buffer_chunks:
            raise ValueError(f"chunk {chunk_index} is already recorded in {self.directory}")
        if not isinstance(columns, Mapping) or not columns:
            raise ValueError("columns must be a non-empty dict of 1-D arrays")
        data: dict[str, np.ndarray] = {}
        length = None
        for name, values in columns.items():
            _check_name(name)
            arr = np.asarray(values)
            if arr.ndim != 1:
                raise ValueError(f"column {name!r} is not 1-D (shape {arr.shape})")
            if arr.dtype.kind not in _ALLOWED_KINDS:
                raise ValueError(f"column {name!r} has unsupported dtype {arr.dtype}")
            if length is None:
                length = arr.shape[0]
            elif arr.shape[0] != length:
                raise ValueError(f"column {name!r} has {arr.shape[0]} rows, others {length}")
            data[name] = np.array(arr, dtype=arr.dtype.newbyteorder("="), copy=True, order="C")
        if "point_id" not in data or data["point_id"].dtype != np.int64:
            raise ValueError("columns must include point_id (int64)")
        schema = {name: arr.dtype for name, arr in data.items()}
        if self._schema is None:
            self._schema, self._schema_on_disk = schema, False
        elif schema != self._schema:
            got = {k: str(v) for k, v in schema.items()}
            want = {k: str(v) for k, v in self._schema.items()}
            diff = sorted(set(got.items()) ^ set(want.items()))
            message = f"chunk {chunk_index}: columns/dtypes differ from the run's: {diff[:6]}"
            if self._schema_on_disk:
                raise UserError(f"{self.directory}: {message}; use --restart or another --out")
            raise ValueError(message)
        cdict = None
        if counts is not None or self._counts_keys is not None:
            cdict = {}
            for key, value in (counts or {}).items():
                _check_name(key)
                if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                    raise ValueError(f"counts[{key!r}] must be an integer, got {value!r}")
                cdict[key] = int(value)
            keys = tuple(sorted(cdict))
            if self._counts_keys is None and not self._buffer and not self.segments_written:
                self._counts_keys = keys
            if keys != self._counts_keys:
                raise ValueError(f"chunk {chunk_index}: counts keys {keys} differ from {self._counts_keys}")
        self._buffer.append((chunk_index, data, cdict))
        self._buffer_chunks.add(chunk_index)
        self._buffer_rows += int(length)
        if (
            self._buffer_rows >= self.rows_per_segment
            or time.monotonic() - self._segment_clock >= self.seconds_per_segment
        ):
            self.flush()

    def flush(self) -> Path | None:
        """Write the buffered chunks as one complete segment; returns its path (None if nothing was
        buffered)."""
        self._check_open()
        if not self._buffer:
            return None
        index, count = self.shard
        name = f"seg-{index:04d}-{self._next_seq:06d}.h5"
        self._next_seq += 1
        final = self.directory / name
        tmp = self.directory / (name + ".tmp")
        chunks = np.array([c for c, _, _ in self._buffer], dtype=np.int64)
        chunk_rows = np.array([len(d["point_id"]) for _, d, _ in self._buffer], dtype=np.int64)
        rows = int(chunk_rows.sum())
        data = {n: np.concatenate([d[n] for _, d, _ in self._buffer]) for n in self._schema}
        with _replacing(tmp, final):
            with _h5open(tmp, "w", libver="v108") as f:
                _set_common_attrs(
                    f, "flavorscan-segment", self._card_json, self._card_hash, self._schema,
                    self._provenance, self.planned_chunks,
                )
                f.attrs["shard"] = f"{index}/{count}"
                f.create_dataset("chunks", data=chunks)
                f.create_dataset("chunk_rows", data=chunk_rows)
                if self._counts_keys is not None:
                    g = f.create_group("counts")
                    for key in self._counts_keys:
                        g.create_dataset(key, data=np.array([cd[key] for _, _, cd in self._buffer], np.int64))
                _write_columns(f, self._schema, data, rows)
        _fsync_path(self.directory, directory=True)
        del data
        self._seen[name] = chunks
        self._finished.update(chunks.tolist())
        self._buffer = []
        self._buffer_chunks = set()
        self._buffer_rows = 0
        self._segment_clock = time.monotonic()
        self.segments_written.append(final)
        return final

    def close(self) -> None:
        """Flush and release the shard lock. Idempotent."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._unlock()

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Buffered chunks are complete even if the caller failed later: record them.
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"RunWriter for {self.directory} is closed")


# --------------------------------------------------------------------------------------------------
# load


def load(directory, columns: Iterable[str] | str | None = None) -> dict[str, np.ndarray]:
    """Columns of a run (directory) or merged file as {name: 1-D array}, rows sorted by ``point_id``
    (stable), hence independent of sharding and resume order. Chunks recorded twice are read once.
    ``columns``: names to return (default all, in stored order). A run without segments gives ``{}``.
    Bad paths, unreadable files, unknown columns: :class:`UserError`."""
    cat = _catalog(directory)
    schema = cat.schema()
    if not cat.segments or not schema:
        return {}
    if columns is None:
        names = list(schema)
    else:
        names = [columns] if isinstance(columns, str) else list(columns)
        unknown = [n for n in names if n not in schema]
        if unknown:
            raise UserError(f"no column {unknown[0]!r} in {cat.path} (columns: {', '.join(schema)})")
    read = names + (["point_id"] if "point_id" not in names else [])
    total = sum(seg.kept_rows for seg in cat.segments)
    out = {n: np.empty(total, dtype=schema[n]) for n in read}
    pos = 0
    for seg in cat.segments:
        if not seg.keep:
            continue
        try:
            with _h5open(seg.path, "r") as f:
                start = pos
                for name in read:
                    ds = f[name]
                    p = start
                    for a, b in seg.keep:
                        if b > a:
                            ds.read_direct(out[name], np.s_[a:b], np.s_[p : p + b - a])
                        p += b - a
                pos = p
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise UserError(f"cannot read {seg.path}: {_one_line(exc)}") from None
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
        raise UserError("load_dataframe needs pandas: pip install pandas") from None
    return pd.DataFrame(load(directory, columns))


# --------------------------------------------------------------------------------------------------
# info


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
    cat = _catalog(directory)
    schema = cat.schema()
    segs = cat.segments
    finished = set()
    for seg in segs:
        finished.update(seg.chunks.tolist())
    rows = sum(seg.kept_rows for seg in segs)

    run = _run_summary(cat)
    planned_chunks = run["planned_chunks"]
    complete = None  # counted, not compared with set(range(planned_chunks)): that is read from a file
    if planned_chunks is not None:
        complete = sum(1 for c in finished if c < planned_chunks) == planned_chunks

    flag_cols = [n for n in schema if n.startswith("pass_") and len(n) > 5]
    if "viable" in schema:
        flag_cols.append("viable")
    sums = {n: 0 for n in flag_cols}
    for seg in segs:
        if not seg.keep or not flag_cols:
            continue
        try:
            with _h5open(seg.path, "r") as f:
                for name in flag_cols:
                    ds = f[name]
                    for a, b in seg.keep:
                        sums[name] += int(np.count_nonzero(ds[a:b]))
        except (OSError, KeyError, ValueError) as exc:
            raise UserError(f"cannot read {seg.path}: {_one_line(exc)}") from None

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
    try:
        card = json.loads(card_json or "{}")
    except (ValueError, RecursionError):
        return {}
    return card if isinstance(card, dict) else {}


def format_info(summary: Mapping) -> str:
    """Human-readable text of an :func:`info` summary."""

    def pct(x):
        return "n/a" if x is None else f"{100 * x:.4g}%"

    lines = [f"run: {summary['path']}"]
    lines.append(f"card hash: {summary['card_hash']}")
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


# --------------------------------------------------------------------------------------------------
# merge


def _run_summary(cat: _Catalog) -> dict:
    """Run-level metadata of a catalog: card JSON and hash, provenance (run.json's, or the file's),
    provenance keys that differ between segments, shards, planned chunks."""
    segs = cat.segments
    if cat.run is not None:
        provenance = dict(cat.run.get("provenance") or {})
        chash = cat.run.get("card_hash") or ""
        card_json = canonical_json(cat.run.get("card", {}))
    elif segs:
        provenance = dict(segs[0].provenance)
        chash = _attr_str(segs[0].attrs.get("card_hash", ""))
        card_json = _attr_str(segs[0].attrs.get("card", "{}"))
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
            for key, vals in json.loads(_attr_str(seg.attrs["provenance_variants"])).items():
                variants.setdefault(key, vals)
        if "shard" in seg.attrs:
            shards.add(_attr_str(seg.attrs["shard"]))
        if "shards" in seg.attrs:
            shards.update(json.loads(_attr_str(seg.attrs["shards"])))
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


def _merged_meta(cat: _Catalog):
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
    summary = _run_summary(cat)
    _set_common_attrs(
        f, fmt, summary["card_json"], summary["card_hash"], schema, summary["provenance"],
        summary["planned_chunks"],
    )
    f.attrs["shards"] = json.dumps(summary["shards"])
    f.attrs["segments"] = len(cat.segments)
    f.attrs["provenance_variants"] = json.dumps(summary["provenance_variants"], sort_keys=True)
    chunks, rows, counts = _merged_meta(cat)
    f.create_dataset("chunks", data=chunks)
    f.create_dataset("chunk_rows", data=rows)
    if counts:
        g = f.create_group("counts")
        for key, arr in counts.items():
            g.create_dataset(key, data=arr)


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
    cat = _catalog(directory)
    schema = cat.schema()
    output = Path(output)
    if output.is_dir():
        raise UserError(f"{output} is a directory; give a file name")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {output.parent}: {_one_line(exc)}") from None
    target = output.resolve()
    if any(seg.path.resolve() == target for seg in cat.segments) or target == cat.path.resolve():
        raise UserError(f"{output} is one of the files being merged")
    reserved = (_SEGMENT_RE, _TMP_RE, _LOCK_RE, re.compile(r".*\.tmp$"))
    if cat.path.is_dir() and target.parent == cat.path.resolve() and (
            output.name == RUN_FILE or any(pattern.match(output.name) for pattern in reserved)):
        raise UserError(f"{output}: a name the run directory reserves for its own files; choose another name")
    tmp = output.with_name(output.name + ".tmp")
    with _replacing(tmp, output):
        if virtual:
            rows = _merge_virtual(cat, schema, tmp, output)
        else:
            rows = _merge_physical(cat, schema, tmp)
    if virtual:
        _read_meta(output)  # re-open the final file and re-check its sources
    return {"output": str(output), "rows": rows, "segments": len(cat.segments), "virtual": virtual}


def _merge_physical(cat: _Catalog, schema: dict, tmp: Path) -> int:
    segs = cat.segments
    total = sum(seg.kept_rows for seg in segs)

    # pass 1: point_id range of every kept, non-empty chunk (one segment's point_id in memory at a time)
    entries = []  # (min_pid, max_pid, chunk, segment index, a, b)
    for si, seg in enumerate(segs):
        if not seg.keep:
            continue
        try:
            with _h5open(seg.path, "r") as f:
                pid = f["point_id"][...]
        except (OSError, KeyError, ValueError) as exc:
            raise UserError(f"cannot read {seg.path}: {_one_line(exc)}") from None
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
            with _h5open(segs[si].path, "r") as f:
                data = {n: f[n][...] for n in schema}
        except (OSError, KeyError, ValueError) as exc:
            raise UserError(f"cannot read {segs[si].path}: {_one_line(exc)}") from None
        size = sum(a.nbytes for a in data.values())
        while cache and cache_bytes + size > MERGE_CACHE_BYTES:
            _, old = cache.popitem(last=False)
            cache_bytes -= sum(a.nbytes for a in old.values())
        cache[si] = data
        cache_bytes += size
        return data

    block = max(1, min(total, HDF5_CHUNK_ROWS))
    with _h5open(tmp, "w", libver="v108") as f:
        _write_merged_header(f, cat, "flavorscan-merged", schema)
        _write_columns(f, schema, None, total)
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


def _merge_virtual(cat: _Catalog, schema: dict, tmp: Path, output: Path) -> int:
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
    # what each mapped source holds now: reading the file later re-checks it (see _check_virtual_sources)
    fingerprints = {rel: _source_fingerprint(seg.attrs, seg.chunks, seg.chunk_rows) for seg, rel, *_ in mappings}
    with _h5open(tmp, "w", libver="v110") as f:
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
    _read_meta(tmp)
    if not mappings:
        return total
    with _h5open(tmp, "r") as f:
        ds = f["point_id"]
        for seg, rel, a, b, p in mappings:
            with _h5open(seg.path, "r") as g:
                expect = g["point_id"][a:b]
            if not np.array_equal(ds[p : p + b - a], expect):
                raise UserError(f"virtual dataset file {output}: rows of {seg.path} do not read back")
    return total
