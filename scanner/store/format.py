"""The on-disk format of a scan's HDF5 storage, and the helpers the store modules share to read and write it.

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
  such, anything else as a JSON string). Recommended provenance keys are
  :data:`flavorscan.scanner.provenance.PROVENANCE_KEYS`; :func:`flavorscan.scanner.provenance.provenance`
  fills the versions, git commit, devices and dtype, the commands add seed and measurements (the store
  itself never shells out, e.g. for the git commit).

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
import hashlib
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from flavorscan.scanner.errors import UserError

FORMAT_VERSION = 1
RUN_FILE = "run.json"
DEFAULT_ROWS_PER_SEGMENT = 262_144
DEFAULT_SECONDS_PER_SEGMENT = 120.0
HDF5_CHUNK_ROWS = 65_536  # rows per HDF5 chunk of a column (and per write block of a merge)
GZIP_LEVEL = 1
MERGE_CACHE_BYTES = 256 * 2**20  # decoded segments a physical merge keeps in memory

SEGMENT_RE = re.compile(r"^seg-(\d{4,})-(\d{6,})\.h5$")
TMP_RE = re.compile(r"^seg-(\d{4,})-(\d{6,})\.h5\.tmp$")
LOCK_RE = re.compile(r"^\.lock-(\d{4,})$")
_SHARD_RE = re.compile(r"^(\d+)/(\d+)$")
META_DATASETS = ("chunks", "chunk_rows", "counts")
RESERVED_ATTRS = (
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
FORMATS = ("flavorscan-segment", "flavorscan-merged", "flavorscan-virtual")
ALLOWED_KINDS = "biuf"  # bool, signed int, unsigned int, float


# --------------------------------------------------------------------------------------------------
# canonical JSON, hashing


def jsonable(obj: Any, where: str = "card") -> Any:
    """Plain JSON types from a card/provenance value (numpy scalars/arrays, tuples, dates converted)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return [jsonable(x, where) for x in obj.tolist()]
    if isinstance(obj, Mapping):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {key!r} is not a string")
            out[key] = jsonable(value, f"{where}.{key}")
        return out
    if isinstance(obj, (list, tuple)):
        return [jsonable(x, where) for x in obj]
    if isinstance(obj, (datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise ValueError(f"{where}: value of type {type(obj).__name__} cannot be stored as JSON")


def canonical_json(obj: Any) -> str:
    """Canonical JSON text of ``obj``: sorted keys, no whitespace, shortest float repr.

    Non-finite floats are written as ``NaN``/``Infinity`` (Python's json extension)."""
    return json.dumps(jsonable(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def card_hash(identity: Mapping) -> str:
    """sha256 hex digest of :func:`canonical_json` of ``identity``."""
    return hashlib.sha256(canonical_json(identity).encode("utf-8")).hexdigest()


def first_difference(stored, new, path: str = "") -> str | None:
    """The first place where two JSON-like values differ, as ``a.b[2]: <stored> there, <new> here``
    (values shortened), or None if they are equal. Keys are visited in sorted order."""
    where = path or "card"
    if isinstance(stored, dict) and isinstance(new, dict):
        for key in sorted(set(stored) | set(new), key=str):
            if key not in stored or key not in new:
                side = "only here" if key not in stored else "only there"
                return f"{path + '.' if path else ''}{key}: {side}"
            found = first_difference(stored[key], new[key], f"{path + '.' if path else ''}{key}")
            if found:
                return found
        return None
    if isinstance(stored, list) and isinstance(new, list):
        for index, (a, b) in enumerate(zip(stored, new)):
            label = a.get("name", index) if isinstance(a, dict) else index
            found = first_difference(a, b, f"{where}[{label}]")
            if found:
                return found
        if len(stored) != len(new):
            return f"{where}: {len(stored)} entries there, {len(new)} here"
        return None
    if stored != new:
        def short(value):
            text = json.dumps(value)
            return text if len(text) <= 40 else text[:37] + "..."
        return f"{where}: {short(stored)} there, {short(new)} here"
    return None


def source_fingerprint(attrs: Mapping, chunks: np.ndarray, chunk_rows: np.ndarray) -> str:
    """sha256 of a source file's root attributes and chunk lists: recorded per source in a virtual
    file, so a source rewritten since the merge (restart, other code, other chunks) is noticed."""
    h = hashlib.sha256(canonical_json(dict(attrs)).encode("utf-8"))
    h.update(np.ascontiguousarray(chunks, dtype="<i8").tobytes())
    h.update(b"|")
    h.update(np.ascontiguousarray(chunk_rows, dtype="<i8").tobytes())
    return h.hexdigest()


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def one_line(exc: BaseException) -> str:
    """First line of an exception's message (its type name if it has none), for a one-line UserError."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------
# small file helpers


def fsync_path(path: Path, directory: bool = False) -> None:
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
def replacing(tmp: Path, final: Path):
    """Write to ``tmp`` inside the block; on success fsync it and rename it onto ``final`` atomically, on
    any failure (including a KeyboardInterrupt) remove it, so readers see either nothing or a whole file."""
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    # a unique temporary name created like any file (mode 0666 & ~umask, as the segments): tempfile.mkstemp
    # would make run.json 0600 and unreadable to collaborators sharing the run directory
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
    with replacing(tmp, path):
        with open(tmp, "x", encoding="utf-8") as handle:
            handle.write(text)
    fsync_path(path.parent, directory=True)


def h5open(path, mode="r", **kwargs):
    """h5py.File without HDF5's own file locking (segments are immutable once renamed; HDF5 locking
    fails on some network file systems). Falls back where the HDF5 build lacks the option."""
    import h5py

    try:
        return h5py.File(path, mode, locking=False, **kwargs)
    except TypeError:  # pragma: no cover - old h5py
        return h5py.File(path, mode, **kwargs)


# --------------------------------------------------------------------------------------------------
# writing: columns and root attributes of every flavorscan file


def write_columns(f, schema: Mapping[str, np.dtype], data: Mapping[str, np.ndarray], rows: int) -> None:
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


def set_common_attrs(f, fmt, card_json, chash, columns, provenance, planned) -> None:
    f.attrs["format"] = fmt
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["card"] = card_json
    f.attrs["card_hash"] = chash
    f.attrs["columns"] = json.dumps(list(columns))
    f.attrs["created_utc"] = utc_now()
    if planned is not None:
        f.attrs["planned_chunks"] = int(planned)
    f.attrs["provenance"] = json.dumps(provenance, sort_keys=True)
    for key, value in provenance.items():
        if key in RESERVED_ATTRS:
            continue
        if value is None:
            continue
        if isinstance(value, (bool, int, float, str)):
            f.attrs[key] = value
        else:
            f.attrs[key] = json.dumps(value, sort_keys=True)


# --------------------------------------------------------------------------------------------------
# reading: attributes and metadata values, checked


def attr_str(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def attr_value(value):
    """Python value of an HDF5 attribute (numpy scalars unwrapped, bytes decoded)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [attr_value(x) for x in value.tolist()]
    return value


# Files are data: every value read from run.json or an HDF5 attribute is checked before use; the checks
# raise ValueError, which the readers turn into a one-line UserError naming the file.


_INT64_MAX = 2**63 - 1


def meta_int(value, what: str, minimum: int = 0) -> int:
    """``value`` as an int if it is an integer (not a bool, not a float) >= ``minimum``, else ValueError."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum
            or value > _INT64_MAX):
        raise ValueError(f"{what} is {value!r}, expected an integer in [{minimum}, 2^63)")
    return int(value)


def meta_json(value, what: str, kind: type):
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


def check_attrs(attrs: dict) -> None:
    """Types and ranges of a flavorscan file's root attributes (as :func:`attr_value` gives them)."""
    meta_int(attrs.get("format_version", 0), "attribute format_version")
    if not isinstance(attrs.get("card_hash"), str):
        raise ValueError("attribute card_hash is missing or not a string")
    if not isinstance(attrs.get("card", ""), str):
        raise ValueError("attribute card is not a string")
    if attrs.get("planned_chunks") is not None:
        meta_int(attrs["planned_chunks"], "attribute planned_chunks")
    if "segments" in attrs:
        meta_int(attrs["segments"], "attribute segments")
    if "shard" in attrs:
        _meta_shard(attrs["shard"], "attribute shard")
    if "shards" in attrs:
        for shard in meta_json(attrs["shards"], "attribute shards", list):
            _meta_shard(shard, "an entry of attribute shards")
    if "provenance_variants" in attrs:
        variants = meta_json(attrs["provenance_variants"], "attribute provenance_variants", dict)
        if not all(isinstance(v, list) for v in variants.values()):
            raise ValueError("attribute provenance_variants: values are not lists")


def check_version(path: Path, version: int) -> None:
    """UserError if ``path`` (run.json or an HDF5 file) was written by a newer flavorscan."""
    if version > FORMAT_VERSION:
        raise UserError(f"{path} has format version {version}; this flavorscan reads up to {FORMAT_VERSION}")
