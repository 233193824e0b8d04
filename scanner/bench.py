"""Benchmarks of the full scan pipeline (``flavorscan bench``), compile excluded.

``--model lq`` evaluates a FIXED amount of work so numbers compare across versions, machines and against
the plain numpy implementation in scripts/numpy_baseline.py (shared/physics/interface.md):

    all 36 complex coupling entries sampled (|entry| log-uniform in [1e-4, 1], phase uniform),
    M_R2, M_S1 uniform in [1, 3] TeV, m0I0 log-uniform in [1e-8, 1e-5] GeV,
    nu_term_signs = (+1, -1, -1), measurement set "paper2022" with all its default constraints,
    keep = "viable" (the viable rows are compacted on the device and copied to the host).

One evaluation = one parameter point through sampling, every LQ observable (Takagi, dipoles, LFV,
b -> s l l, b -> c tau nu, NSI, nu nu modes, Z -> tau tau, bounds), every constraint, viability and
compaction, exactly what ``flavorscan run`` does per point minus the HDF5 write. The engine runs on all
local devices (one chunk per device per step).

Timing: the first engine step (compilation of the chunk kernel plus the gather kernels of every bucket
size the compaction can use, and one evaluation) is ``compile_seconds``. Then ceil(n / chunk_size) chunks
are evaluated ``repeat`` times; ``seconds`` is the fastest repetition (the least disturbed by other load on
the machine), ``seconds_runs`` lists them all. ``evals_per_s = n / seconds``. A partial last chunk costs a
full chunk; pick n as a multiple of chunk_size x devices for clean numbers (``points_computed`` says how
many points were really computed).

Precision: float64 unless asked otherwise. ``dtype = "float32"`` needs JAX's x64 mode off, which is a
process-wide setting fixed when ``scanner`` is imported; the ``bench`` command therefore re-runs itself in
a child process with FLAVORSCAN_X64=0 (see :mod:`scanner.commands.bench`), and :func:`run_bench` checks
that the computed columns really have the requested dtype.
"""

from __future__ import annotations

import math
import os
import platform
import time

from flavorscan.scanner.errors import UserError

MODELS = ("lq", "zprime", "lq-yield")
DTYPES = ("float64", "float32")
DEFAULT_CHUNK = {"cpu": 4096, "gpu": 1 << 20}
"""Default benchmark chunk per platform: 4096 measured fastest on the 2-core CPU (BENCHMARKS.md, chunk-size
table); a GPU needs ~1e6 points in flight. Scan cards keep their own fixed default (8192), because a scan's
points depend on its chunk size and must not depend on the platform."""

LQ_COUPLING = {"probability": 1.0, "magnitude": [1e-4, 1.0], "phase": "uniform"}
LQ_BENCH_SCAN = {
    "seed": 0,
    "keep": "viable",
    "nu_term_signs": [1, -1, -1],
    "M_R2": {"range": [1000.0, 3000.0], "prior": "uniform"},
    "M_S1": {"range": [1000.0, 3000.0], "prior": "uniform"},
    "m0I0": {"range": [1e-8, 1e-5], "prior": "log"},
    "fR": dict(LQ_COUPLING),
    "fL": dict(LQ_COUPLING),
    "yR": dict(LQ_COUPLING),
    "yL": dict(LQ_COUPLING),
}
"""The fixed [scan] table of ``flavorscan bench --model lq`` (n and chunk_size are added per run)."""


def default_chunk_size(n: int) -> int:
    import jax

    return max(1, min(DEFAULT_CHUNK.get(jax.default_backend(), DEFAULT_CHUNK["gpu"]), int(n)))


def lq_bench_raw(n: int, chunk_size: int | None = None, seed: int = 0) -> dict:
    """The raw (unresolved) card dict of the LQ benchmark."""
    scan = {k: (dict(v) if isinstance(v, dict) else v) for k, v in LQ_BENCH_SCAN.items()}
    scan.update(n=int(n), chunk_size=int(chunk_size or default_chunk_size(n)), seed=int(seed))
    return {"model": "lq", "measurements": "paper2022", "scan": scan, "constraints": {"enabled": "default"}}


def lq_bench_card(n: int, chunk_size: int | None = None, seed: int = 0) -> dict:
    """The resolved LQ benchmark card (every default constraint of paper2022, keep = "viable")."""
    from flavorscan.scanner.config import resolve_card

    return resolve_card(lq_bench_raw(n, chunk_size, seed), "bench card")


