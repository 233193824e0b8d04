#!/usr/bin/env python3
"""Per-model summary of Z' scans: where Δa_μ is explained while every enabled constraint passes.

    python3 scripts/zprime_summary.py DIR [DIR ...] [--json] [--all]
    python3 scripts/zprime_summary.py --card runs/zprime_lmutau.toml --out WORK [--sets paper2022 current] [--json] [--all]
    python3 scripts/zprime_summary.py DIR --by-category      # models grouped (catalog scans)
    python3 scripts/zprime_summary.py DIR --breakdown        # what cuts the Δa_μ band, per m_Z' bin

The first form reads finished runs (``flavorscan run``); the second runs the card once per measurement set
(the card's ``measurements`` replaced; output in WORK/<set>, resumed if already there) and summarises each.

Per model (charge set; rows are attributed by their charge columns): points, rows where the ``delta_a_mu``
constraint passes, viable rows (every enabled constraint passes) and the min/max of g_X and m_Zp over the
viable rows. ``points`` and ``pass_delta_a_mu`` count stored rows, so they are complete only for cards with
keep = "all" (the output says so). Text output lists the models with a viable row (``--all``: every model).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flavorscan.kernels  # noqa: E402,F401  (float64)
from flavorscan.scanner.errors import UserError  # noqa: E402
from flavorscan.kernels.names import CHARGE_COLUMNS  # noqa: E402
from flavorscan.scanner.models.zprime.summary import G2_CONSTRAINT, summarize  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def summarize_run(directory) -> dict:
    import flavorscan.scanner.store as store

    card = store.info(directory)["card"]
    if card.get("model") != "zprime" or "scan" not in card:
        raise UserError(f"{directory}: not a Z' scan (model {card.get('model')!r})")
    wanted = [*CHARGE_COLUMNS, "g_X", "m_Zp", "viable", "point_id"]
    schema = store.info(directory)["columns"]
    if f"pass_{G2_CONSTRAINT}" in schema:
        wanted.append(f"pass_{G2_CONSTRAINT}")
    columns = store.load(directory, wanted) if schema else {}
    result = summarize(columns, card)
    result["run"] = str(directory)
    return result


def run_card(card_path, out: Path, sets) -> list[Path]:
    """Run the card once per measurement set into out/<set> (resumes) and return the directories."""
    from flavorscan.scanner.config import resolve_card
    from flavorscan.scanner.engine import ScanEngine
    from flavorscan.scanner.provenance import provenance
    from flavorscan.scanner.store import RunWriter

    raw = tomllib.loads(Path(card_path).read_text(encoding="utf-8"))
    directories = []
    for name in sets:
        raw["measurements"] = name
        card = resolve_card(raw, str(card_path))
        if card["model"] != "zprime" or "scan" not in card:
            raise UserError(f"{card_path}: not a Z' [scan] card")
        engine = ScanEngine(card)
        info = dict(provenance(), seed=card["scan"]["seed"], measurements=name)
        directory = out / name
        with RunWriter(directory, card, info, planned_chunks=engine.n_chunks) as writer:
            engine.run(writer)
        directories.append(directory)
    return directories


BREAKDOWN_EDGES = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 10.0)


def breakdown(directory, edges=BREAKDOWN_EDGES) -> dict:
    """Rows passing delta_a_mu per m_Zp bin, the viable ones and, per other enabled constraint, how many of them
    fail it (a row can fail several)."""
    import numpy as np

    import flavorscan.scanner.store as store

    card = store.info(directory)["card"]
    names = [c["name"] for c in card["likelihood"]["constraints"] if c["name"] != G2_CONSTRAINT]
    cols = store.load(directory, ["m_Zp", "viable", f"pass_{G2_CONSTRAINT}", *[f"pass_{n}" for n in names]])
    band = cols[f"pass_{G2_CONSTRAINT}"].astype(bool)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = band & (cols["m_Zp"] >= lo) & (cols["m_Zp"] < hi)
        rows.append({"m_lo": lo, "m_hi": hi, "band": int(sel.sum()), "viable": int((sel & cols["viable"].astype(bool)).sum()),
                     "fail": {n: int((sel & ~cols[f"pass_{n}"].astype(bool)).sum()) for n in names}})
    return {"run": str(directory), "measurements": card["measurements"], "constraints": names, "bins": rows}


def format_breakdown(result: dict) -> str:
    names = [n for n in result["constraints"] if any(b["fail"][n] for b in result["bins"])]
    lines = [f"run {result['run']}  (measurements {result['measurements']}): rows passing Δa_μ, by m_Z′, and how many "
             "of them fail each constraint (constraints that fail none are omitted)",
             "| m_Z′ [GeV] | Δa_μ passes | viable | " + " | ".join(f"fail {n}" for n in names) + " |",
             "|---|---:|---:|" + "---:|" * len(names)]
    for b in result["bins"]:
        lines.append(f"| {b['m_lo']:g} – {b['m_hi']:g} | {b['band']} | {b['viable']} | "
                     + " | ".join(str(b["fail"][n]) for n in names) + " |")
    return "\n".join(lines)


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.3g}"


def _charges(card_model: dict) -> str:
    def triple(v):
        return "(" + ",".join(f"{x:g}" for x in v) + ")"

    q = card_model["q"]
    qs = f"{q[0]:g}" if q[0] == q[1] == q[2] else triple(q)
    return f"q={qs} L={triple(card_model['L'])} E={triple(card_model['E'])} N={triple(card_model['N'])}"


def category(card_model: dict) -> str:
    """Coarse class of a charge set: quark charges, electron charges, muon coupling vector or chiral."""
    quarks = "X_q ≠ 0" if any(card_model["q"]) else "X_q = 0"
    electron = "e charged" if card_model["L"][0] or card_model["E"][0] else "e neutral"
    muon = "μ vector" if card_model["L"][1] == card_model["E"][1] else "μ chiral"
    return f"{quarks}, {electron}, {muon}"


def format_categories(result: dict, models_of_card: dict) -> str:
    """Models grouped by :func:`category`: sets, sets with a viable row, points, Δa_μ passes, viable rows, ranges."""
    groups: dict = {}
    for m in result["models"]:
        groups.setdefault(category(models_of_card[m["model"]]), []).append(m)
    lines = [f"run {result['run']}  (measurements {result['measurements']}), models grouped",
             "| category | sets | sets with viable rows | points | Δa_μ passes | viable | g_X viable | m_Z′ viable [GeV] |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for name in sorted(groups):
        ms = groups[name]
        v = [m for m in ms if m["viable"]]
        g = (_fmt(min(m["g_X_min"] for m in v)) + " – " + _fmt(max(m["g_X_max"] for m in v))) if v else "—"
        mz = (_fmt(min(m["m_Zp_min"] for m in v)) + " – " + _fmt(max(m["m_Zp_max"] for m in v))) if v else "—"
        lines.append(f"| {name} | {len(ms)} | {len(v)} | {sum(m['points'] for m in ms)} | "
                     f"{sum(m['pass_delta_a_mu'] or 0 for m in ms)} | {sum(m['viable'] for m in ms)} | {g} | {mz} |")
    return "\n".join(lines)


def format_text(result: dict, models_of_card: dict, show_all: bool) -> str:
    models = result["models"]
    lines = [f"run {result['run']}  (measurements {result['measurements']}, keep {result['keep']}"
             + ("" if result["complete"] else "; points and Δa_μ passes count stored rows only") + ")"]
    if not result["delta_a_mu_enabled"]:
        lines.append("  (delta_a_mu is not an enabled constraint of this run)")
    header = "| model | charges | points | Δa_μ passes | viable | g_X viable | m_Z′ viable [GeV] |"
    lines += [header, "|---|---|---:|---:|---:|---|---|"]
    shown = [m for m in models if show_all or m["viable"]]
    for m in shown:
        lines.append(f"| {m['model']} | {_charges(models_of_card[m['model']])} | {m['points']} | "
                     f"{'—' if m['pass_delta_a_mu'] is None else m['pass_delta_a_mu']} | {m['viable']} | "
                     f"{_fmt(m['g_X_min'])} – {_fmt(m['g_X_max'])} | {_fmt(m['m_Zp_min'])} – {_fmt(m['m_Zp_max'])} |")
    totals = {k: sum(m[k] or 0 for m in models) for k in ("points", "pass_delta_a_mu", "viable")}
    lines.append(f"| all {len(models)} models ({sum(1 for m in models if m['viable'])} with a viable row) | | "
                 f"{totals['points']} | {totals['pass_delta_a_mu']} | {totals['viable']} | | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="*", help="run directories (or merged files) of Z' scans")
    parser.add_argument("--card", help="run this Z' card once per measurement set, then summarise")
    parser.add_argument("--out", help="with --card: work directory (runs go to OUT/<set>)")
    parser.add_argument("--sets", nargs="+", default=["paper2022", "current"], help="with --card: measurement sets")
    parser.add_argument("--json", action="store_true", help="print a JSON list of per-run summaries")
    parser.add_argument("--all", action="store_true", help="text output: list every model, not only those with viable rows")
    parser.add_argument("--by-category", action="store_true",
                        help="text output: group models by quark/electron charges and muon chirality")
    parser.add_argument("--breakdown", action="store_true",
                        help="text output: per m_Z' bin, the rows passing delta_a_mu and which constraints cut them")
    args = parser.parse_args(argv)
    try:
        runs = [Path(r) for r in args.runs]
        if args.card:
            if not args.out:
                raise UserError("--card needs --out WORK")
            runs += run_card(args.card, Path(args.out), args.sets)
        if not runs:
            raise UserError("give run directories or --card CARD --out WORK")
        results = [summarize_run(r) for r in runs]
    except UserError as exc:
        print(f"zprime_summary: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    if args.breakdown:
        for r in results:
            print(format_breakdown(breakdown(r["run"])))
            print()
        return 0
    import flavorscan.scanner.store as store

    for r in results:
        card_models = {m["label"]: m for m in store.info(r["run"])["card"]["scan"]["models"]}
        print(format_categories(r, card_models) if args.by_category else format_text(r, card_models, args.all))
        print()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        sys.exit(0)
