"""flavorscan scanner: cards, sampling, the vmapped engine, constraints, HDF5 storage, refinement, CLI.

float64 is the default everywhere: importing the scanner enables JAX's 64-bit mode (set
``FLAVORSCAN_X64=0`` before import to opt out, e.g. for float32 benchmarks on a GPU).
"""

import os

import jax

if os.environ.get("FLAVORSCAN_X64", "1") != "0":
    jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

from scanner.store import load, load_dataframe  # noqa: E402  (after the x64 switch)

__all__ = ["load", "load_dataframe", "__version__"]
