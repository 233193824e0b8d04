"""Discovery rates (``flavorscan bench --model lq-discover``): from a wide prior with no seed texture, for
each measurement set, the evaluations and seconds to the first viable point, and viable points, distinct
families and distinct sign/zero patterns per CPU-minute. The search is exactly ``flavorscan discover``
(:mod:`flavorscan.scanner.discover`) into a temporary run directory; compilation is included in the seconds
to the first viable point (what a user waits for) and in the rates."""

from __future__ import annotations

import tempfile
import time

from flavorscan.kernels.constants import MEASUREMENT_SETS
from flavorscan.scanner.bench.environment import load_average, with_environment
from flavorscan.scanner.errors import UserError

DEFAULT_SECONDS = 60.0


def discovery_rates(card: dict, seconds: float, progress=None) -> dict:
    """One set: run the card's discovery for ``seconds`` (batches in order) and measure it (``progress``: a
    :class:`flavorscan.scanner.progress.Progress` of this run)."""
    from flavorscan.scanner.discover.driver import run_discover

    card = dict(card, discover=dict(card["discover"], seconds=seconds, evals=None))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        summary = run_discover(card, out, progress=progress)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    patterns = {family["pattern"] for family in summary["families"]}
    per_minute = 60.0 / cpu if cpu > 0 else 0.0
    return {
        "seconds": wall,
        "cpu_seconds": cpu,
        "batches": summary["batches_evaluated"],
        "evaluations": summary["evaluations"],
        "viable": summary["viable"],
        "families": len(summary["families"]),
        "patterns": len(patterns),
        "seconds_to_first_viable": summary["seconds_to_first_viable"],
        "evaluations_to_first_viable": summary["evaluations_to_first_viable"],
        "viable_per_cpu_minute": summary["viable"] * per_minute,
        "families_per_cpu_minute": len(summary["families"]) * per_minute,
    }


def bench_discovery(options, model: str, default_card: str) -> dict:
    """The lq-discover benchmark of the command line: ``options.card`` (a card of ``model`` with [scan] and
    [discover]) or the built-in wide prior, for every measurement set, ``options.seconds_budget`` seconds each
    (default 60), seed ``options.seed``."""
    import copy
    from pathlib import Path

    from flavorscan.scanner.bench.yields import builtin_raw
    from flavorscan.scanner.cardkeys import parse_toml
    from flavorscan.scanner.config import MAX_CARD_BYTES, resolve_card
    from flavorscan.scanner.files import read_regular_file
    from flavorscan.scanner.progress import from_args

    if options.card:
        base = parse_toml(read_regular_file(options.card, MAX_CARD_BYTES, "card"), options.card)
        folder = Path(options.card).parent
    else:
        base, folder = builtin_raw(default_card), None
    if base.get("model") != model or "scan" not in base or "discover" not in base:
        raise UserError(f"--card {options.card}: {options.model} needs a {model} card with [scan] and [discover] tables")
    seconds = options.seconds_budget or DEFAULT_SECONDS
    load_before = load_average()
    sets = {}
    for name in MEASUREMENT_SETS:
        raw = copy.deepcopy(base)
        raw["measurements"] = name
        raw["scan"]["seed"] = options.seed
        sets[name] = discovery_rates(resolve_card(raw, f"{options.model} card", base=folder), seconds,
                                     from_args(options, f"bench {options.model} ({name})"))
    result = {"model": options.model, "seconds_budget": seconds, "seed": options.seed, "sets": sets}
    result = with_environment(result, load_before)
    result["dtype"] = "float64" if result["x64"] else "float32"
    return result

