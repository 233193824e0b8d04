"""The flavorscan version (one place: the package, its provenance records and the wheel read it here)."""

__version__ = "0.2.0"
