"""``flavorscan fit CARD [--json]``: fit a [point] card's free parameters to its enabled constraints.

The free parameters, optimizer and starts come from the card's [refine] table (scanner/refine.py,
docs/refinement.md). Starts: the card's point, then ``n_starts - 1`` random ones (seeded); the result is
the best start (viable first, then lowest loss). ``--json`` prints {"params", "observables",
"chi2_total", "viable", "steps", "converged", ...}.
"""

from __future__ import annotations

import json
import math

from flavorscan.scanner.commands.point import constraint_lines, shown


def register(subparsers):
    parser = subparsers.add_parser("fit", help="fit a [point] card's free parameters ([refine]) to its constraints")
    parser.add_argument("card", help="run card (TOML) with a [point] table and optionally a [refine] table")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--steps", type=int, default=None, help="step budget per start (default: [refine] steps)")
    parser.add_argument("--n-starts", type=int, default=None, help="number of starts (default: [refine] n_starts)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random starts (default: [refine] seed)")
    parser.set_defaults(handler=run)


def _free_names(settings: dict, result: dict) -> list[str]:
    from flavorscan.scanner.refine import ENTRY_NAMES

    free = settings["free"]
    if free == "all":
        return [n for n, v in result["params"].items() if v not in (0.0, None) and not n.endswith("_im")]
    names = []
    for name in free:
        entry = name[: -len("_phase")] if name.endswith("_phase") else name
        if entry in ENTRY_NAMES:
            names += [entry, f"{entry}_im"]
        elif name in result["params"]:
            names.append(name)
        elif name == "masses":
            names += ["M_R2", "M_S1"]
        elif name in ("couplings", "fR", "fL", "yR", "yL"):
            names += [n for n, v in result["params"].items() if v not in (0.0, None)
                      and (name == "couplings" or n.startswith(name + "_"))]
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def format_text(result: dict, start: dict, settings: dict) -> str:
    lines = ["parameter                 start            fitted"]
    for name in _free_names(settings, result):
        a, b = start.get(name), result["params"].get(name)
        if name.endswith("_im") and not a and not b:
            continue  # a real entry whose phase stayed fixed
        lines.append(f"{name:<20} {shown(a):>14}  {shown(b):>14}")
    lines.append("")
    lines.extend(constraint_lines(result["constraints"]))
    lines.append("")
    lines.append(f"chi2_total = {shown(result['chi2_total'])}    loss = {shown(result['loss'])}    "
                 f"viable = {'yes' if result['viable'] else 'no'}")
    lines.append(
        f"steps = {result['steps']}    status = {result['status']}    best start = {result['start']} of "
        f"{result['n_starts']} ({result['starts_viable']} viable)"
    )
    if result["failing"]:
        lines.append("still failing: " + ", ".join(result["failing"]))
    return "\n".join(lines)


def run(args) -> int:
    from flavorscan.scanner.config import integer, load_card
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.refine import MAX_SEED, MAX_STARTS, MAX_STEPS

    for flag, value, lo, hi in (("--steps", args.steps, 0, MAX_STEPS), ("--n-starts", args.n_starts, 1, MAX_STARTS),
                                ("--seed", args.seed, 0, MAX_SEED)):
        if value is not None:
            integer(value, flag, lo=lo, hi=hi)
    card = load_card(args.card)
    if "point" not in card:
        raise UserError(f"{args.card}: has no [point] table (flavorscan refine refines a scan's rows)")
    if card["model"] != "lq":
        raise UserError(f"{args.card}: fit supports model = \"lq\" only")

    from flavorscan.scanner.refine import fit_card, settings_of

    settings = settings_of(card, steps=args.steps, n_starts=args.n_starts, seed=args.seed)
    result = fit_card(card, settings)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
        return 0
    from flavorscan.kernels.observables import lq_columns_from_params
    from flavorscan.scanner.pipeline import model_inputs, point_params

    start = {k: float(v) for k, v in lq_columns_from_params(point_params(card, model_inputs(card))).items()}
    start = {k: (v if math.isfinite(v) else None) for k, v in start.items()}
    print(format_text(result, start, settings))
    return 0