def zprime_bench_card(n: int, chunk_size: int | None = None, seed: int = 0) -> dict:
    """The Z' benchmark card, from ``scanner.zprime_scan.BENCH_SCAN`` (a [scan] dict without n/chunk_size)."""
    from flavorscan.scanner.config import resolve_card
    from flavorscan.scanner.zprime_scan import BENCH_SCAN

    scan = dict(BENCH_SCAN)
    scan.update(n=int(n), chunk_size=int(chunk_size or default_chunk_size(n)), seed=int(seed))
    return resolve_card({"model": "zprime", "measurements": "paper2022", "scan": scan}, "bench card")


def environment() -> dict:
    """Machine and versions, written into every benchmark result."""
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


def _rows_of(result):
    """evaluate_chunks values are {column: array} or ({column: array}, counts) depending on the engine version."""
    return result[0] if isinstance(result, tuple) else result


def _kept(rows) -> int:
    if not rows:
        return 0
    return len(next(iter(rows.values())))


def _float_dtype(engine) -> str:
    """dtype of the computed float columns (checks that float32 was really used when asked)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    dtypes = getattr(engine, "column_dtypes", None)
    if dtypes is None:
        shapes = jax.eval_shape(engine._evaluate, jax.ShapeDtypeStruct((len(engine.devices),), jnp.int32))[0]
        dtypes = {name: np.dtype(s.dtype) for name, s in shapes.items()}
    floats = {str(d) for name, d in dtypes.items() if np.issubdtype(d, np.floating)}
    if len(floats) != 1:
        return ",".join(sorted(floats))
    return floats.pop()


def _warm_gather(engine, columns) -> None:
    """Compile the compaction kernel for every power-of-two bucket it can be called with."""
    import jax
    import jax.numpy as jnp

    gather = getattr(engine, "_gather", None)
    if gather is None:
        return
    largest = len(engine.devices) * engine.chunk_size
    bucket = 1
    while True:
        jax.block_until_ready(gather(columns, jnp.zeros((bucket,), dtype=jnp.int32)))
        if bucket >= largest:
            break
        bucket *= 2


def run_bench(card: dict, model: str, repeat: int = 1, dtype: str | None = None) -> dict:
    """Time ``card``'s scan through the engine: compile (first step) separately, then ``repeat`` passes."""
    from flavorscan.scanner.engine import ScanEngine

    scan = card["scan"]
    n = scan["n"]
    start = time.perf_counter()
    engine = ScanEngine(card)
    per_step = len(engine.devices)
    chunks = list(range(engine.n_chunks))
    steps = [chunks[i : i + per_step] for i in range(0, len(chunks), per_step)]

    # compilation: the chunk kernel (first step, evaluated once) and the compaction kernels
    engine.evaluate_chunks(steps[0])
    columns = engine._evaluate(steps[0] + [steps[0][-1]] * (per_step - len(steps[0])))[0]
    _warm_gather(engine, columns)
    del columns
    compile_seconds = time.perf_counter() - start

    computed_dtype = _float_dtype(engine)
    if dtype is not None and computed_dtype != dtype:
        raise UserError(f"--dtype {dtype}: the pipeline computed {computed_dtype} (set FLAVORSCAN_X64 before import)")

    runs, cpu_runs, kept = [], [], 0
    load_before = load_average()
    for _ in range(repeat):
        kept = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for step in steps:
            for result in engine.evaluate_chunks(step).values():
                kept += _kept(_rows_of(result))
        runs.append(time.perf_counter() - t0)
        cpu_runs.append(time.process_time() - c0)
    seconds = min(runs)
    return {
        "model": model,
        "n": n,
        "dtype": computed_dtype,
        **{k: v for k, v in environment().items() if k == "device"},
        "compile_seconds": compile_seconds,
        "seconds": seconds,
        "evals_per_s": n / seconds,
        "chunk_size": engine.chunk_size,
        "chunks": engine.n_chunks,
        "points_computed": len(steps) * per_step * engine.chunk_size,
        "repeat": repeat,
        "seconds_runs": runs,
        "seconds_median": sorted(runs)[len(runs) // 2],
        "cpu_seconds": cpu_runs[runs.index(seconds)],
        "viable": kept,
        "seed": scan["seed"],
        "measurements": card["measurements"],
        "load_average": [load_before, load_average()],
        **{k: v for k, v in environment().items() if k != "device"},
    }


def bench_lq(n: int, chunk_size: int | None = None, repeat: int = 1, dtype: str | None = None, seed: int = 0) -> dict:
    return run_bench(lq_bench_card(n, chunk_size, seed), "lq", repeat, dtype)


def bench_zprime(n: int, chunk_size: int | None = None, repeat: int = 1, dtype: str | None = None, seed: int = 0) -> dict:
    return run_bench(zprime_bench_card(n, chunk_size, seed), "zprime", repeat, dtype)


LQ_YIELD_CARD = '''\
model = "lq"
measurements = "paper2022"
[scan]
n = 1048576
chunk_size = 8192
best_per_chunk = 128
keep = "viable"
nu_term_signs = [1, -1, -1]
M_R2 = { range = [1719.92, 1863.25] }
M_S1 = { range = [1142.91, 1238.16] }
m0I0 = { range = [6.97878e-07, 9.71725e-07], prior = "log" }
[scan.fR]
pattern = [[0, 0, 0], [1, 0, 1], [1, 1, 0]]
magnitude_lo = [[1, 1, 1], [0.126494, 1, 0.0250158], [0.0834291, 0.0135455, 1]]
magnitude_hi = [[1, 1, 1], [0.17613, 1, 0.034832], [0.116167, 0.0188608, 1]]
phase = "fixed"
sign = [[1, 1, 1], [1, 1, -1], [-1, -1, 1]]
[scan.fL]
pattern = [[0, 0, 1], [0, 0, 1], [0, 0, 1]]
magnitude_lo = [[1, 1, 2.53409], [1, 1, 7.44872e-05], [1, 1, 6.13127e-06]]
magnitude_hi = [[1, 1, 3.52847], [1, 1, 0.000103716], [1, 1, 8.53718e-06]]
phase = "fixed"
sign = [[1, 1, -1], [1, 1, 1], [1, 1, 1]]
[scan.yR]
pattern = [[0, 0, 0], [1, 0, 1], [0, 1, 0]]
magnitude_lo = [[1, 1, 1], [0.163416, 1, 0.423285], [1, 0.00159462, 1]]
magnitude_hi = [[1, 1, 1], [0.22754, 1, 0.589383], [1, 0.00222035, 1]]
phase = "fixed"
sign = [[1, 1, 1], [1, 1, 1], [1, -1, 1]]
[scan.yL]
pattern = [[0, 0, 0], [1, 0, 1], [0, 1, 1]]
magnitude_lo = [[1, 1, 1], [0.0299024, 1, 0.0244858], [1, 1.24827, 0.345813]]
magnitude_hi = [[1, 1, 1], [0.041636, 1, 0.034094], [1, 1.73809, 0.48151]]
phase = "fixed"
sign = [[1, 1, 1], [-1, 1, -1], [1, -1, -1]]
[refine]
steps = 100
'''
"""Default card of ``flavorscan bench --model lq-yield`` (also runs/yield_lq_paper2022.toml): the full default
paper2022 constraint set; a box prior around one viable real texture (TX-I zero pattern plus yL_ctau,
yL_ttau), each non-zero |coupling| and m0I0 log-uniform within a factor 1.18 of the centre, signs fixed,
M_R2 and M_S1 within +-4 %; 128 refinement seeds per 8192-point chunk, at most 100 Adam steps. Plain random sampling
finds viable points here at a small but measurable rate (~2e-5 of the points), so both rates are measured;
for the wide lq bench prior neither method finds any (docs/refinement.md)."""


def lq_yield_card(n: int | None = None) -> dict:
    """The resolved default yield card (``n`` overrides its [scan] n)."""
    from flavorscan.scanner.config import resolve_card, tomllib

    raw = tomllib.loads(LQ_YIELD_CARD)
    if n is not None:
        raw["scan"]["n"] = int(n)
    return resolve_card(raw, "lq-yield card")


def bench_yield(n: int | None = None, card: dict | None = None, chunk_size: int | None = None,
                seconds_budget: float | None = None) -> dict:
    """``--model lq-yield``: scanner.refine.yield_benchmark on the card (default :data:`LQ_YIELD_CARD`);
    ``n`` random points (default: the card's [scan] n)."""
    from flavorscan.scanner.refine import yield_benchmark

    if card is None:
        card = lq_yield_card()
    if chunk_size is not None:
        card = dict(card, scan=dict(card["scan"], chunk_size=chunk_size))
    if n is None:
        n = card["scan"]["n"]
    load_before = load_average()
    result = dict(yield_benchmark(card, n, seconds_budget=seconds_budget))
    result["load_average"] = [load_before, load_average()]
    env = environment()
    result.setdefault("model", "lq-yield")
    result.setdefault("n", n)
    result.setdefault("dtype", "float64" if env["x64"] else "float32")
    result.setdefault("device", env["device"])
    for key, value in env.items():
        result.setdefault(key, value)
    return result


# ------------------------------------------------------------------------------------------------ profiling

def stage_breakdown(card: dict, repeat: int = 3) -> dict:
    """Seconds per chunk of each pipeline stage, each jitted and vmapped on its own (one device).

    Stages: sampling; every observable group of kernels/observables.py; inside the neutrino group the
    Takagi factorisation alone; the constraint layer; the full point function; the engine step. The sum of
    the parts can differ from the whole (XLA fuses across stage boundaries in the full kernel).
    """
    import jax
    import jax.numpy as jnp

    from flavorscan.kernels import linalg, neutrino
    from flavorscan.kernels.observables import LQ_GROUPS
    from flavorscan.scanner.engine import ScanEngine
    from flavorscan.scanner.pipeline import make_point_function, model_inputs
    from flavorscan.scanner.sampling import sample_lq

    if card["model"] != "lq":
        raise UserError("--breakdown: only for --model lq")
    scan = card["scan"]
    size = scan["chunk_size"]
    raw_inputs = model_inputs(card)
    inputs = {k: jnp.asarray(v) for k, v in raw_inputs.items()}
    point_function = make_point_function(card, raw_inputs)

    def timed(function, *args):
        t0 = time.perf_counter()
        out = jax.block_until_ready(function(*args))
        compile_s = time.perf_counter() - t0
        best = best_cpu = math.inf
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            jax.block_until_ready(function(*args))
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        return out, {"seconds": best, "cpu_seconds": best_cpu, "evals_per_s": size / best, "compile_seconds": compile_s}

    stages = {}
    index = jnp.asarray(0, dtype=jnp.int64 if jax.config.jax_enable_x64 else jnp.int32)
    params, stages["sampling"] = timed(jax.jit(lambda c: sample_lq(scan, c, size)), index)
    for _, function in LQ_GROUPS:
        name = function.__name__
        stages[name] = timed(jax.jit(jax.vmap(lambda p, f=function: f(p, inputs))), params)[1]
    m_nu = jax.jit(jax.vmap(lambda p: neutrino.mass_matrix(p, inputs)))(params)
    stages["takagi (inside neutrino_observables)"] = timed(jax.jit(jax.vmap(linalg.takagi)), m_nu)[1]
    observables = jax.jit(jax.vmap(lambda p: point_function.model.evaluate(p, inputs)))(params)
    from flavorscan.scanner.pipeline import parameter_columns

    values = dict(jax.jit(jax.vmap(lambda p: parameter_columns("lq", p)))(params))
    values.update(observables)
    stages["constraints"] = timed(jax.jit(jax.vmap(point_function.constraints.evaluate)), values)[1]
    stages["point function (all observables + constraints)"] = timed(jax.jit(jax.vmap(point_function)), params)[1]
    engine = ScanEngine(card)
    devices = len(engine.devices)
    step = jnp.arange(devices, dtype=index.dtype)
    engine_step = stages["engine step (sampling + point function + keep)"] = timed(engine._evaluate, step)[1]
    engine_step["evals_per_s"] *= devices
    return {"chunk_size": size, "repeat": repeat, "stages": stages, **environment()}


def format_text(result: dict) -> str:
    """Human-readable summary of a bench result."""
    if "stages" in result:
        lines = [f"stage breakdown, chunk_size = {result['chunk_size']} ({result['device']}, {result['devices']} device(s))",
                 f"{'stage':<52} {'ms/chunk':>10} {'cpu ms':>10} {'evals/s':>12} {'compile s':>10}"]
        for name, s in result["stages"].items():
            lines.append(f"{name:<52} {1e3 * s['seconds']:>10.1f} {1e3 * s['cpu_seconds']:>10.1f} "
                         f"{s['evals_per_s']:>12.4g} {s['compile_seconds']:>10.1f}")
        return "\n".join(lines)
    if "evals_per_s" not in result:
        return "\n".join(f"{k:<24} {v}" for k, v in result.items())
    return "\n".join([
        f"model            {result['model']}   ({result['dtype']}, {result['device']} x {result['devices']}, "
        f"jax {result['jax_version']})",
        f"points           {result['n']:,d}   chunk_size {result['chunk_size']}   repeat {result['repeat']}",
        f"compile          {result['compile_seconds']:.2f} s",
        f"evaluation       {result['seconds']:.3f} s   ({result['evals_per_s']:,.0f} evals/s; "
        f"median run {result['seconds_median']:.3f} s)",
        f"viable rows      {result['viable']:,d}",
    ])

