"""HDF5 storage of a scan: crash-safe per-process segment files, resume manifest, load, info, merge.

The file format (run directory, segment files, card identity, concurrency) is described in
:mod:`flavorscan.scanner.store.format`. Modules: ``format`` (the on-disk format and shared helpers),
``writer`` (:class:`RunWriter`), ``reader`` (run.json, segment metadata, :func:`load`), ``summary``
(:func:`info`, :func:`format_info`) and ``merging`` (:func:`merge`). This package imports no JAX.
"""

from flavorscan.scanner.store.format import (
    DEFAULT_ROWS_PER_SEGMENT,
    DEFAULT_SECONDS_PER_SEGMENT,
    FORMAT_VERSION,
    RUN_FILE,
    canonical_json,
    card_hash,
)
from flavorscan.scanner.store.merging import merge
from flavorscan.scanner.store.reader import load, load_dataframe, read_run_json
from flavorscan.scanner.store.summary import format_info, info
from flavorscan.scanner.store.writer import RunWriter

__all__ = [
    "DEFAULT_ROWS_PER_SEGMENT",
    "DEFAULT_SECONDS_PER_SEGMENT",
    "FORMAT_VERSION",
    "RUN_FILE",
    "RunWriter",
    "canonical_json",
    "card_hash",
    "format_info",
    "info",
    "load",
    "load_dataframe",
    "merge",
    "read_run_json",
]
