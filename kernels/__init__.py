"""flavorscan physics kernels: pure JAX functions of one parameter point.

Every function here is side-effect free, works in float64 (or whatever dtype its inputs carry) and is
jit/vmap/grad-able. Batching, devices, files and randomness belong to :mod:`flavorscan.scanner`.

Importing the kernels switches on JAX's 64-bit mode: the physics is float64 by contract, and this package is
what every computation imports, while the file-only parts of flavorscan (reading runs, merging, plotting)
never import JAX. Set ``FLAVORSCAN_X64=0`` before the first import to opt out (float32 benchmarks only).
"""

import os

import jax

if os.environ.get("FLAVORSCAN_X64", "1") != "0":
    jax.config.update("jax_enable_x64", True)
