"""Test-wide settings: float64 everywhere, as in production."""

import jax

jax.config.update("jax_enable_x64", True)
