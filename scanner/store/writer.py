"""Writing a run: :class:`RunWriter`, one shard's crash-safe segment files (see
:mod:`flavorscan.scanner.store.format` for the layout, the locking and the card identity)."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import stat
import time
from pathlib import Path
from typing import Mapping

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.store.format import (
    ALLOWED_KINDS,
    DEFAULT_ROWS_PER_SEGMENT,
    DEFAULT_SECONDS_PER_SEGMENT,
    FORMAT_VERSION,
    LOCK_RE,
    META_DATASETS,
    RESERVED_ATTRS,
    RUN_FILE,
    SEGMENT_RE,
    TMP_RE,
    canonical_json,
    card_hash,
    first_difference,
    fsync_path,
    hdf5_image,
    jsonable,
    one_line,
    remove_stale,
    replacing,
    set_common_attrs,
    utc_now,
    write_columns,
    write_int_dataset,
    write_new_file,
)
from flavorscan.scanner.store.reader import read_meta, read_run_json, segment_files


def _check_name(name) -> str:
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(f"invalid column name {name!r}")
    if name in META_DATASETS:
        raise ValueError(f"column name {name!r} is reserved")
    return name


class RunWriter:
    """Writes one shard's finished chunks of a run into crash-safe segment files in ``directory``.

    Parameters
    ----------
    directory:
        run directory, created if needed.
    card:
        the full resolved card (JSON-able dict); stored in ``run.json`` (at creation) and in every segment.
    provenance:
        dict of scalars / lists / dicts recorded with every segment (see
        :data:`flavorscan.scanner.provenance.PROVENANCE_KEYS`, :func:`flavorscan.scanner.provenance.provenance`).
        Keys may not shadow format attributes (``shard``, ``card``, ...).
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
        self._card = card
        self._failed: str | None = None
        self._card_json = canonical_json(card)
        self._card_hash = card_hash(card if identity is None else identity)
        prov = jsonable(dict(provenance or {}), "provenance")
        clash = sorted(set(prov) & set(RESERVED_ATTRS))
        if clash:
            raise ValueError(f"provenance keys {clash} are reserved")
        self._provenance = prov

        if self.directory.exists() and not self.directory.is_dir():
            raise UserError(f"{self.directory} exists and is not a directory")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create {self.directory}: {one_line(exc)}") from None

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
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise UserError(f"cannot write in {self.directory}: {path.name}: {one_line(exc)}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UserError(f"{path}: not a regular file (the lock file of shard {self.shard[0]})")
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
            m = LOCK_RE.match(entry.name)
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
            if SEGMENT_RE.match(entry.name) or TMP_RE.match(entry.name) or entry.name == RUN_FILE:
                os.unlink(entry.path)
        fsync_path(self.directory, directory=True)

    def _open_run(self) -> None:
        run_path = self.directory / RUN_FILE
        if os.path.lexists(run_path):
            self._join_run(read_run_json(self.directory))
            return
        if segment_files(self.directory):
            if os.path.lexists(run_path):  # created meanwhile by a process started at the same moment
                self._join_run(read_run_json(self.directory))
                return
            raise UserError(
                f"directory {self.directory} holds segment files but no {RUN_FILE}; "
                f"use --restart or another --out"
            )
        run = {
            "format": "flavorscan-run",
            "format_version": FORMAT_VERSION,
            "card_hash": self._card_hash,
            "card": json.loads(self._card_json),
            "created_utc": utc_now(),
            "planned_chunks": self.planned_chunks,
            "provenance": self._provenance,
        }
        # Exclusive create: the complete file is written under a unique name, fsync'ed, then hard-linked to
        # run.json, which fails if run.json exists. Two processes creating one run directory at the same
        # instant (two shards started together): one creates run.json, the other reads it and compares
        # card hashes. (Where hard links are not supported: O_CREAT | O_EXCL on run.json, then write.)
        text = json.dumps(run, indent=1, sort_keys=True) + "\n"
        if self._create_exclusively(run_path, text.encode("utf-8")):
            self.run = run
        else:
            self._join_run(read_run_json(self.directory))

    def _create_exclusively(self, run_path: Path, data: bytes) -> bool:
        """Create run.json holding ``data`` unless it exists (then False); atomic for readers."""
        tmp = self.directory / f".{RUN_FILE}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
        try:
            write_new_file(tmp, data)
            try:
                os.link(tmp, run_path, follow_symlinks=False)
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK, errno.EXDEV):
                    raise
                try:  # no hard links here: create run.json exclusively and write it in place
                    write_new_file(run_path, data)
                except FileExistsError:
                    return False
            fsync_path(self.directory, directory=True)
            return True
        except OSError as exc:
            raise UserError(f"cannot write {run_path}: {exc.strerror or one_line(exc)}") from None
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def _join_run(self, run: dict) -> None:
        """Open the existing run ``run`` (run.json's content): refused unless its card hash is ours."""
        if run["card_hash"] != self._card_hash:
            change = first_difference(run.get("card"), json.loads(self._card_json))
            detail = f" ({change})" if change else ""
            raise UserError(
                f"directory {self.directory} holds a run of a different card{detail}; "
                f"use --restart or another --out"
            )
        self.run = run

    def _remove_own_tmp(self) -> None:
        for entry in os.scandir(self.directory):
            m = TMP_RE.match(entry.name)
            if m and int(m.group(1)) == self.shard[0]:
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass

    def _first_free_seq(self) -> int:
        top = -1
        for entry in os.scandir(self.directory):
            m = SEGMENT_RE.match(entry.name) or TMP_RE.match(entry.name)
            if m and int(m.group(1)) == self.shard[0]:
                top = max(top, int(m.group(2)))
        return top + 1

    def _scan_directory(self) -> None:
        """Read the chunk lists (and schema) of complete segments not seen before."""
        for path in segment_files(self.directory):
            if path.name in self._seen:
                continue
            try:
                seg = read_meta(path, in_directory=True)
            except UserError as exc:
                # never resume on top of a damaged segment: its chunks would count as finished
                raise UserError(f"{exc}; move the file out of the run directory to recompute its chunks, "
                                f"or use --restart") from None
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
            if arr.dtype.kind not in ALLOWED_KINDS:
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
        buffered). The segment is built in memory (HDF5's core driver) and written with os.write into
        ``<name>.tmp``, fsync'ed and renamed: a full disk is a one-line :class:`UserError`, leaves no
        ``.tmp`` behind and every segment written before intact (the buffered chunks are recomputed on
        resume; the writer then refuses to write more)."""
        self._check_open()
        if not self._buffer:
            return None
        if self._failed is not None:
            raise UserError(self._failed)
        index, count = self.shard
        name = f"seg-{index:04d}-{self._next_seq:06d}.h5"
        self._next_seq += 1
        final = self.directory / name
        tmp = self.directory / (name + ".tmp")
        chunks = np.array([c for c, _, _ in self._buffer], dtype=np.int64)
        chunk_rows = np.array([len(d["point_id"]) for _, d, _ in self._buffer], dtype=np.int64)
        rows = int(chunk_rows.sum())
        data = {n: np.concatenate([d[n] for _, d, _ in self._buffer]) for n in self._schema}
        chunk_size = self._chunk_major(data["point_id"], chunks, chunk_rows)

        def build(f):
            set_common_attrs(
                f, "flavorscan-segment", self._card_json, self._card_hash, self._schema,
                self._provenance, self.planned_chunks,
            )
            f.attrs["shard"] = f"{index}/{count}"
            if chunk_size is not None:
                f.attrs["point_id_chunk_size"] = chunk_size
            write_int_dataset(f, "chunks", chunks)
            write_int_dataset(f, "chunk_rows", chunk_rows)
            if self._counts_keys is not None:
                g = f.create_group("counts")
                for key in self._counts_keys:
                    write_int_dataset(g, key, [cd[key] for _, _, cd in self._buffer])
            write_columns(f, self._schema, data, rows)

        image = hdf5_image(build, libver="v108")
        del data
        try:
            remove_stale(tmp, "segment")
            with replacing(tmp, final):
                write_new_file(tmp, image)
            fsync_path(self.directory, directory=True)
        except OSError as exc:
            self._failed = (f"cannot write {final}: {exc.strerror or one_line(exc)}; the segments written before "
                            f"are intact, the chunks of this one are recomputed on resume")
            raise UserError(self._failed) from None
        del image
        self._seen[name] = chunks
        self._finished.update(chunks.tolist())
        self._buffer = []
        self._buffer_chunks = set()
        self._buffer_rows = 0
        self._segment_clock = time.monotonic()
        self.segments_written.append(final)
        return final

    def _chunk_major(self, point_id: np.ndarray, chunks: np.ndarray, chunk_rows: np.ndarray) -> int | None:
        """The card's scan.chunk_size S if every buffered row has point_id // S equal to its chunk (recorded
        as ``point_id_chunk_size`` and checked by readers), else None."""
        scan = self._card.get("scan") if isinstance(self._card, Mapping) else None
        size = scan.get("chunk_size") if isinstance(scan, Mapping) else None
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size < 2**62:
            return None
        owner = np.repeat(chunks, chunk_rows)
        if not np.array_equal(point_id // int(size), owner):
            return None
        return int(size)

    def close(self) -> None:
        """Flush and release the shard lock. Idempotent."""
        if self._closed:
            return
        try:
            if self._failed is None:  # after a failed write (full disk) nothing more is written
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
