"""flavorscan scanner: cards, sampling, the vmapped engine, constraints, HDF5 storage, refinement, CLI.

This package imports no JAX by itself (``flavorscan --help`` and the file commands stay fast); the modules
that compute import :mod:`flavorscan.kernels`, which switches JAX to float64.
"""
