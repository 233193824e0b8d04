"""Numbers behind the figures, no drawing: log-axis decisions, bin edges (automatic counts, a grid scan's
own grid), per-bin minima and flags, and random subsampling of the rows drawn.

Axes are logarithmic when the values are positive and span more than one decade (|z| axes: ``abs:``
expressions and their products, more than half a decade, the letter's style for |couplings|); symmetric-log
(:class:`Scale` "symlog") when some values are zero or negative and their magnitudes span more than
SYMLOG_DECADES decades above a low quantile (sign-changing, heavy-tailed observables: on a linear axis
nearly every point would sit on one line); linear otherwise.

Colour scales (:func:`color_limits`) are clipped to the bulk of the values, so that a few extreme rows
(a χ² of 1e24) do not flatten every other colour.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from flavorscan.scanner.plots.data import factors, split_prefix

LOG_DECADES = 1.0  # automatic log axis when positive values span more than this many decades
MODULUS_LOG_DECADES = 0.5  # ... and for |z| axes (abs: expressions and their products)
SYMLOG_DECADES = 2.0  # symlog when the nonzero |values| span more than this from their SYMLOG_QUANTILE up
SYMLOG_QUANTILE = 0.1  # the linear part of a symlog axis reaches the decade below this quantile of |values|
CHI2_COLOR_SPAN = 25.0  # a χ² colour scale spans at most this Δχ² above its minimum (the best keep their colours)
COLOR_QUANTILES = (0.01, 0.99)  # any other colour column: between these quantiles


class Scale(NamedTuple):
    """How an axis maps values: ``kind`` "linear", "log" or "symlog" (``linthresh``: half-width of its
    linear part around zero)."""

    kind: str
    linthresh: float = 0.0

    @property
    def log(self) -> bool:
        return self.kind == "log"


LINEAR, LOG = Scale("linear"), Scale("log")


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


def symlog_threshold(values: np.ndarray) -> float | None:
    """linthresh of a symlog axis for ``values``, or None when none is needed: only when some finite value
    is <= 0 (a log axis cannot show them) and the nonzero magnitudes span more than SYMLOG_DECADES decades
    from their SYMLOG_QUANTILE to their maximum; then the power of ten at or below that quantile."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2 or np.all(v > 0):
        return None
    mags = np.abs(v[v != 0])
    if mags.size < 2:
        return None
    low = float(np.quantile(mags, SYMLOG_QUANTILE))
    if math.log10(mags.max() / low) <= SYMLOG_DECADES:
        return None
    return 10.0 ** math.floor(math.log10(low))


def axis_scale(values, forced: bool | None, expr: str | None = None) -> Scale:
    """The :class:`Scale` of an axis of ``values``: ``forced`` (--logx True / --linx False) if given, else
    log (:func:`auto_log`), symlog (:func:`symlog_threshold`) or linear."""
    if forced is not None:
        return LOG if forced else LINEAR
    if auto_log(values, expr):
        return LOG
    threshold = symlog_threshold(values)
    return Scale("symlog", threshold) if threshold else LINEAR


def log_axis(values, forced: bool | None, expr: str | None = None) -> bool:
    """Whether an axis of ``values`` is logarithmic (binned figures: log or linear bins): ``forced``
    (--logx/--linx) if given, else automatic."""
    return auto_log(values, expr) if forced is None else bool(forced)


def color_limits(values, chi2: bool = False) -> tuple[float, float, bool, str]:
    """(vmin, vmax, log, extend) of a colour scale for ``values``: for χ² from the minimum to at most
    CHI2_COLOR_SPAN above it, linear; for any other column
    between the COLOR_QUANTILES quantiles, logarithmic when those are positive and a factor > 100 apart.
    ``extend`` ("neither", "min", "max", "both") says which ends clip values (colour-bar arrows)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0, 1.0, False, "neither"
    lo_all, hi_all = float(v.min()), float(v.max())
    if chi2:
        lo, hi, log = lo_all, min(hi_all, lo_all + CHI2_COLOR_SPAN), False
    else:
        lo, hi = (float(q) for q in np.quantile(v, COLOR_QUANTILES))
        log = lo > 0 and hi / lo > 100
    if hi <= lo:  # (nearly) constant bulk: the full range, or a unit around a constant
        lo, hi = (lo_all, hi_all) if hi_all > lo_all else (lo_all - 0.5, lo_all + 0.5)
        log = False
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}
    return lo, hi, log, extend[(lo_all < lo, hi_all > hi)]


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


def scale_edges(values: np.ndarray, scale: Scale, bins: int, max_unique: int = 200) -> np.ndarray:
    """Bin edges on an axis of :class:`Scale` ``scale``: :func:`grid_edges` on linear and log axes; on a
    symlog axis ``bins`` bins equal in sign(v) log10(1 + |v| / linthresh) (even on the drawn axis)."""
    if scale.kind != "symlog":
        return grid_edges(values, scale.log, bins, max_unique)
    v = np.asarray(values, dtype=float)
    t = np.sign(v) * np.log10(1.0 + np.abs(v) / scale.linthresh)
    e = _regular_edges(t, False, bins)
    return np.sign(e) * (10.0 ** np.abs(e) - 1.0) * scale.linthresh


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
