#!/usr/bin/env python3
"""JAX pipeline vs the plain numpy baseline, same machine, same n, one run.

Runs ``flavorscan bench --model lq --json`` (one process per JAX configuration: chunk size, dtype) and
scripts/numpy_baseline.py --json, brackets the JAX runs between two numpy runs (so a change of machine load
during the run shows up as a difference between the two numpy rows), prints a table and a JSON object with
the ratios. Wall-clock rates are what the benchmark reports; the process CPU time is printed next to them
because on a shared machine it is the steadier measure of the work done.

    python scripts/bench_compare.py --n 65536 --chunk-sizes 4096,16384,65536 --float32 --repeat 3 --out result.json

ratio = JAX evals/s / numpy evals/s (the issue's goal: >= 10 on a 2-core CPU); the headline uses the best
JAX float64 configuration and the better of the two numpy runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_json(argv: list[str], env=None) -> dict:
    completed = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        raise SystemExit(f"bench_compare: {' '.join(argv[1:4])} failed ({completed.returncode}): {tail[0]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def numpy_run(n: int, chunk_size: int, repeat: int, seed: int) -> dict:
    return _run_json([sys.executable, str(ROOT / "scripts" / "numpy_baseline.py"), "--n", str(n), "--chunk-size",
                      str(chunk_size), "--repeat", str(repeat), "--seed", str(seed), "--json"])


def jax_run(n: int, chunk_size: int, repeat: int, dtype: str, seed: int, cpu_devices: int = 1) -> dict:
    """One ``flavorscan bench`` process; cpu_devices > 1 splits the host CPU into that many XLA devices
    (--xla_force_host_platform_device_count), so the engine evaluates that many chunks in parallel."""
    env = dict(os.environ)
    flags = [f for f in env.get("XLA_FLAGS", "").split() if not f.startswith("--xla_force_host_platform_device_count")]
    if cpu_devices > 1:
        flags.append(f"--xla_force_host_platform_device_count={cpu_devices}")
    env["XLA_FLAGS"] = " ".join(flags)
    return _run_json([sys.executable, "-m", "flavorscan", "bench", "--model", "lq", "--n", str(n), "--chunk-size",
                      str(chunk_size), "--repeat", str(repeat), "--dtype", dtype, "--seed", str(seed), "--json"], env)


def row(label: str, result: dict, reference: float | None) -> dict:
    return {
        "implementation": label,
        "dtype": result["dtype"],
        "chunk_size": result["chunk_size"],
        "devices": result.get("devices", 1),
        "n": result["n"],
        "seconds": result["seconds"],
        "cpu_seconds": result.get("cpu_seconds"),
        "evals_per_s": result["evals_per_s"],
        "cpu_evals_per_s": result["n"] / result["cpu_seconds"] if result.get("cpu_seconds") else None,
        "compile_seconds": result.get("compile_seconds", 0.0),
        "ratio_vs_numpy": result["evals_per_s"] / reference if reference else None,
        "viable": result.get("viable"),
        "load_average": result.get("load_average"),
    }


def format_table(rows: list[dict]) -> str:
    header = (f"{'implementation':<26} {'dtype':<8} {'chunk':>7} {'dev':>4} {'n':>9} {'seconds':>9} {'evals/s':>10} "
              f"{'cpu s':>8} {'cpu evals/s':>12} {'compile s':>10} {'ratio':>7}")
    lines = [header, "-" * len(header)]
    for r in rows:
        cpu = f"{r['cpu_seconds']:8.2f}" if r["cpu_seconds"] is not None else f"{'-':>8}"
        cpu_rate = f"{r['cpu_evals_per_s']:12,.0f}" if r["cpu_evals_per_s"] else f"{'-':>12}"
        ratio = f"{r['ratio_vs_numpy']:7.2f}" if r["ratio_vs_numpy"] is not None else f"{'-':>7}"
        lines.append(f"{r['implementation']:<26} {r['dtype']:<8} {r['chunk_size']:>7} {r['devices']:>4} {r['n']:>9,d} {r['seconds']:9.3f} "
                     f"{r['evals_per_s']:10,.0f} {cpu} {cpu_rate} {r['compile_seconds']:10.1f} {ratio}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=65536, help="points per timed pass (both sides)")
    parser.add_argument("--chunk-sizes", default="8192", help="JAX chunk sizes, comma separated (one process each)")
    parser.add_argument("--numpy-chunk-size", type=int, default=16384)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per configuration; the fastest counts")
    parser.add_argument("--float32", action="store_true", help="also run JAX in float32 (at the first chunk size)")
    parser.add_argument("--cpu-devices", default="1",
                        help="XLA host devices for the JAX runs, comma separated (e.g. 1,2: one run per chunk size each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    try:
        chunks = [int(c) for c in args.chunk_sizes.split(",") if c.strip()]
        device_counts = [int(d) for d in args.cpu_devices.split(",") if d.strip()]
    except ValueError:
        parser.error("--chunk-sizes and --cpu-devices take comma-separated integers")
    if (args.n < 1 or args.repeat < 1 or not chunks or min(chunks) < 1 or args.numpy_chunk_size < 1
            or not device_counts or min(device_counts) < 1):
        parser.error("--n, --repeat, --numpy-chunk-size, every chunk size and device count must be >= 1")

    started = time.strftime("%Y-%m-%d %H:%M:%S")
    numpy_results = [numpy_run(args.n, args.numpy_chunk_size, args.repeat, args.seed)]
    jax_results = []
    for devices in device_counts:
        for chunk in chunks:
            jax_results.append(jax_run(args.n, chunk, args.repeat, "float64", args.seed, devices))
    if args.float32:
        jax_results.append(jax_run(args.n, chunks[0], args.repeat, "float32", args.seed, device_counts[0]))
    numpy_results.append(numpy_run(args.n, args.numpy_chunk_size, args.repeat, args.seed))

    best_numpy = max(numpy_results, key=lambda r: r["evals_per_s"])
    reference = best_numpy["evals_per_s"]
    rows = [row(f"numpy baseline ({'before' if i == 0 else 'after'})", r, reference) for i, r in enumerate(numpy_results)]
    rows += [row("jax (flavorscan bench)", r, reference) for r in jax_results]
    float64 = [r for r in jax_results if r["dtype"] == "float64"]
    best_jax = max(float64, key=lambda r: r["evals_per_s"])
    cpu_ratio = None
    if best_jax.get("cpu_seconds") and best_numpy.get("cpu_seconds"):
        cpu_ratio = best_numpy["cpu_seconds"] / best_jax["cpu_seconds"]
    env = {k: jax_results[0].get(k) for k in ("cpu_model", "cpu_count", "devices", "device", "python", "jax_version",
                                              "jaxlib_version", "numpy_version", "xla_flags")}
    summary = {
        "started": started,
        "n": args.n,
        "repeat": args.repeat,
        "ratio": best_jax["evals_per_s"] / reference,
        "cpu_time_ratio": cpu_ratio,
        "goal_ratio": 10.0,
        "best_jax": {"chunk_size": best_jax["chunk_size"], "devices": best_jax.get("devices", 1),
                     "evals_per_s": best_jax["evals_per_s"]},
        "numpy_evals_per_s": reference,
        "environment": env,
        "rows": rows,
    }
    print(format_table(rows))
    print()
    cpu_text = f", CPU-time ratio {cpu_ratio:.2f}" if cpu_ratio else ""
    print(f"JAX float64 (chunk {best_jax['chunk_size']}, {best_jax.get('devices', 1)} device(s)) / numpy: {summary['ratio']:.2f}x in wall time{cpu_text} "
          f"(goal >= 10x); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(json.dumps(summary))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
