"""One module per CLI command; each defines ``register(subparsers)`` and ``run(args) -> int``.

Command modules import heavy dependencies (jax, h5py, matplotlib) inside ``run`` so that
``flavorscan --help`` and argument errors stay fast.
"""


def require_float64(command: str) -> None:
    """Stored results are float64 (their int64 point_id too): refuse to write them with JAX's x64 mode off."""
    import jax

    import flavorscan.kernels  # noqa: F401  (sets the x64 mode from FLAVORSCAN_X64)
    from flavorscan.scanner.errors import UserError

    if not jax.config.jax_enable_x64:
        raise UserError(f"flavorscan {command}: needs float64 (FLAVORSCAN_X64=0 is for `flavorscan bench --dtype float32` only)")


def output_path(text: str) -> str:
    """argparse type of the options naming an output: an empty value (an unset shell variable in a job script)
    is refused rather than read as the current directory, where it would write a run or a report."""
    import argparse

    if not text.strip():
        raise argparse.ArgumentTypeError("empty path (an unset shell variable?)")
    return text
