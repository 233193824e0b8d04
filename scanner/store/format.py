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
  (``min(rows, 65536)``; ``(1,)`` and resizable when empty), gzip (level 1) + shuffle + fletcher32 checksum
  (files written before the checksums stay readable); dtypes as given (float64 / int64 / int8 / bool / other
  numeric). ``point_id`` (int64) is required.
- ``/chunks`` (int64, one entry per chunk covered, zero-row chunks included, no chunk twice) and
  ``/chunk_rows`` (int64, rows each chunk kept). Rows are stored chunk after chunk in ``/chunks`` order, so
  the rows of ``chunks[j]`` are ``sum(chunk_rows[:j]) : sum(chunk_rows[:j+1])``.
- optional group ``/counts`` with one int64 dataset per key of the ``counts`` given to
  :meth:`RunWriter.add_chunk` (aligned with ``/chunks``), e.g. points evaluated and passes per
  constraint over all evaluated points, not only the kept rows. If a ``points`` count is recorded, no
  count and no ``chunk_rows`` entry of a chunk exceeds its ``points``.
- every object is a dataset or group stored in the file itself: no soft or external links, no external
  storage, no virtual datasets (a reader refuses a segment that has any: it never reads outside the run
  directory).
- root attributes: ``format`` ("flavorscan-segment"), ``format_version`` (int), ``card`` (canonical JSON
  of the full resolved card), ``card_hash`` (sha256 hex of the canonical JSON of the identity dict),
  ``shard`` ("I/N"), ``columns`` (JSON list: column order), ``created_utc``, ``planned_chunks`` (only if
  known), ``provenance`` (JSON of the provenance dict) and one attribute per provenance key (scalars as
  such, anything else as a JSON string). Recommended provenance keys are
  :data:`flavorscan.scanner.provenance.PROVENANCE_KEYS`; :func:`flavorscan.scanner.provenance.provenance`
  fills the versions, git commit, devices and dtype, the commands add seed and measurements (the store
  itself never shells out, e.g. for the git commit).
- ``point_id_chunk_size`` (int, optional): written when the card has a ``scan.chunk_size`` S and every row
  of the segment has ``point_id // S`` equal to its chunk (the engine's chunk-major point ids).

Cross-checks on reading (a mismatch is a damaged file, a one-line :class:`UserError` from every reader and
from a resume): the ``chunk`` column (if stored) holds, row by row, the chunk ``/chunks`` and
``/chunk_rows`` assign to it (merged files: the same number of rows per chunk); with
``point_id_chunk_size`` S, ``point_id // S`` is that chunk; the counts rule above. Every reader also reads
the ``chunk`` and ``point_id`` columns, so their checksums are verified by every command, a resume included.
A segment writer builds the file in memory and writes it with plain system calls, so a full disk is a plain
``OSError`` (one line, nothing left behind), never an HDF5 library failure.

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
import stat
from pathlib import Path
from typing import Any, Iterable, Mapping

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
    "point_id_chunk_size",
)
FORMATS = ("flavorscan-segment", "flavorscan-merged", "flavorscan-virtual")
ALLOWED_KINDS = "biuf"  # bool, signed int, unsigned int, float
MAX_RUN_JSON_BYTES = 64 * 2**20  # run.json holds the resolved card (a card is at most 1 MiB): bounded before reading
MAX_JSON_DEPTH = 64  # a resolved card nests about 6 deep; deeper JSON (run.json, attributes) is refused
# A dataset may declare at most this many bytes per byte it stores (deflate compresses at most ~1032:1),
# plus SMALL_DATASET_BYTES: a small file declaring 10^11 rows is refused before anything is allocated.
MAX_DECLARED_RATIO = 2048
SMALL_DATASET_BYTES = 2**20
CORE_BLOCK_BYTES = 4 * 2**20  # growth step of the in-memory image of a segment being written


# --------------------------------------------------------------------------------------------------
# canonical JSON, hashing


def pass_columns(names: Iterable[str]) -> list[str]:
    """The ``pass_<constraint>`` columns among ``names``, in their order."""
    return [n for n in names if n.startswith("pass_") and len(n) > 5]


def viability_columns(names: Iterable[str]) -> list[str]:
    """The columns that decide whether a stored row is viable (all of them true): ``viable`` where it is
    stored, else every ``pass_<constraint>`` column (rows of a run written without the viable column)."""
    names = list(names)
    return ["viable"] if "viable" in names else pass_columns(names)


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


