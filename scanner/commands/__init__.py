"""One module per CLI command; each defines ``register(subparsers)`` and ``run(args) -> int``.

Command modules import heavy dependencies (jax, h5py, matplotlib) inside ``run`` so that
``flavorscan --help`` and argument errors stay fast.
"""
