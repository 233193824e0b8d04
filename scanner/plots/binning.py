"""Numbers behind the figures, no drawing: log-axis decisions, bin edges (automatic counts, a grid scan's
own grid), per-bin minima and flags, and random subsampling of the rows drawn.

Axes are logarithmic when the values are positive and span more than one decade (|z| axes: ``abs:``
expressions and their products, more than half a decade, the letter's style for |couplings|), linear
otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from flavorscan.scanner.plots.data import factors, split_prefix

LOG_DECADES = 1.0  # automatic log axis when positive values span more than this many decades
MODULUS_LOG_DECADES = 0.5  # ... and for |z| axes (abs: expressions and their products)


def is_modulus_expr(expr: str) -> bool:
    """``abs:NAME`` or a product of such (|coupling| axes: log from half a decade on)."""
    return all(split_prefix(f)[0] == "abs" for f in factors(expr))


def log_threshold(expr: str | None) -> float:
    """Decades above which an axis of ``expr`` is logarithmic by default."""
    return MODULUS_LOG_DECADES if expr and is_modulus_expr(expr) else LOG_DECADES


def decades(values: np.ndarray) -> float:
    """Decades spanned by the finite values, log10(max / min); 0 unless there are two or more and all are
    positive."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2 or np.any(v <= 0):
        return 0.0
    return math.log10(v.max() / v.min())


def auto_log(values: np.ndarray, expr: str | None = None) -> bool:
    """True when the finite values are all positive and span more than LOG_DECADES decades
    (MODULUS_LOG_DECADES for ``abs:`` expressions)."""
    return decades(values) > log_threshold(expr)


def log_axis(values, forced: bool | None, expr: str | None = None) -> bool:
    """Whether an axis of ``values`` is logarithmic: ``forced`` (--logx/--linx) if given, else automatic."""
    return auto_log(values, expr) if forced is None else bool(forced)


def usable(mask: np.ndarray, *arrays_and_logs) -> np.ndarray:
    """``mask`` restricted to finite values of every (values, log) pair (and positive ones on log axes)."""
    mask = mask.copy()
    for values, log in arrays_and_logs:
        v = np.asarray(values, dtype=float)
        mask &= np.isfinite(v)
        if log:
            mask &= v > 0
    return mask


def auto_bins(n_rows: int, dims: int, lo: int = 8, hi: int = 60, per_bin: float = 4.0) -> int:
    """Bins per axis so that a random scan puts about ``per_bin`` rows in each bin."""
    return int(np.clip((max(n_rows, 1) / per_bin) ** (1.0 / dims), lo, hi))


def _regular_edges(values: np.ndarray, log: bool, bins: int) -> np.ndarray:
    """``bins`` equal bins (in log10 on a log axis) over the values, padded by half a percent."""
    v = np.asarray(values, dtype=float)
    lo, hi = float(v.min()), float(v.max())
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    if hi <= lo:
        pad = 0.5 if log else max(abs(lo) * 0.05, 1e-12)
        lo, hi = lo - pad, hi + pad
    pad = 0.005 * (hi - lo)
    e = np.linspace(lo - pad, hi + pad, bins + 1)
    return 10.0**e if log else e


def _is_grid(values: np.ndarray, u: np.ndarray, log: bool) -> bool:
    """A grid axis: every distinct value repeats (a 2D grid), or the distinct values are evenly spaced."""
    if values.size >= 2 * u.size:
        return True
    t = np.log10(u) if log else u
    d = np.diff(t)
    return bool(d.size >= 2 and np.all(d > 0) and np.ptp(d) <= 1e-6 * np.mean(d))


def grid_edges(values: np.ndarray, log: bool, bins: int, max_unique: int = 200) -> np.ndarray:
    """Bin edges: for a grid scan (few distinct values) the midpoints between them, else ``bins`` bins."""
    values = np.asarray(values, dtype=float)
    u = np.unique(values)
    if 3 <= u.size <= max_unique and _is_grid(values, u, log):
        t = np.log10(u) if log else u
        mids = 0.5 * (t[1:] + t[:-1])
        first = t[0] - (mids[0] - t[0])
        last = t[-1] + (t[-1] - mids[-1])
        e = np.concatenate([[first], mids, [last]])
        return 10.0**e if log else e
    return _regular_edges(values, log, bins)


def bin_index(values, edges) -> np.ndarray:
    """Index of each value's bin (values outside the edges go to the first or last bin)."""
    idx = np.searchsorted(edges, values, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def bin_centres(edges, log: bool) -> np.ndarray:
    """Centres of the bins (geometric on a log axis)."""
    return np.sqrt(edges[1:] * edges[:-1]) if log else 0.5 * (edges[1:] + edges[:-1])


def binned_min(ix, iy, values, nx, ny) -> np.ndarray:
    """min of ``values`` per (ix, iy) bin; NaN where empty."""
    out = np.full(nx * ny, np.inf)
    np.minimum.at(out, ix * ny + iy, values)
    out[np.isinf(out)] = np.nan
    return out.reshape(nx, ny)


def binned_any(ix, iy, flags, nx, ny) -> np.ndarray:
    """Per bin: 1.0 if some row's flag is true, 0.0 if all false, NaN where empty."""
    key = ix * ny + iy
    count = np.bincount(key, minlength=nx * ny)
    hits = np.bincount(key, weights=flags.astype(float), minlength=nx * ny)
    out = np.where(count > 0, (hits > 0).astype(float), np.nan)
    return out.reshape(nx, ny)


def subsample(mask: np.ndarray, keep_always: np.ndarray | None, max_points: int) -> tuple[np.ndarray, bool]:
    """(indices of at most ``max_points`` rows of ``mask``, whether some were left out): every
    ``keep_always`` row first, the rest at random (fixed seed)."""
    idx = np.flatnonzero(mask)
    if idx.size <= max_points:
        return idx, False
    rng = np.random.default_rng(0)
    if keep_always is not None:
        must = idx[keep_always[idx]]
        rest = idx[~keep_always[idx]]
    else:
        must, rest = idx[:0], idx
    room = max(max_points - must.size, 0)
    pick = rng.choice(rest, size=min(room, rest.size), replace=False) if room else rest[:0]
    return np.sort(np.concatenate([must, pick])), True
