"""Export of a run's rows to files other tools read: Parquet (pyarrow), CSV and getdist chain files.

Rows and columns are those of :func:`flavorscan.scanner.store.load` (sorted by ``point_id``), read through the
same checked reader, so an export opens nothing that ``load`` would refuse. Every column of the format is a
real 1-D array of kind bool / int / uint / float (:data:`~flavorscan.scanner.store.format.ALLOWED_KINDS`; a
complex coupling is stored as two real columns ``NAME`` and ``NAME_im``), so no column needs reshaping.

Every output file is written to a temporary name in its target directory and renamed once complete: a
reader never sees half a file. An existing output is refused unless ``force``. docs/exports.md describes
the formats.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import secrets
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.store.format import fsync_path, one_line, open_new_file, replacing, viability_columns
from flavorscan.scanner.store.reader import catalog, load

EXTENSIONS = {"parquet": ".parquet", "csv": ".csv", "getdist": ""}
GETDIST_SUFFIXES = (".txt", ".paramnames")
PARQUET_HINT = 'pip install -e ".[export]"'
_GETDIST_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")
_BLOCK_ROWS = 65_536  # rows formatted at a time: bounds the memory of the text writers


def default_output(source, fmt: str) -> Path:
    """Where an export of ``source`` goes without ``-o``: beside the run directory (or merged file), named
    after it, e.g. ``runs/scan1`` -> ``runs/scan1.parquet``, ``merged.h5`` -> ``merged.csv``; for getdist
    the chain root ``runs/scan1`` (files ``runs/scan1.txt`` and ``runs/scan1.paramnames``)."""
    path = Path(os.path.abspath(source))
    stem = path.name if path.is_dir() else path.stem
    return path.with_name(stem + EXTENSIONS[fmt])


def output_files(output, fmt: str) -> list[Path]:
    """The files an export to ``output`` writes (getdist: ``output`` is the chain root)."""
    output = Path(output)
    if fmt == "getdist":
        return [output.with_name(output.name + suffix) for suffix in GETDIST_SUFFIXES]
    return [output]


def load_rows(source, columns: Sequence[str] | None = None, viable_only: bool = False) -> dict[str, np.ndarray]:
    """:func:`load` of ``columns`` (default all), keeping only viable rows if ``viable_only`` (every
    :func:`~flavorscan.scanner.store.format.viability_columns` true, as the plots select them)."""
    schema = catalog(source).schema()
    names = list(schema) if columns is None else list(columns)
    flags: list[str] = []
    if viable_only:
        flags = viability_columns(schema)
        if not flags:
            raise UserError(f"--viable-only: {source} has neither a viable column nor pass_<constraint> columns")
    data = load(source, names + [f for f in flags if f not in names])
    if not data:
        return {n: np.empty(0, dtype=schema.get(n, np.float64)) for n in names}
    if flags:
        keep = np.logical_and.reduce([data[f].astype(bool) for f in flags])
        data = {n: data[n][keep] for n in names}
    return {n: data[n] for n in names}


def text_values(values: np.ndarray) -> np.ndarray:
    """Column values as strings that read back exactly: numpy's shortest round-trip repr of floats (nan,
    inf, -inf as such), integers in full, bools as True/False."""
    return np.asarray(values).astype(str)


def check_free(paths: Iterable[Path], force: bool) -> None:
    """UserError if an output already exists (unless ``force``) or its directory does not."""
    for path in paths:
        if not path.parent.is_dir():
            raise UserError(f"{path.parent}: no such directory for the output {path.name}")
        if os.path.isdir(path):  # before the exists check: --force cannot replace a directory
            raise UserError(f"{path} is a directory; choose another output")
        if os.path.lexists(path) and not force:
            raise UserError(f"{path} exists; pass --force to overwrite it")


def write_atomic(path: Path, force: bool, write: Callable[[io.BufferedWriter], None]) -> None:
    """Run ``write(file)`` on a new temporary file beside ``path``, then rename it onto ``path``. The
    existence check is repeated just before the rename, so a file that appeared meanwhile is not replaced
    without ``force``."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    with replacing(tmp, path):
        with open(open_new_file(tmp), "wb") as f:
            write(f)
        if os.path.lexists(path) and not force:
            raise UserError(f"{path} exists; pass --force to overwrite it")
    fsync_path(path.parent, directory=True)


def write_parquet(data: Mapping[str, np.ndarray], path: Path, force: bool = False) -> None:
    """``data`` as one Parquet table (column types kept: float64 stays float64, int8 int8, bool bool)."""
    pa, pq = require_pyarrow()
    table = pa.table({name: pa.array(values) for name, values in data.items()})
    write_atomic(path, force, lambda f: pq.write_table(table, f))


