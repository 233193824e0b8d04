"""Viable points per second: plain random sampling vs sampling + refinement (``bench --model lq-yield``).

The benchmark itself is generic (any card with a [scan] whose model has a refinement parametrisation); a
model offers it with its own default card (e.g. the leptoquark ``lq-yield``).
"""

from __future__ import annotations

import math
import time
from importlib import resources

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.refine.loop import refiner_for
from flavorscan.scanner.refine.settings import settings_of


def poisson_upper_limit(k: int, confidence: float = 0.95) -> float:
    """One-sided upper limit mu on a Poisson mean after observing k events: P(X <= k | mu) = 1 - confidence
    (k = 0: -ln(1 - confidence) = 2.996 at 95 %). Bisection on the CDF, no scipy."""
    k = int(k)
    alpha = 1.0 - confidence

    def cdf(mu):
        # sum_{i<=k} exp(-mu) mu^i / i!, in logs
        terms = [i * math.log(mu) - mu - math.lgamma(i + 1) for i in range(k + 1)]
        top = max(terms)
        return math.exp(top) * sum(math.exp(t - top) for t in terms)

    lo, hi = 0.0, k + 10.0 + 10.0 * math.sqrt(k + 1)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def yield_benchmark(card: dict, n_random: int, seconds_budget: float | None = None, progress=None) -> dict:
    """Viable points per second: plain random sampling of ``card``'s [scan] vs sampling + refinement of
    the best candidates (best_per_chunk per chunk, default chunk_size // 64), same card, same process.
    Returns the keys of interface.md plus speedup (None without random viable points),
    viable_per_s_random_upper95 and speedup_lower95 (the one-sided Poisson 95% upper limit on the random
    rate from its count, 2.996 / seconds_random for none, and the speedup lower limit it implies),
    seconds_refinement_only.

    Random: the engine evaluates ceil(n_random / chunk_size) chunks; rate = viable points / sampling
    seconds. Refine: the candidate rows of the same sampling pass, refined in batches of the refiner's
    batch size as soon as a batch has accumulated (interleaved with the sampling, so a change of load
    during the run affects both rates alike); rate = refined points that are viable / (sampling +
    refinement seconds). Wall seconds; the same in process CPU seconds as cpu_seconds_random,
    cpu_seconds_refine and speedup_cpu. Compilation is excluded: the engine runs its first chunk(s) and the
    refiner its batch once first. ``seconds_budget`` caps each phase: the run stops after the chunk group
    or batch at which sampling or refinement seconds pass it (counts are then of what was done; candidates
    left unrefined still cost their sampling time, so the refine rate is then conservative). ``progress``: a
    :class:`flavorscan.scanner.progress.Progress` (the warm-up as compilation, then the sampled points and
    the refined rows as kept; it writes outside the timed calls).
    """
    from flavorscan.scanner import models
    from flavorscan.scanner.engine import ScanEngine

    if "scan" not in card:
        raise UserError("yield benchmark needs a card with a [scan] table")
    card = dict(card)
    scan = dict(card["scan"])
    scan["n"] = int(n_random)
    scan["chunk_size"] = min(scan["chunk_size"], int(n_random))
    if not scan.get("best_per_chunk"):
        scan["best_per_chunk"] = max(1, scan["chunk_size"] // 64)
    scan["best_per_chunk"] = min(scan["best_per_chunk"], scan["chunk_size"])  # a small n shrinks the chunk
    card["scan"] = scan
    settings = settings_of(card)
    if progress is not None:
        progress.begin_compile("the scan and refinement kernels")
    engine = ScanEngine(card)
    refiner = refiner_for(card, settings)

    chunks = list(range(engine.n_chunks))
    per_step = len(engine.devices)
    expected_candidates = len(chunks) * scan["best_per_chunk"]
    batch = refiner.batch_size_for(expected_candidates, settings)
    # warm-up (compilation excluded from the timings): chunk 0 through the engine, its candidates
    # through the refiner at the batch size used below
    params_from_rows = models.get(card["model"]).params_from_columns
    warm = engine.evaluate_chunks(chunks[:per_step])
    warm_rows = [rows for rows, _ in warm.values() if len(rows["point_id"]) and np.any(rows["candidate"])]
    if warm_rows:
        rows = warm_rows[0]
        index = np.resize(np.flatnonzero(rows["candidate"]), batch)
        refiner.refine(params_from_rows(card, {k: v[index] for k, v in rows.items()}), steps=2, batch=batch,
                       settings=settings)
    if progress is not None:
        progress.end_compile("the first step")
        progress.start(scan["n"])

    # Sampling and refinement are interleaved (a batch is refined as soon as enough candidates have
    # accumulated), so a change of the machine's load during the run affects both phases alike; their
    # wall and CPU seconds are summed separately.
    random_points = random_viable = refined_points = refined_viable = 0
    pending: list = []
    clock = {"sampling": 0.0, "refinement": 0.0, "sampling_cpu": 0.0, "refinement_cpu": 0.0}

    def timed(phase, function, *args):
        t0, c0 = time.perf_counter(), time.process_time()
        out = function(*args)
        clock[phase] += time.perf_counter() - t0
        clock[phase + "_cpu"] += time.process_time() - c0
        return out

    def refine_batch(part):
        nonlocal refined_points, refined_viable
        out = timed("refinement", lambda: refiner.refine(params_from_rows(card, part), steps=settings["steps"],
                                                          batch=batch, settings=settings))
        refined_points += len(part["point_id"])
        refined_viable += int(np.count_nonzero(out["viable"]))

    def over_budget(phase):
        return seconds_budget is not None and clock[phase] > seconds_budget

    for step in range(0, len(chunks), per_step):
        group = chunks[step: step + per_step]
        for rows, counts in timed("sampling", engine.evaluate_chunks, group).values():
            random_points += int(counts["points"])
            random_viable += int(counts["viable"])
            if len(rows["point_id"]):
                keep = rows["candidate"]
                pending.append({k: v[keep] for k, v in rows.items()})
        while pending and sum(len(r["point_id"]) for r in pending) >= batch and not over_budget("refinement"):
            merged = {k: np.concatenate([r[k] for r in pending]) for k in pending[0]}
            refine_batch({k: v[:batch] for k, v in merged.items()})
            pending = [{k: v[batch:] for k, v in merged.items()}]
        if progress is not None:
            progress.update(random_points, viable=random_viable + refined_viable)
        if over_budget("sampling") or over_budget("refinement"):
            break
    if progress is not None:
        progress.close()
    if pending and not over_budget("refinement"):
        merged = {k: np.concatenate([r[k] for r in pending]) for k in pending[0]}
        for lo in range(0, len(merged["point_id"]), batch):
            if len(merged["point_id"][lo: lo + batch]):
                refine_batch({k: v[lo: lo + batch] for k, v in merged.items()})
            if over_budget("refinement"):
                break
    seconds_random = clock["sampling"]
    seconds_refinement = clock["refinement"]
    seconds_refine = seconds_random + seconds_refinement
    rate_random = random_viable / seconds_random if seconds_random > 0 else 0.0
    rate_refine = refined_viable / seconds_refine if seconds_refine > 0 else 0.0
    # the one-sided Poisson 95% upper limit on the random rate (0 viable points: 2.996 / seconds_random),
    # and the lower limit on the speedup it implies (the refined count is taken as exact)
    upper = poisson_upper_limit(random_viable) / seconds_random if seconds_random > 0 else None
    return {
        "viable_per_s_random": rate_random,
        "viable_per_s_refine": rate_refine,
        "speedup": rate_refine / rate_random if rate_random > 0 else None,
        "viable_per_s_random_upper95": upper,
        "speedup_lower95": rate_refine / upper if upper else None,
        "random_points": random_points,
        "random_viable": random_viable,
        "refined_points": refined_points,
        "refined_viable": refined_viable,
        "seconds_random": seconds_random,
        "seconds_refine": seconds_refine,
        "seconds_refinement_only": seconds_refinement,
        "cpu_seconds_random": clock["sampling_cpu"],
        "cpu_seconds_refine": clock["sampling_cpu"] + clock["refinement_cpu"],
        # the same ratio in process CPU seconds (all threads): less sensitive to other load on the machine
        "speedup_cpu": (refined_viable * clock["sampling_cpu"]
                        / (random_viable * (clock["sampling_cpu"] + clock["refinement_cpu"])))
        if random_viable and clock["sampling_cpu"] > 0 else None,
        "best_per_chunk": scan["best_per_chunk"],
        "refine_steps": settings["steps"],
        "optimizer": settings["optimizer"],
        "constraints": len(refiner.constraint_names),
    }


def builtin_raw(reference: str) -> dict:
    """The parsed (not yet resolved) built-in card ``package/name.toml`` (a file in that package's cards/)."""
    from flavorscan.scanner.cardkeys import parse_toml

    package, _, name = reference.rpartition("/")
    return parse_toml((resources.files(package) / "cards" / name).read_bytes(), name)


def builtin_card(reference: str) -> dict:
    """The resolved built-in card ``package/name.toml``."""
    from flavorscan.scanner.config import resolve_card

    return resolve_card(builtin_raw(reference), reference.rpartition("/")[2])


def bench_yield(options, model: str, default_card: str) -> dict:
    """The yield benchmark of the command line: ``options.card`` (a card of ``model`` with a [scan]) or the
    built-in ``default_card`` (:func:`builtin_card`), ``options.n`` random points (default: the card's n),
    ``options.chunk_size``, ``options.seconds_budget``."""
    from flavorscan.scanner.bench.environment import load_average, with_environment
    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.progress import from_args

    card = load_card(options.card) if options.card else builtin_card(default_card)
    if card["model"] != model or "scan" not in card:
        raise UserError(f"--card {options.card}: {options.model} needs a {model} card with a [scan] table")
    if options.chunk_size is not None:
        card = dict(card, scan=dict(card["scan"], chunk_size=options.chunk_size))
    n = options.n if options.n is not None else card["scan"]["n"]
    load_before = load_average()
    result = {"model": options.model, "n": n}
    result.update(yield_benchmark(card, n, seconds_budget=options.seconds_budget,
                                  progress=from_args(options, f"bench {options.model}")))
    result = with_environment(result, load_before)
    result.setdefault("dtype", "float64" if result["x64"] else "float32")
    return result
