"""Per-model summary of a Z' run: where Δa_μ is explained and every enabled constraint passes
(scripts/zprime_summary.py tabulates it for docs/zprime-scans.md)."""

from __future__ import annotations

import numpy as np

from flavorscan.kernels.names import CHARGE_COLUMNS

G2_CONSTRAINT = "delta_a_mu"


def summarize(columns: dict, card: dict) -> dict:
    """Per model of a Z' run: points, rows passing the Δa_μ constraint, viable rows, g_X and m_Zp ranges of
    the viable rows. ``columns`` from flavorscan.scanner.store.load, ``card`` the run's resolved card.

    Rows are attributed to a model by their charge columns. ``points`` and ``pass_delta_a_mu`` count the
    stored rows, i.e. every point only for keep = "all" (``complete`` says which)."""
    scan = card["scan"]
    models = scan["models"]
    complete = scan["keep"] == "all"
    keys = np.stack([np.asarray(columns[c], dtype=np.float64) for c in CHARGE_COLUMNS], axis=1) if columns else np.empty((0, 21))
    table_ = np.array([[*m["q"], *m["L"], *m["E"], *m["N"]] for m in models], dtype=np.float64)
    has_g2 = f"pass_{G2_CONSTRAINT}" in columns
    per_model = []
    for index, m in enumerate(models):
        mine = np.all(keys == table_[index][None, :], axis=1)
        viable = mine & columns["viable"].astype(bool) if columns else mine
        entry = {
            "model": m["label"],
            "points": int(mine.sum()),
            "pass_delta_a_mu": int((mine & columns[f"pass_{G2_CONSTRAINT}"].astype(bool)).sum()) if has_g2 else None,
            "viable": int(viable.sum()),
        }
        for col in ("g_X", "m_Zp"):
            vals = columns[col][viable] if columns else np.empty(0)
            entry[f"{col}_min"] = float(vals.min()) if vals.size else None
            entry[f"{col}_max"] = float(vals.max()) if vals.size else None
        per_model.append(entry)
    return {"measurements": card["measurements"], "keep": scan["keep"], "complete": complete,
            "delta_a_mu_enabled": has_g2, "rows": int(len(columns.get("point_id", []))), "models": per_model}
