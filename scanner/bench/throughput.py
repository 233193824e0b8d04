"""Throughput of the full scan pipeline (``flavorscan bench --model <model>``), compile excluded.

Each model's benchmark evaluates a FIXED amount of work (its ``presets.bench_scan`` [scan] table with the
measurement set "paper2022" and its default constraints), so numbers compare across versions and machines.
One evaluation = one parameter point through sampling, every observable, every constraint, viability and
compaction: exactly what ``flavorscan run`` does per point minus the HDF5 write. The engine runs on all
local devices (one chunk per device per step).

Timing: the first engine step (compilation of the chunk kernel plus the gather kernels of every bucket size
the compaction can use, and one evaluation) is ``compile_seconds``. Then ceil(n / chunk_size) chunks are
evaluated ``repeat`` times; ``seconds`` is the fastest repetition (the least disturbed by other load on the
machine), ``seconds_runs`` lists them all. ``evals_per_s = n / seconds``. A partial last chunk costs a full
chunk; pick n as a multiple of chunk_size x devices for clean numbers (``points_computed`` says how many
points were really computed).

Precision: float64 unless asked otherwise. float32 needs JAX's x64 mode off, which is a process-wide setting
fixed when :mod:`flavorscan.kernels` is imported; the ``bench`` command therefore re-runs itself in a child
process with FLAVORSCAN_X64=0, and :func:`run_bench` checks that the computed columns really have the
requested dtype.
"""

from __future__ import annotations

import time

from flavorscan.scanner import models
from flavorscan.scanner.bench.environment import environment, load_average
from flavorscan.scanner.errors import UserError

DEFAULT_CHUNK = {"cpu": 4096, "gpu": 1 << 20}
"""Default benchmark chunk per platform: 4096 measured fastest on the 2-core CPU (BENCHMARKS.md, chunk-size
table); a GPU needs ~1e6 points in flight. Scan cards keep their own fixed default (8192), because a scan's
points depend on its chunk size and must not depend on the platform."""


def default_chunk_size(n: int) -> int:
    import jax

    return max(1, min(DEFAULT_CHUNK.get(jax.default_backend(), DEFAULT_CHUNK["gpu"]), int(n)))


def bench_card(model: str, n: int, chunk_size: int | None = None, seed: int = 0) -> dict:
    """The resolved benchmark card of a model: its bench [scan] preset, paper2022, default constraints."""
    from flavorscan.scanner.config import resolve_card

    scan = {k: (dict(v) if isinstance(v, dict) else v) for k, v in models.get(model).presets.bench_scan.items()}
    scan.update(n=int(n), chunk_size=int(chunk_size or default_chunk_size(n)), seed=int(seed))
    return resolve_card({"model": model, "measurements": "paper2022", "scan": scan}, "bench card")


def _float_dtype(engine) -> str:
    """dtype of the computed float columns (checks that float32 was really used when asked)."""
    import numpy as np

    floats = {str(d) for d in engine.column_dtypes.values() if np.issubdtype(d, np.floating)}
    if len(floats) != 1:
        return ",".join(sorted(floats))
    return floats.pop()


def run_bench(card: dict, name: str, repeat: int = 1, dtype: str | None = None, progress=None) -> dict:
    """Time ``card``'s scan through the engine: compile (first step) separately, then ``repeat`` passes.
    ``progress``: a :class:`flavorscan.scanner.progress.Progress` (compilation, then the points of every
    pass; it writes between steps, outside the timed evaluation calls only)."""
    from flavorscan.scanner.engine import ScanEngine

    scan = card["scan"]
    n = scan["n"]
    start = time.perf_counter()
    if progress is not None:
        progress.begin_compile("the benchmark kernels")
    engine = ScanEngine(card)
    per_step = len(engine.devices)
    chunks = list(range(engine.n_chunks))
    steps = [chunks[i: i + per_step] for i in range(0, len(chunks), per_step)]
    engine.warm_up(steps[0])
    compile_seconds = time.perf_counter() - start
    if progress is not None:
        progress.end_compile("the first step")

    computed_dtype = _float_dtype(engine)
    if dtype is not None and computed_dtype != dtype:
        raise UserError(f"--dtype {dtype}: the pipeline computed {computed_dtype} (set FLAVORSCAN_X64 before import)")

    runs, cpu_runs, kept = [], [], 0
    load_before = load_average()
    if progress is not None:
        progress.start(repeat * n)
    try:
        for done in range(repeat):
            kept = 0
            t0, c0 = time.perf_counter(), time.process_time()
            for position, step in enumerate(steps):
                for rows, _counts in engine.evaluate_chunks(step).values():
                    kept += len(rows["point_id"])
                if progress is not None:
                    progress.update(min(done * n + (position + 1) * per_step * engine.chunk_size, (done + 1) * n),
                                    kept)
            runs.append(time.perf_counter() - t0)
            cpu_runs.append(time.process_time() - c0)
    finally:
        if progress is not None:
            progress.close()
    seconds = min(runs)
    env = environment()
    return {
        "model": name,
        "n": n,
        "dtype": computed_dtype,
        "device": env["device"],
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
        **{k: v for k, v in env.items() if k != "device"},
    }
