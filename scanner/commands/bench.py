"""``flavorscan bench --model NAME [--n N] [--json] [--chunk-size C] [--dtype D] [--repeat R] ...``.

NAME is a registered model (the throughput of its fixed benchmark card: {"model", "n", "dtype", "device",
"compile_seconds", "seconds", "evals_per_s", ...}, docs/interface.md) or a benchmark a model adds (e.g.
``lq-yield``); the benchmarks themselves are :mod:`flavorscan.scanner.bench`.

float32: JAX's 64-bit mode is a process-wide switch set when :mod:`flavorscan.kernels` is imported
(FLAVORSCAN_X64). When the requested dtype differs from the mode of this process, the command re-runs itself
in a child process with FLAVORSCAN_X64 set accordingly and relays its output and exit status (its stderr,
progress and errors, is the command's own); the child then checks that the computed columns really have
the requested dtype.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from flavorscan.scanner.progress import add_progress_option

CHILD_MARK = "FLAVORSCAN_BENCH_CHILD"
OPTIONAL = {"card": "--card", "seconds_budget": "--seconds-budget", "breakdown": "--breakdown"}


def register(subparsers):
    parser = subparsers.add_parser("bench", help="time the full scan pipeline (compile excluded)")
    parser.add_argument("--model", required=True,
                        help="a model (lq, zprime: throughput of its fixed work) or a model's benchmark "
                             "(lq-yield: viable points/s, random vs refined)")
    parser.add_argument("--n", type=int, default=None, help="points to evaluate (default 65536; lq-yield: the card's [scan] n)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--chunk-size", type=int, default=None, help="points per chunk (default min(n, 4096) on a CPU, min(n, 2**20) on a GPU)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="float64 (default) or float32 (re-runs in a process with FLAVORSCAN_X64=0)")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes over the n points; the fastest is reported")
    parser.add_argument("--seed", type=int, default=0, help="scan seed of the bench card")
    parser.add_argument("--breakdown", action="store_true",
                        help="throughput benchmarks: time each pipeline stage on one chunk instead (profiling aid)")
    parser.add_argument("--card", default=None, help="a benchmark that takes a card (lq-yield): a run card with a [scan]")
    parser.add_argument("--seconds-budget", type=float, default=None,
                        help="lq-yield: cap on each phase [s]; lq-discover: seconds per measurement set (default 60)")
    add_progress_option(parser)
    parser.set_defaults(handler=run)


def _check(args, benchmark) -> None:
    from flavorscan.scanner.errors import UserError

    if args.n is not None and args.n < 1:
        raise UserError(f"--n: must be >= 1, got {args.n}")
    if args.chunk_size is not None and not 1 <= args.chunk_size <= 1 << 22:
        raise UserError(f"--chunk-size: must be between 1 and {1 << 22}, got {args.chunk_size}")
    if args.repeat < 1:
        raise UserError(f"--repeat: must be >= 1, got {args.repeat}")
    if args.seed < 0:
        raise UserError(f"--seed: must be >= 0, got {args.seed}")
    for option, flag in OPTIONAL.items():
        if getattr(args, option) not in (None, False) and option not in benchmark.options_used:
            raise UserError(f"{flag}: not an option of --model {args.model}")
    if args.seconds_budget is not None and not args.seconds_budget > 0:
        raise UserError("--seconds-budget: must be a positive number")


def _child_argv(args) -> list[str]:
    argv = [sys.executable, "-m", "flavorscan", "bench", "--model", args.model, "--dtype", args.dtype,
            "--repeat", str(args.repeat), "--seed", str(args.seed)]
    for flag, value in (("--n", args.n), ("--chunk-size", args.chunk_size), ("--card", args.card),
                        ("--seconds-budget", args.seconds_budget)):
        if value is not None:
            argv += [flag, str(value)]
    if args.json:
        argv.append("--json")
    if args.breakdown:
        argv.append("--breakdown")
    # the child reports the progress: it needs the command's -q/-v/--progress-interval
    argv += ["-q"] * args.quiet + ["-v"] * args.verbose + ["--progress-interval", str(args.progress_interval)]
    return argv


def _rerun(args, x64: bool) -> int:
    """Run this benchmark in a child process whose JAX x64 mode matches the requested dtype."""
    from flavorscan.scanner.errors import UserError

    if os.environ.get(CHILD_MARK):
        raise UserError(f"--dtype {args.dtype}: JAX x64 mode could not be set (FLAVORSCAN_X64={os.environ.get('FLAVORSCAN_X64')!r})")
    env = dict(os.environ, FLAVORSCAN_X64="1" if x64 else "0")
    env[CHILD_MARK] = "1"
    sys.stdout.flush()
    # stderr is inherited, not captured: the child's progress (compilation, a bar on a terminal, plain lines)
    # must reach the user while it runs, and its one-line error is written there by its own main()
    completed = subprocess.run(_child_argv(args), env=env, stdout=subprocess.PIPE, text=True)
    sys.stdout.write(completed.stdout)
    sys.stdout.flush()
    if completed.returncode < 0:  # killed by a signal: the child could not say why
        print(f"flavorscan: error: bench child killed by signal {-completed.returncode}", file=sys.stderr)
    return completed.returncode


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _json_safe(value.item())
    return value


def run(args) -> int:
    import warnings

    import jax

    import flavorscan.kernels  # noqa: F401  (sets the x64 mode from FLAVORSCAN_X64)
    from flavorscan.scanner import bench
    from flavorscan.scanner.cardkeys import did_you_mean
    from flavorscan.scanner.errors import UserError

    available = bench.benchmarks()
    if args.model not in available:
        raise UserError(f"--model: unknown benchmark {args.model!r}{did_you_mean(args.model, available)}")
    benchmark = available[args.model]
    _check(args, benchmark)
    want_x64 = args.dtype == "float64"
    if bool(jax.config.jax_enable_x64) != want_x64:
        return _rerun(args, want_x64)
    if not want_x64:  # int64 requests of the engine become int32 without x64: expected, not news
        warnings.filterwarnings("ignore", message="Explicitly requested dtype")
    result = benchmark.run(args)
    if args.json:
        print(json.dumps(_json_safe(result)))
    else:
        print(bench.format_text(result))
    return 0
