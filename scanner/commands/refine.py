"""``flavorscan refine DIR [--out DIR2] [--steps N]``: gradient refinement of a run's candidate rows.

Reads the rows of DIR flagged ``candidate`` (the scan's ``best_per_chunk`` seeds; all rows if the run has
no such column, or with ``--all``), refines them with the run card's [refine] settings (defaults if it has
none; see scanner/refine.py and docs/refinement.md) and writes the refined rows into DIR2 (default
DIR/refined) with the run's column schema plus ``parent_point_id`` and the diagnostics columns
(refine_steps, refine_status, refine_start_loss, refine_loss, refine_n_failing, refine_failing). Refined
rows keep the parent's ``point_id`` and ``chunk``; DIR2 is written chunk by chunk through RunWriter, so an
interrupted refinement resumes where it stopped. Prints a one-line JSON summary.
"""

from __future__ import annotations

import json
import sys
import time


def register(subparsers):
    from flavorscan.scanner.refine import OPTIMIZERS

    parser = subparsers.add_parser("refine", help="gradient refinement of a run's best candidates (optax)")
    parser.add_argument("directory", help="run directory written by flavorscan run")
    parser.add_argument("--out", default=None, help="output run directory (default DIR/refined)")
    parser.add_argument("--steps", type=int, default=None, help="step budget per point (default: [refine] steps)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="optax optimizer (default: [refine])")
    parser.add_argument("--learning-rate", type=float, default=None, help="learning rate (default: [refine])")
    parser.add_argument("--all", action="store_true", help="refine every stored row, not only candidate rows")
    parser.add_argument("--restart", action="store_true", help="discard a previous refinement in the output directory")
    parser.set_defaults(handler=run)


def run_card(directory) -> tuple[dict, str]:
    """(resolved card, card hash) of a run directory, from its run.json."""
    from pathlib import Path

    from flavorscan.scanner.errors import UserError

    path = Path(directory)
    if not path.is_dir():
        raise UserError(f"{directory}: not a run directory" if path.exists() else f"{directory}: no such directory")
    try:
        with open(path / "run.json", encoding="utf-8") as fh:
            run = json.load(fh)
    except FileNotFoundError:
        raise UserError(f"{directory} is not a flavorscan run directory (no run.json)") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {path / 'run.json'}: {str(exc).splitlines()[0]}") from None
    card = run.get("card") if isinstance(run, dict) else None
    if not isinstance(card, dict) or "model" not in card:
        raise UserError(f"{path / 'run.json'} holds no run card")
    return card, str(run.get("card_hash", ""))


def run(args) -> int:
    from pathlib import Path

    import numpy as np

    from flavorscan.scanner.commands import require_float64
    from flavorscan.scanner.errors import UserError

    require_float64("refine")

    if args.steps is not None:
        from flavorscan.scanner.config import integer
        from flavorscan.scanner.refine import MAX_STEPS

        integer(args.steps, "--steps", lo=0, hi=MAX_STEPS)
    if args.learning_rate is not None and not args.learning_rate > 0:
        raise UserError(f"--learning-rate: must be > 0, got {args.learning_rate}")
    card, parent_hash = run_card(args.directory)
    if card["model"] != "lq":
        raise UserError(f"{args.directory}: refinement supports model = \"lq\" runs only")
    if "scan" not in card:
        raise UserError(f"{args.directory}: the run card has no [scan] table")
    out_dir = Path(args.out) if args.out else Path(args.directory) / "refined"
    if out_dir.resolve() == Path(args.directory).resolve():
        raise UserError("--out: must differ from the run directory")

    from flavorscan.scanner import store
    from flavorscan.scanner.provenance import provenance
    from flavorscan.scanner.refine import DEFAULTS, I0_NAMES, parameter_column_names, refine_rows, settings_of

    overrides = {"steps": args.steps, "optimizer": args.optimizer, "learning_rate": args.learning_rate}
    settings = settings_of(card, **overrides)
    card_optimizer = (card.get("refine") or {}).get("optimizer")
    if args.optimizer is not None and args.learning_rate is None and card_optimizer != args.optimizer:
        settings["learning_rate"] = DEFAULTS["learning_rate"]  # the new optimizer's default rate

    schema = store.info(args.directory)["columns"]
    if not schema:
        raise UserError(f"{args.directory}: the run has no rows")
    wanted = parameter_column_names() + ["point_id"]
    wanted += [n for n in ("chunk", "candidate", "viable", *I0_NAMES) if n in schema]
    missing = [n for n in wanted if n not in schema]
    if missing:
        raise UserError(f"{args.directory}: no column {missing[0]!r} (not a leptoquark scan of this version?)")
    rows = store.load(args.directory, wanted)
    if "candidate" in rows and not args.all:
        keep = rows["candidate"].astype(bool)
        rows = {k: v[keep] for k, v in rows.items()}
    n_rows = len(rows["point_id"])
    if n_rows == 0:
        raise UserError(f"{args.directory}: no candidate rows to refine (scan with best_per_chunk > 0, or use --all)")
    if "chunk" not in rows:
        rows["chunk"] = rows["point_id"] // card["scan"]["chunk_size"]

    out_card = dict(card, refine=settings)
    # which rows are refined is part of what the output is: --all into a candidates-only output is refused
    identity = {"card": out_card, "parent_card_hash": parent_hash, "rows": "all" if args.all else "candidates"}
    info = dict(provenance(), seed=card["scan"]["seed"], measurements=card["measurements"],
                refined_from=str(args.directory), parent_card_hash=parent_hash)
    chunks = np.unique(rows["chunk"])
    summary = {"out": str(out_dir), "rows_refined": 0, "rows_skipped": 0, "viable_before": 0, "viable_after": 0,
               "converged": 0, "optimizer": settings["optimizer"], "steps": settings["steps"]}
    start = time.perf_counter()
    with store.RunWriter(out_dir, out_card, info, restart=args.restart, identity=identity) as writer:
        done = writer.finished_chunks()
        pending = [int(c) for c in chunks if int(c) not in done]
        summary["rows_skipped"] = int(np.count_nonzero(np.isin(rows["chunk"], list(done)))) if done else 0
        batch = settings["batch_size"]
        group: list[int] = []
        group_rows = 0
        for position, c in enumerate(pending):
            group.append(c)
            group_rows += int(np.count_nonzero(rows["chunk"] == c))
            if group_rows < batch and position < len(pending) - 1:
                continue
            mask = np.isin(rows["chunk"], group)
            part = {k: v[mask] for k, v in rows.items()}
            refined = refine_rows(card, part, settings)
            for chunk in group:
                mine = refined["chunk"] == chunk
                piece = {k: v[mine] for k, v in refined.items()}
                writer.add_chunk(chunk, piece, counts={"points": int(mine.sum()),
                                                       "viable": int(np.count_nonzero(piece["viable"]))})
            summary["rows_refined"] += len(part["point_id"])
            if "viable" in part:
                summary["viable_before"] += int(np.count_nonzero(part["viable"]))
            summary["converged"] += int(np.count_nonzero(refined["refine_status"] == 0))
            summary["viable_after"] += int(np.count_nonzero(refined["viable"]))
            group, group_rows = [], 0
    summary["seconds"] = round(time.perf_counter() - start, 3)
    print(json.dumps(summary), file=sys.stdout)
    return 0