def require_pyarrow():
    """(pyarrow, pyarrow.parquet), or a one-line UserError with the install command."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UserError(f"--format parquet needs pyarrow: {PARQUET_HINT}") from None
    return pa, pq


def _write_text(f, header: list[str] | None, columns: list[np.ndarray], delimiter: str) -> None:
    text = io.TextIOWrapper(f, encoding="utf-8", newline="")
    if header is not None:
        csv.writer(text, delimiter=delimiter, lineterminator="\n").writerow(header)  # quotes odd names
    rows = len(columns[0]) if columns else 0
    for start in range(0, rows, _BLOCK_ROWS):
        # Values never need quoting (numbers, True/False); joining Python strings is ~7x faster than csv.writer.
        block = [text_values(c[start:start + _BLOCK_ROWS]).tolist() for c in columns]
        text.write("".join(delimiter.join(row) + "\n" for row in zip(*block)))
    text.flush()
    text.detach()


def write_csv(data: Mapping[str, np.ndarray], path: Path, force: bool = False) -> None:
    """``data`` as CSV: a header of column names, one line per row (see :func:`text_values`)."""
    write_atomic(path, force, lambda f: _write_text(f, list(data), list(data.values()), ","))


def write_getdist(root: Path, params: Mapping[str, np.ndarray], labels: Mapping[str, str], derived: set,
                  minus_loglike: np.ndarray | None, force: bool = False) -> tuple[int, list[str]]:
    """getdist chain files ``ROOT.txt`` (columns: weight 1, -log-likelihood, then ``params`` in order) and
    ``ROOT.paramnames`` (``name<TAB>label``, a trailing ``*`` on the names in ``derived``). Without
    ``minus_loglike`` that column is 0. Rows with a non-finite value are left out (getdist reads numbers
    only), and so are columns with one value in every row left (getdist's density estimates fail on
    them); a UserError when no row or no column would be left (getdist cannot read such a chain).
    Returns (rows left out, names of the columns left out)."""
    bad = [n for n in params if not _GETDIST_NAME.match(n)]
    if bad:  # a name with spaces or line breaks (a hostile file) would corrupt ROOT.paramnames
        raise UserError(f"column {bad[0]!r} cannot be a getdist parameter name (letters, digits, _ . + - only)")
    rows = len(next(iter(params.values()))) if params else 0
    loglike = np.zeros(rows) if minus_loglike is None else np.asarray(minus_loglike, dtype=np.float64)
    values = {n: np.asarray(v, dtype=np.float64) for n, v in params.items()}  # bools become 0/1
    finite = np.logical_and.reduce([np.isfinite(c) for c in (loglike, *values.values())])
    values = {n: v[finite] for n, v in values.items()}
    if not finite.any():  # getdist cannot load a chain without rows: refuse rather than write one
        why = f"all {rows} rows have a non-finite value" if rows else "no rows were selected"
        raise UserError(f"nothing to write to {root}.txt (getdist cannot read an empty chain): {why}")
    constant = [n for n, v in values.items() if np.all(v == v[0])]
    kept = [n for n in values if n not in constant]
    if not kept:  # e.g. a single row: every column has one value, and getdist needs at least one parameter
        raise UserError(f"no column of {root} varies over the {int(finite.sum())} rows left; getdist needs one")
    columns = [np.ones(int(finite.sum())), loglike[finite]] + [values[n] for n in kept]
    txt, names = output_files(root, "getdist")
    lines = "".join(f"{n}{'*' if n in derived else ''}\t{labels.get(n, n)}\n" for n in kept)
    write_atomic(txt, force, lambda f: _write_text(f, None, columns, " "))
    write_atomic(names, force, lambda f: f.write(lines.encode("utf-8")))
    return int(rows - finite.sum()), constant


def getdist_label(text: str) -> str:
    """A getdist label (LaTeX math mode, no ``$``) from a mathtext label such as ``BR($\\mu\\to e\\gamma$)``:
    the parts outside ``$...$`` become upright text, so names and words are not set in math italics."""
    out = []
    for i, part in enumerate(_split_dollars(text)):
        if i % 2:
            out.append(part)
        elif part:
            out.append(r"\mathrm{" + part.replace("_", r"\_").replace(" ", r"\ ") + "}")
    return "".join(out)


def _split_dollars(text: str) -> list[str]:
    parts, start, i = [], 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "$":
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def export_table(source, output, fmt: str, columns: Sequence[str] | None = None, viable_only: bool = False,
                 force: bool = False) -> dict:
    """Write the rows of ``source`` (a run directory or merged file) as ``fmt`` ("parquet" or "csv") to
    ``output``: the columns of :func:`load` (``columns``, default all), rows sorted by ``point_id``, only the
    viable ones if ``viable_only``. Returns {"output", "rows", "columns"}."""
    output = Path(output)
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"export_table writes parquet or csv, not {fmt!r}")
    check_free([output], force)
    if fmt == "parquet":
        require_pyarrow()  # before reading the run: a missing pyarrow is reported at once
    data = load_rows(source, columns, viable_only)
    with writing(output):
        (write_parquet if fmt == "parquet" else write_csv)(data, output, force)
    rows = len(next(iter(data.values()))) if data else 0
    return {"output": str(output), "rows": rows, "columns": len(data)}


@contextlib.contextmanager
def writing(path: Path):
    """A write failure (full disk, no permission) as a one-line UserError naming the output."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"cannot write {path}: {one_line(exc)}") from None
