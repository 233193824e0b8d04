"""Families of viable points: distinct textures (``flavorscan discover`` and ``flavorscan info``).

Two viable points are in one family when their textures have the same sign/zero pattern — every entry of the
model's ``texture_columns`` counted as non-zero when its modulus exceeds ``threshold`` (default 1e-4), with
the sign of its real part (the phase of a complex entry is not part of the pattern) — and they are linked by
a chain of points each within ``distance`` decades (default 1) of the next in max-norm of log10|coupling| over
the non-zero entries (single linkage). A family's representative is its point of lowest chi2_total.
"""

from __future__ import annotations

import numpy as np

from flavorscan.scanner import models

MAX_POINTS = 200_000
"""Families are computed over at most this many viable rows (the lowest chi2_total ones)."""


def texture_matrix(spec, columns: dict) -> tuple[np.ndarray, list[str]]:
    """(|z| per row and entry, entry names): the texture columns combined into moduli (real and _im parts)."""
    names = [n for n in spec.texture_columns if not n.endswith("_im")]
    moduli = []
    for name in names:
        real = np.asarray(columns[name], dtype=np.float64)
        imag = np.asarray(columns.get(f"{name}_im", np.zeros_like(real)), dtype=np.float64)
        moduli.append(np.hypot(real, imag) * np.where(real < 0, -1.0, 1.0))
    return np.stack(moduli, axis=1), names


def families(card: dict, columns: dict, threshold: float | None = None, distance: float | None = None) -> list[dict]:
    """The families of the viable rows of ``columns`` (a run's rows): [{"pattern", "count", "representative"
    (point_id), "chi2_total"}] by decreasing count. [] for a model without texture columns or no viable row."""
    spec = models.get(card["model"])
    settings = card.get("discover", {})
    threshold = settings.get("family_threshold", 1e-4) if threshold is None else threshold
    distance = settings.get("family_distance", 1.0) if distance is None else distance
    if not spec.texture_columns or not columns or "viable" not in columns:
        return []
    viable = np.flatnonzero(np.asarray(columns["viable"]).astype(bool))
    if viable.size == 0:
        return []
    chi2 = np.asarray(columns.get("chi2_total", np.zeros(len(columns["viable"]))), dtype=np.float64)
    viable = viable[np.argsort(np.where(np.isfinite(chi2[viable]), chi2[viable], np.inf), kind="stable")][:MAX_POINTS]
    signed, names = texture_matrix(spec, {k: np.asarray(v)[viable] for k, v in columns.items()
                                          if k in spec.texture_columns})
    on = np.abs(signed) > threshold
    patterns = np.where(on, np.sign(signed), 0).astype(np.int8)
    logs = np.where(on, np.log10(np.maximum(np.abs(signed), 1e-300)), 0.0)
    found = []
    keys, inverse = np.unique(patterns, axis=0, return_inverse=True)
    for k in range(len(keys)):
        members = np.flatnonzero(inverse.reshape(-1) == k)
        for group in _single_linkage(logs[members], distance):
            rows = members[group]
            best = rows[0]  # sorted by chi2_total above
            found.append({
                "pattern": _pattern_text(keys[k], names),
                "count": int(len(rows)),
                "representative": int(np.asarray(columns["point_id"])[viable[best]]),
                "chi2_total": float(chi2[viable[best]]),
            })
    found.sort(key=lambda f: (-f["count"], f["chi2_total"]))
    return found


def _single_linkage(points: np.ndarray, distance: float) -> list[np.ndarray]:
    """Connected components of the graph linking points within ``distance`` in max-norm (index order kept)."""
    n = len(points)
    label = np.full(n, -1)
    components = []
    for seed in range(n):
        if label[seed] >= 0:
            continue
        label[seed] = len(components)
        frontier, members = [seed], [seed]
        while frontier:
            current = frontier.pop()
            near = np.flatnonzero((label < 0) & (np.max(np.abs(points - points[current]), axis=1) <= distance))
            label[near] = label[seed]
            frontier.extend(near.tolist())
            members.extend(near.tolist())
        components.append(np.sort(np.asarray(members)))
    return components


def _pattern_text(pattern: np.ndarray, names: list[str]) -> str:
    """The non-zero entries with their signs, e.g. "+fR_ce -yL_tmu"."""
    return " ".join(f"{'+' if s > 0 else '-'}{n}" for s, n in zip(pattern, names) if s != 0) or "(all zero)"


def format_families(found: list[dict], limit: int = 20) -> list[str]:
    lines = [f"families: {len(found)}"]
    for f in found[:limit]:
        lines.append(f"  {f['count']:>6} points  best point_id {f['representative']} (chi2 {f['chi2_total']:.3g}): {f['pattern']}")
    if len(found) > limit:
        lines.append(f"  ... {len(found) - limit} more")
    return lines


def run_families(directory, summary: dict) -> list[dict] | None:
    """The families of a run directory's viable rows (None when its model has no texture columns or is not
    registered); ``summary`` is its :func:`flavorscan.scanner.store.info`."""
    from flavorscan.scanner import store
    from flavorscan.scanner.errors import UserError

    card = summary.get("card") or {}
    try:
        spec = models.get(card.get("model"))
    except UserError:
        return None
    if not spec.texture_columns or not summary.get("viable_rows"):
        return None
    if any(name not in summary["columns"] for name in spec.texture_columns):
        return None  # not a run of this version's texture layout
    names = [n for n in (*spec.texture_columns, "viable", "chi2_total", "point_id") if n in summary["columns"]]
    return families(card, store.load(directory, names))
