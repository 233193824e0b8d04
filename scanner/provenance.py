"""The provenance written into every output (run segments, refinements, discoveries, benchmarks' context).

:func:`provenance` is the one place that records where a result came from: flavorscan, JAX and Python
versions, the git commit of the source tree (when it is a checkout), the devices and the float dtype.
Commands add their own run keys (seed, measurement set, likelihood hash) to it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROVENANCE_KEYS = (
    "flavorscan_version",
    "git_commit",
    "jax_version",
    "jaxlib_version",
    "devices",
    "dtype",
    "seed",
    "measurements",
)
"""Keys every run segment carries (``flavorscan info`` and the report show them)."""


def git_commit() -> str:
    """HEAD of the checkout flavorscan runs from, or "unknown" (an installed wheel, no git)."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def provenance() -> dict:
    """Versions, git commit, devices and dtype of this process (imports JAX)."""
    import jax
    import jaxlib

    from flavorscan.version import __version__

    return {
        "flavorscan_version": __version__,
        "git_commit": git_commit(),
        "jax_version": jax.__version__,
        "jaxlib_version": jaxlib.__version__,
        "devices": ", ".join(str(d) for d in jax.local_devices()),
        "dtype": "float64" if jax.config.jax_enable_x64 else "float32",
        "python": sys.version.split()[0],
    }
