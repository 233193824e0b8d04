"""``bench --breakdown``: seconds per chunk of each pipeline stage, each jitted and vmapped on its own.

Stages: sampling; every observable group of the model's kernels (or its one evaluator); the model's extra
profiling stages (``presets.profile_stages``); the constraint layer; the full point function; the engine
step. The sum of the parts can differ from the whole (XLA fuses across stage boundaries in the full kernel).
"""

from __future__ import annotations

import math
import time

from flavorscan.scanner import models
from flavorscan.scanner.bench.environment import environment


def stage_breakdown(card: dict, repeat: int = 3) -> dict:
    import jax
    import jax.numpy as jnp

    from flavorscan.scanner.engine import ScanEngine
    from flavorscan.scanner.pipeline import make_point_function, model_inputs

    spec = models.get(card["model"])
    scan = card["scan"]
    size = scan["chunk_size"]
    raw_inputs = model_inputs(card)
    inputs = {k: jnp.asarray(v) for k, v in raw_inputs.items()}
    point_function = make_point_function(card, raw_inputs)
    evaluate = spec.make_evaluator(card, raw_inputs)

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
    params, stages["sampling"] = timed(jax.jit(lambda c: spec.sample(scan, c, size)), index)
    (parameters, observables), stages["observables (model evaluator)"] = timed(jax.jit(jax.vmap(evaluate)), params)
    for name, function in spec.presets.profile_stages.items():
        stages[name] = timed(jax.jit(jax.vmap(lambda p, f=function: f(p, inputs))), params)[1]
    values = dict(parameters)
    values.update(observables)
    stages["constraints"] = timed(jax.jit(jax.vmap(point_function.constraints.evaluate)), values)[1]
    stages["point function (all observables + constraints)"] = timed(jax.jit(jax.vmap(point_function)), params)[1]
    engine = ScanEngine(card)
    devices = len(engine.devices)
    step = list(range(devices))
    engine_step = stages["engine step (sampling + point function + keep)"] = timed(engine.evaluate_chunks, step)[1]
    engine_step["evals_per_s"] *= devices
    return {"chunk_size": size, "repeat": repeat, "stages": stages, **environment()}
