"""flavorscan physics kernels: pure JAX functions of one parameter point.

Every function here is side-effect free, works in float64 (or whatever dtype its inputs carry) and is
jit/vmap/grad-able. Batching, devices, files and randomness belong to :mod:`scanner`.
"""