def json_too_deep(obj, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed JSON value nests lists/objects more than ``limit`` deep (checked without recursion)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def open_new_file(path: Path) -> int:
    """A file descriptor of ``path``, created for writing: it must not exist, a symbolic link there is not
    followed (a hostile link cannot redirect the write)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, 0o666)


def write_new_file(path: Path, data) -> None:
    """Create ``path`` (:func:`open_new_file`) holding ``data``, written with os.write and fsync'ed: a full
    disk or any other failure is a plain OSError."""
    fd = open_new_file(path)
    try:
        view = memoryview(data).cast("B")
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale(path: Path, what: str) -> None:
    """Remove a left-over temporary file at ``path`` (a regular file only: anything else there is refused,
    a symbolic link is never followed)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{path}: exists and is not a regular file; remove it to write the {what}")
    os.unlink(path)


class _LatchingFile:
    """A file object for h5py's ``fileobj`` driver writing to a descriptor with os.pwrite. The first write
    error (ENOSPC, EIO, ...) is recorded in ``error`` and later writes are dropped, while HDF5 is told that
    every write succeeded: HDF5 never sees a failed write, so it never ends up with a half-closed file (which
    made h5py crash with SIGSEGV on a full disk); the caller raises ``error`` once the file is closed."""

    def __init__(self, fd: int, name: str):
        self.fd = fd
        self.name = name
        self.pos = 0
        self.error: OSError | None = None

    def _latch(self, exc: OSError) -> None:
        if self.error is None:
            exc.filename = exc.filename or self.name
            self.error = exc

    def seek(self, offset, whence=0):
        if whence == 0:
            self.pos = offset
        elif whence == 1:
            self.pos += offset
        else:
            self.pos = os.fstat(self.fd).st_size + offset
        return self.pos

    def tell(self):
        return self.pos

    def read(self, size=-1):
        if size is None or size < 0:
            size = max(0, os.fstat(self.fd).st_size - self.pos)
        data = os.pread(self.fd, size, self.pos)
        self.pos += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(memoryview(buffer).cast("B")))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def write(self, data):
        view = memoryview(data).cast("B")
        size = len(view)
        if self.error is None:
            try:
                done = 0
                while done < size:
                    done += os.pwrite(self.fd, view[done:], self.pos + done)
            except OSError as exc:
                self._latch(exc)
        self.pos += size
        return size

    def truncate(self, size=None):
        size = self.pos if size is None else size
        if self.error is None:
            try:
                os.ftruncate(self.fd, size)
            except OSError as exc:
                self._latch(exc)
        return size

    def flush(self):
        pass


@contextlib.contextmanager
def creating_h5(path: Path, **kwargs):
    """A new HDF5 file at ``path`` (created exclusively, never through a symbolic link) for writing. HDF5
    writes through :class:`_LatchingFile`: a write error (a full disk) surfaces, after the file object is
    closed, as the OSError of the first failed write (the partial file stays for the caller to remove).
    The block yields ``(file, sink)``; ``sink.error`` tells a long writer to stop early."""
    import h5py

    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    try:
        sink = _LatchingFile(fd, str(path))
        with h5py.File(sink, "w", **kwargs) as f:
            yield f, sink
        if sink.error is None:
            try:
                os.fsync(fd)
            except OSError as exc:
                sink._latch(exc)
        if sink.error is not None:
            raise sink.error
    finally:
        os.close(fd)


def hdf5_image(build, **kwargs) -> bytes:
    """The bytes of an HDF5 file built in memory by ``build(f)`` (h5py's core driver without a backing
    store): no byte reaches a disk inside HDF5, so a full disk cannot leave HDF5 in a failed state."""
    import h5py

    with h5py.File(f"flavorscan-image-{secrets.token_hex(8)}.h5", "w", driver="core", backing_store=False,
                   block_size=CORE_BLOCK_BYTES, **kwargs) as f:
        build(f)
        f.flush()
        return f.id.get_file_image()


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
            fletcher32=True,
        )


def write_int_dataset(f, name: str, values) -> None:
    """A 1-D int64 metadata dataset (chunk lists, counts), with a fletcher32 checksum."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    rows = len(values)
    f.create_dataset(name, data=values, shape=(rows,), dtype=np.int64, chunks=(max(1, min(rows, HDF5_CHUNK_ROWS)),),
                     maxshape=(None,) if rows == 0 else (rows,), fletcher32=True)


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
    if json_too_deep(parsed):
        raise ValueError(f"{what} is nested more than {MAX_JSON_DEPTH} deep")
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
    if attrs.get("card"):
        meta_json(attrs["card"], "attribute card", dict)
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
