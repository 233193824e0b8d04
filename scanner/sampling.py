"""The [scan] card table and the random sampling of parameter points.

Randomness has one source: the card's seed. Chunk c of a scan uses ``fold_in(PRNGKey(seed), c)`` and
draws every quantity of its points from that key, so a point depends only on (seed, chunk index, index in
chunk) — never on device count, sharding, or resumption.

Leptoquark [scan] vocabulary (all optional unless stated):

    n = 1_000_000            # total points (required)
    chunk_size = 8192        # points per chunk (one compiled kernel shape)
    seed = 0
    keep = "viable"          # "viable" or "all"
    best_per_chunk = 0       # also keep the k rows of lowest chi2_total + penalty_total per chunk
    mass_scale = "sampled"   # or "dm3l": m0I0 fixed per texture so |dm3l_sq| is the set's best fit
    nu_term_signs = [1, -1, -1]   # required, as in [point]; nu_quark_masses, loop_quark_masses optional
    M_R2 = { range = [1000.0, 3000.0], prior = "uniform" }     # required; prior "uniform" or "log"
    M_S1 = { range = [1000.0, 3000.0] }                         # required
    m0I0 = { range = [1e-8, 1e-5], prior = "log" }             # or:
    I0 = { theta = [0.1, 0.7], phi = [0.1, 0.7], M1 = [...], M2 = [...], M3 = [...], M4 = [...] }
    [scan.fR]                # one table per coupling matrix fR, fL, yR, yL; a missing one stays zero
    pattern = [[0,0,0],[1,0,1],[1,1,0]]      # fixed sparsity (1 = sampled), or
    probability = 0.3                        # random patterns: number or 3x3 per-entry probability
    magnitude = [1e-4, 1.0]                  # log-uniform |entry| range, or magnitude_lo/magnitude_hi 3x3
    phase = "sign"                           # "sign" (real, random sign), "uniform" (complex), "fixed"
    sign = [[...]]                           # with phase = "fixed": the sign of each entry (default +1)
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from flavorscan.scanner.config import (
    COUPLINGS,
    PHASE_CHOICES,
    PRIORS,
    choice,
    integer,
    matrix3,
    number,
    pair,
    reject_unknown,
    required,
    resolve_lq_options,
    table,
)
from flavorscan.scanner.errors import UserError

KEEP_CHOICES = ("viable", "all")
MASS_SCALE_CHOICES = ("sampled", "dm3l")
I0_RANGES = ("theta", "phi", "M1", "M2", "M3", "M4")
MAX_CHUNK = 1 << 22
MAX_CHUNKS = 1 << 32
"""fold_in takes the chunk index as uint32: chunk 2^32 would repeat chunk 0's random numbers."""
MAX_POINTS = 1 << 53
"""point_id stays exact in float64 (and far inside int64)."""


