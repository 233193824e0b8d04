"""The machine and versions a benchmark ran on (written into every benchmark result)."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def environment() -> dict:
    """Device, platform, CPU, Python/JAX/numpy versions, x64 mode and XLA flags of this process."""
    import jax
    import jaxlib
    import numpy

    devices = jax.local_devices()
    first = devices[0]
    return {
        "device": first.platform if first.platform == "cpu" else first.device_kind,
        "platform": first.platform,
        "devices": len(devices),
        "device_kinds": sorted({d.device_kind for d in devices}),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "jax_version": jax.__version__,
        "jaxlib_version": jaxlib.__version__,
        "numpy_version": numpy.__version__,
        "x64": bool(jax.config.jax_enable_x64),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
    }


def with_environment(result: dict, load_before) -> dict:
    """``result`` with the load average before/after and every environment key it does not have yet."""
    out = dict(result)
    out["load_average"] = [load_before, load_average()]
    for key, value in environment().items():
        out.setdefault(key, value)
    return out
