"""Benchmarks (``flavorscan bench``): every model's pipeline throughput and the benchmarks its presets add.

- :mod:`.throughput`: the full scan pipeline of a model's fixed benchmark card, compile excluded;
- :mod:`.yields`: viable points per second, random sampling vs sampling + refinement;
- :mod:`.breakdown`: seconds per pipeline stage (a profiling aid);
- :mod:`.environment`: the machine and versions recorded with every result.

Performance is measured by these benchmarks and scripts/, never by timed tests (BENCHMARKS.md).
"""

from __future__ import annotations

from flavorscan.scanner import models
from flavorscan.scanner.models.spec import Benchmark


def _throughput(model: str) -> Benchmark:
    def run(options) -> dict:
        from flavorscan.scanner.bench.breakdown import stage_breakdown
        from flavorscan.scanner.bench.throughput import bench_card, run_bench
        from flavorscan.scanner.progress import from_args

        card = bench_card(model, options.n or 65536, options.chunk_size, options.seed)
        if options.breakdown:
            return stage_breakdown(card, repeat=options.repeat)
        return run_bench(card, model, repeat=options.repeat, dtype=options.dtype,
                         progress=from_args(options, f"bench {model}"))

    return Benchmark(model, f"throughput of the {model} pipeline (fixed work, compile excluded)", run,
                     frozenset({"breakdown"}))


def benchmarks() -> dict[str, Benchmark]:
    """{name: Benchmark}: each registered model's throughput benchmark (named after the model), then the
    benchmarks of its presets."""
    found = {}
    for name in models.names():
        spec = models.get(name)
        found[name] = _throughput(name)
        for benchmark in spec.presets.benchmarks:
            found[benchmark.name] = benchmark
    return found


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