def check_scan_size(n: int, chunk_size: int, where: str) -> None:
    """n points in chunks of chunk_size must have distinct chunk keys and exact point ids."""
    if n > MAX_POINTS:
        raise UserError(f"{where}: at most 2^53 points, got {n}")
    if -(-n // chunk_size) > MAX_CHUNKS:
        raise UserError(f"{where}: n / chunk_size is more than 2^32 chunks (chunk keys would repeat); raise chunk_size")


def _prior(section, key: str, positive: bool = False) -> dict:
    """A {range, prior} table; ``positive`` demands lo > 0 whatever the prior (a log prior always does)."""
    entry = table(required(section, key, "scan."), f"scan.{key}")
    reject_unknown(entry, {"range", "prior"}, f"scan.{key}.")
    prior = choice(entry.get("prior", "uniform"), f"scan.{key}.prior", PRIORS)
    lo, hi = pair(required(entry, "range", f"scan.{key}."), f"scan.{key}.range", positive=positive or prior == "log")
    return {"range": [lo, hi], "prior": prior}


def _coupling(section: dict, name: str) -> dict:
    where = f"scan.{name}."
    reject_unknown(section, {"pattern", "probability", "magnitude", "magnitude_lo", "magnitude_hi", "phase", "sign"}, where)
    if ("pattern" in section) == ("probability" in section):
        raise UserError(f"{where}pattern: give exactly one of pattern (fixed sparsity) or probability (random patterns)")
    if "pattern" in section:
        probability = matrix3(section["pattern"], f"{where}pattern", lo=0, hi=1)
        if any(v not in (0.0, 1.0) for row in probability for v in row):
            raise UserError(f"{where}pattern: entries must be 0 or 1")
    elif isinstance(section["probability"], list):
        probability = matrix3(section["probability"], f"{where}probability", lo=0, hi=1)
    else:
        p = number(section["probability"], f"{where}probability", lo=0, hi=1)
        probability = [[p] * 3 for _ in range(3)]
    if "magnitude" in section:
        if "magnitude_lo" in section or "magnitude_hi" in section:
            raise UserError(f"{where}magnitude: give magnitude or magnitude_lo/magnitude_hi, not both")
        lo, hi = pair(section["magnitude"], f"{where}magnitude", positive=True)
        magnitude_lo, magnitude_hi = [[lo] * 3 for _ in range(3)], [[hi] * 3 for _ in range(3)]
    else:
        magnitude_lo = matrix3(required(section, "magnitude_lo", where), f"{where}magnitude_lo", positive=True)
        magnitude_hi = matrix3(required(section, "magnitude_hi", where), f"{where}magnitude_hi", positive=True)
        for i in range(3):
            for j in range(3):
                if magnitude_lo[i][j] > magnitude_hi[i][j]:
                    raise UserError(f"{where}magnitude_lo[{i}][{j}]: larger than magnitude_hi")
    phase = choice(section.get("phase", "sign"), f"{where}phase", PHASE_CHOICES)
    sign = [[1.0] * 3 for _ in range(3)]
    if "sign" in section:
        if phase != "fixed":
            raise UserError(f"{where}sign: only used with phase = \"fixed\"")
        sign = matrix3(section["sign"], f"{where}sign")
        if any(v not in (1.0, -1.0) for row in sign for v in row):
            raise UserError(f"{where}sign: entries must be 1 or -1")
    return {"probability": probability, "magnitude_lo": magnitude_lo, "magnitude_hi": magnitude_hi,
            "phase": phase, "sign": sign}


def resolve_common(section: dict) -> dict:
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


def resolve_lq_scan(section: dict) -> dict:
    allowed = {"n", "chunk_size", "seed", "keep", "best_per_chunk", "mass_scale", "nu_term_signs",
               "nu_quark_masses", "loop_quark_masses", "M_R2", "M_S1", "m0I0", "I0", *COUPLINGS}
    reject_unknown(section, allowed, "scan.")
    scan = resolve_common(section)
    scan.update(resolve_lq_options(section, "scan."))
    scan["mass_scale"] = choice(section.get("mass_scale", "sampled"), "scan.mass_scale", MASS_SCALE_CHOICES)
    scan["M_R2"] = _prior(section, "M_R2", positive=True)
    scan["M_S1"] = _prior(section, "M_S1", positive=True)
    if "m0I0" in section and "I0" in section:
        raise UserError("scan.m0I0: give m0I0 or I0 (theta, phi, M1..M4 ranges), not both")
    if scan["mass_scale"] == "dm3l" and ("m0I0" in section or "I0" in section):
        # the dm3l option sets m0I0 itself; a sampled m0I0 (or I0) would be stored but not used
        key = "m0I0" if "m0I0" in section else "I0"
        raise UserError(f"scan.{key}: mass_scale = \"dm3l\" fixes m0I0 per texture; remove scan.{key} "
                        "(or use mass_scale = \"sampled\")")
    if "I0" in section:
        i0 = table(section["I0"], "scan.I0")
        reject_unknown(i0, set(I0_RANGES), "scan.I0.")
        scan["I0"] = {k: pair(required(i0, k, "scan.I0."), f"scan.I0.{k}", positive=k.startswith("M")) for k in I0_RANGES}
    elif "m0I0" in section:
        scan["m0I0"] = _prior(section, "m0I0")
    elif scan["mass_scale"] != "dm3l":
        raise UserError("scan.m0I0: missing (a range, or I0 ranges, or mass_scale = \"dm3l\")")
    scan["couplings"] = {name: _coupling(table(section[name], f"scan.{name}"), name) for name in COUPLINGS if name in section}
    if not scan["couplings"]:
        raise UserError("scan: no coupling matrix to sample (add a [scan.fR], [scan.fL], [scan.yR] or [scan.yL] table)")
    if all(p == 0 for spec in scan["couplings"].values() for row in spec["probability"] for p in row):
        raise UserError("scan: every coupling entry has probability 0 (every texture would be zero: no neutrino "
                        "masses, nothing to keep)")
    return scan


def resolve_scan(model: str, section: dict) -> dict:
    if model == "lq":
        return resolve_lq_scan(section)
    from flavorscan.scanner.zprime_scan import resolve_zprime_scan

    return resolve_zprime_scan(section)


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


def _sample_matrix(key, spec: dict, size: int):
    """One coupling matrix per point: keys (on, magnitude, phase) = split(key, 3), each drawn only if needed.

    The sparsity draw is skipped where it is decided anyway (every probability 0 or 1, a trace-time check),
    and a matrix that is off everywhere draws nothing; the magnitude and phase values do not depend on
    whether the mask was drawn.
    """
    k_on, k_mag, k_phase = jax.random.split(key, 3)
    probability = [[float(p) for p in row] for row in spec["probability"]]
    flat = [p for row in probability for p in row]
    real = jnp.result_type(float)
    complex_dtype = jnp.result_type(1j)
    if all(p == 0.0 for p in flat):
        return jnp.zeros((size, 3, 3), complex_dtype)
    log_lo, log_hi = jnp.log(jnp.asarray(spec["magnitude_lo"], real)), jnp.log(jnp.asarray(spec["magnitude_hi"], real))
    magnitude = jnp.exp(log_lo + uniform(k_mag, (size, 3, 3)) * (log_hi - log_lo))
    if spec["phase"] == "uniform":
        angle = uniform(k_phase, (size, 3, 3)) * (2.0 * math.pi)
        value = jax.lax.complex(magnitude * jnp.cos(angle), magnitude * jnp.sin(angle))
    elif spec["phase"] == "sign":
        sign = jnp.where(uniform(k_phase, (size, 3, 3)) < 0.5, 1.0, -1.0)
        value = jax.lax.complex(magnitude * sign, jnp.zeros_like(magnitude))
    else:
        sign = jnp.asarray(spec["sign"], real)
        value = jax.lax.complex(magnitude * sign, jnp.zeros_like(magnitude))
    if all(p in (0.0, 1.0) for p in flat):
        on = jnp.asarray([[p == 1.0 for p in row] for row in probability])
    else:
        on = uniform(k_on, (size, 3, 3)) < jnp.asarray(probability, real)
    return jnp.where(on, value, 0.0)


def sample_lq(scan: dict, chunk_index, size: int) -> dict:
    """The leptoquark params of chunk ``chunk_index`` (leading axis ``size``); m0I0 is left out in I0/dm3l
    mode. (Every model's sampler has this signature: the engine calls ``sample(scan, chunk_index, size)``.)

    Every quantity draws from its own fold_in(chunk key, k) with a fixed k, so adding a quantity never
    changes the others' values.
    """
    key = chunk_key(scan["seed"], chunk_index)
    params = {
        "M_R2": draw(jax.random.fold_in(key, 0), scan["M_R2"], size),
        "M_S1": draw(jax.random.fold_in(key, 1), scan["M_S1"], size),
    }
    for index, name in enumerate(COUPLINGS):
        if name in scan["couplings"]:
            params[name] = _sample_matrix(jax.random.fold_in(key, 10 + index), scan["couplings"][name], size)
        else:
            params[name] = jnp.zeros((size, 3, 3), jnp.result_type(1j))
    if "m0I0" in scan:
        params["m0I0"] = draw(jax.random.fold_in(key, 2), scan["m0I0"], size)
    if "I0" in scan:
        for index, name in enumerate(I0_RANGES):
            params[name] = draw(jax.random.fold_in(key, 20 + index), {"range": scan["I0"][name], "prior": "uniform"}, size)
    return params
