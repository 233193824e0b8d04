"""The record that names an observable: one vocabulary for HDF5 columns, JSON keys, cards and plots."""

from __future__ import annotations

from typing import NamedTuple


class Observable(NamedTuple):
    """Name (from docs/interface.md), unit and a one-line description."""

    name: str
    unit: str
    description: str
