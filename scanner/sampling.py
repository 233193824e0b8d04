"""Random numbers of a scan and the [scan] keys every model shares.

Randomness has one source: the card's seed. Chunk c of a scan uses ``fold_in(PRNGKey(seed), c)`` and every
model's sampler draws every quantity of the chunk's points from that key (each quantity from its own
``fold_in(chunk key, k)`` with a fixed k), so a point depends only on (seed, chunk index, index in chunk) —
never on device count, sharding or resumption.

The engine keys of [scan] (n, chunk_size, seed, keep, best_per_chunk) are resolved here; each model resolves
its own keys (:mod:`flavorscan.scanner.models`).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from flavorscan.scanner.cardkeys import CardKey, choice, echo, integer, pair, reject_unknown, required, table
from flavorscan.scanner.errors import UserError

KEEP_CHOICES = ("viable", "all")
PRIORS = ("uniform", "log")
MAX_CHUNK = 1 << 22
MAX_CHUNKS = 1 << 32
"""fold_in takes the chunk index as uint32: chunk 2^32 would repeat chunk 0's random numbers."""
MAX_POINTS = 1 << 53
"""point_id stays exact in float64 (and far inside int64)."""


def check_scan_size(n: int, chunk_size: int, where: str) -> None:
    """n points in chunks of chunk_size must have distinct chunk keys and exact point ids."""
    if n > MAX_POINTS:
        raise UserError(f"{where}: at most 2^53 points, got {echo(n)}")
    if -(-n // chunk_size) > MAX_CHUNKS:
        raise UserError(f"{where}: n / chunk_size is more than 2^32 chunks (chunk keys would repeat); raise chunk_size")


ENGINE_KEYS = (
    CardKey("n", "int", "required", "total number of points (models with a grid may default it)"),
    CardKey("chunk_size", "int", "min(8192, n)", "points per chunk: one compiled kernel shape; point_id = chunk x chunk_size + index"),
    CardKey("seed", "int", 0, "master seed: chunk c draws from fold_in(PRNGKey(seed), c)"),
    CardKey("keep", "string", "viable", "which rows are stored: \"viable\" or \"all\""),
    CardKey("best_per_chunk", "int", 0,
            "also keep the k rows of lowest chi2_total + penalty_total per chunk, flagged candidate (refinement seeds)"),
)
"""The [scan] keys of the engine, shared by every model."""

PRIOR_KEYS = (
    CardKey("range", "[lo, hi]", "required", "the interval"),
    CardKey("prior", "string", "uniform", "\"uniform\" or \"log\" (log-uniform; lo > 0)"),
)
"""The keys of a prior table, e.g. ``M_R2 = { range = [1000.0, 3000.0], prior = "log" }``."""


def prior_table(section, key: str, positive: bool = False) -> dict:
    """A {range, prior} table; ``positive`` demands lo > 0 whatever the prior (a log prior always does)."""
    entry = table(required(section, key, "scan."), f"scan.{key}")
    reject_unknown(entry, PRIOR_KEYS, f"scan.{key}.")
    prior = choice(entry.get("prior", "uniform"), f"scan.{key}.prior", PRIORS)
    lo, hi = pair(required(entry, "range", f"scan.{key}."), f"scan.{key}.range", positive=positive or prior == "log")
    return {"range": [lo, hi], "prior": prior}


def resolve_engine_keys(section: dict) -> dict:
    """The engine keys every model's [scan] shares: size, chunking, seed, what to keep."""
    n = integer(required(section, "n", "scan."), "scan.n", lo=1)
    chunk_size = integer(section.get("chunk_size", min(8192, n)), "scan.chunk_size", lo=1, hi=MAX_CHUNK)
    check_scan_size(n, chunk_size, "scan.n")
    return {
        "n": n,
        "chunk_size": chunk_size,
        "seed": integer(section.get("seed", 0), "scan.seed", lo=0, hi=2**63 - 1),
        "keep": choice(section.get("keep", "viable"), "scan.keep", KEEP_CHOICES),
        "best_per_chunk": integer(section.get("best_per_chunk", 0), "scan.best_per_chunk", lo=0, hi=chunk_size),
    }


# ---------------------------------------------------------------------------------------------- sampling

def chunk_key(seed: int, chunk_index):
    """The key of one chunk: fold_in(PRNGKey(seed), chunk_index)."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), chunk_index)


def uniform(key, shape):
    """Uniform draws in [0, 1) of the default float dtype: threefry2x32 of (key, counter 0, 1, 2, ...).

    The stream is fixed here rather than left to ``jax.random.uniform``, whose bits depend on the global
    ``jax_threefry_partitionable`` setting (on by default since jax 0.5, and 4x slower on the CPU: 3.0 vs
    0.7 ms for 16384 x 9 float64 numbers). The values are those of ``jax.random.uniform`` with that setting
    off: float64 takes the counter words i and n + i (n = number of values) as the high and low halves of
    64 random bits, float32 takes word i; the top 52 (23) bits become the mantissa of a number in [1, 2),
    minus 1.
    """
    from jax.extend.random import threefry_2x32

    n = math.prod(shape)
    key_data = jax.random.key_data(key)
    if jnp.dtype(jnp.result_type(float)) == jnp.float64:
        bits = threefry_2x32(key_data, jax.lax.iota(jnp.uint32, 2 * n))
        bits = (bits[:n].astype(jnp.uint64) << 32) | bits[n:].astype(jnp.uint64)
        mantissa = (bits >> 12) | jnp.uint64(0x3FF0000000000000)
        values = jax.lax.bitcast_convert_type(mantissa, jnp.float64) - 1.0
    else:
        bits = threefry_2x32(key_data, jax.lax.iota(jnp.uint32, n))
        mantissa = (bits >> 9) | jnp.uint32(0x3F800000)
        values = jax.lax.bitcast_convert_type(mantissa, jnp.float32) - 1.0
    return values.reshape(shape)


def draw(key, spec: dict, size: int):
    """Uniform or log-uniform draws in spec["range"]."""
    lo, hi = spec["range"]
    u = uniform(key, (size,))
    if spec["prior"] == "log":
        return jnp.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    return lo + u * (hi - lo)
