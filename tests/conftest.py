"""Test-wide settings: float64 everywhere, as in production; the environment of CLI subprocesses."""

import os

import jax
import pytest

jax.config.update("jax_enable_x64", True)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Environment for `python -m flavorscan` subprocesses: CPU only, one host device, and a persistent
    JAX compilation cache shared by the module's subprocesses so each kernel compiles once."""
    cache = tmp_path_factory.mktemp("jax-cache")
    environment = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(cache),
                       JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0", JAX_PLATFORMS="cpu")
    environment.pop("XLA_FLAGS", None)
    return environment
