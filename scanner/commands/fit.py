"""``flavorscan fit CARD [--json]``: fit a [point] card's free parameters to its enabled constraints.

The free parameters, optimizer and starts come from the card's [refine] table (docs/refinement.md). Starts:
the card's point, then ``n_starts - 1`` random ones (seeded); the result is the best start (viable first,
then lowest loss). ``--json`` prints {"params", "start_params", "observables", "chi2_total", "viable",
"steps", "converged", ...}.
"""

from __future__ import annotations

import json

from flavorscan.scanner.progress import add_progress_option


def register(subparsers):
    parser = subparsers.add_parser("fit", help="fit a [point] card's free parameters ([refine]) to its constraints")
    parser.add_argument("card", help="run card (TOML) with a [point] table and optionally a [refine] table")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--steps", type=int, default=None, help="step budget per start (default: [refine] steps)")
    parser.add_argument("--n-starts", type=int, default=None, help="number of starts (default: [refine] n_starts)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random starts (default: [refine] seed)")
    add_progress_option(parser)
    parser.set_defaults(handler=run)


def format_text(result: dict) -> str:
    from flavorscan.scanner.text import constraint_lines, shown

    moved = [n for n, v in result["params"].items() if v != result["start_params"].get(n)]
    lines = ["parameter                 start            fitted"]
    for name in moved:
        lines.append(f"{name:<20} {shown(result['start_params'][name]):>14}  {shown(result['params'][name]):>14}")
    if not moved:
        lines.append("(no parameter moved)")
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
    from flavorscan.scanner.cardkeys import integer
    from flavorscan.scanner.config import load_card
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.progress import from_args
    from flavorscan.scanner.refine.fit import fit_card
    from flavorscan.scanner.refine.settings import MAX_SEED, MAX_STARTS, MAX_STEPS, settings_of

    for flag, value, lo, hi in (("--steps", args.steps, 0, MAX_STEPS), ("--n-starts", args.n_starts, 1, MAX_STARTS),
                                ("--seed", args.seed, 0, MAX_SEED)):
        if value is not None:
            integer(value, flag, lo=lo, hi=hi)
    card = load_card(args.card)
    if "point" not in card:
        raise UserError(f"{args.card}: has no [point] table (flavorscan refine refines a scan's rows)")
    progress = from_args(args, "fit", unit="starts")
    result = fit_card(card, settings_of(card, steps=args.steps, n_starts=args.n_starts, seed=args.seed),
                      progress=progress)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    else:
        print(format_text(result))
    return 0
