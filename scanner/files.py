"""Reading files that may be hostile: only regular files, sizes bounded before reading, no hang on a FIFO.

A path is opened with ``O_NONBLOCK`` (a FIFO then opens at once instead of waiting for a writer) and, where
asked, ``O_NOFOLLOW`` (a symbolic link is refused); what was opened is checked with ``fstat`` to be a regular
file no larger than the bound before a byte is read. Every failure is a one-line
:class:`~flavorscan.scanner.errors.UserError`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from flavorscan.scanner.errors import UserError


def _open_regular(path: Path, what: str, follow_symlinks: bool) -> tuple[int, os.stat_result]:
    """(descriptor, fstat) of ``path`` opened read-only with O_NONBLOCK (and O_NOFOLLOW unless
    ``follow_symlinks``), if it is a regular file; anything else is a one-line UserError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a {what}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(f"{path}: is a symbolic link (a {what} must be a regular file)") from None
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{path}: is a directory, expected a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{path}: not a regular file (a {what} must be one)")
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def regular_file_stat(path, what: str = "file", follow_symlinks: bool = True) -> os.stat_result:
    """The fstat of ``path`` if it is a regular file (checked on a descriptor opened with O_NONBLOCK, so a
    FIFO does not block; a symbolic link is refused unless ``follow_symlinks``), else a one-line UserError.
    For files another library opens by name afterwards (HDF5): compare st_dev and st_ino after its open."""
    fd, info = _open_regular(Path(path), what, follow_symlinks)
    os.close(fd)
    return info


def read_regular_file(path, max_bytes: int, what: str = "file", follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else is a one-line UserError."""
    path = Path(path)
    fd, info = _open_regular(path, what, follow_symlinks)
    try:
        if info.st_size > max_bytes:
            raise UserError(f"{path}: {info.st_size} bytes, more than the {max_bytes} a {what} may have")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:  # the file grew while being read
                raise UserError(f"{path}: more than the {max_bytes} bytes a {what} may have")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)


def check_output_path(path, what: str = "output") -> Path:
    """An output path may be new or an existing regular file (replaced); a directory, a device, a FIFO, a
    socket or a symbolic link is refused (writing there would replace or feed something that is not ours)."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise UserError(f"{path}: cannot use as {what} ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise UserError(f"{path}: is a symbolic link; give the {what} path itself")
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise UserError(f"{path}: is {kind}; the {what} must be a new or a regular file")
    return path


def write_regular_file(path, text: str, what: str = "output") -> None:
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, then a rename), refusing
    anything but a new or regular file (:func:`check_output_path`)."""
    path = check_output_path(path, what)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise UserError(f"{path}: cannot write ({exc.strerror or exc})") from None
