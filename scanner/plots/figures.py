"""The generic figures of a run, for any model: scatter of two columns, χ² profiles (2D, 1D, and a grid of 1D
profiles), the constraint summary and the corner plot of the viable points.

Every function takes a :class:`~flavorscan.scanner.plots.data.RunData` and an output path, and returns the
path written (see :mod:`flavorscan.scanner.plots.canvas` for how figures are drawn and saved).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots import binning
from flavorscan.scanner.plots.canvas import (
    category_colors,
    color_norm,
    marker_size,
    math_offsets,
    new_figure,
    outline,
    save,
    set_axes,
    set_log,
)
from flavorscan.scanner.plots.data import RunData, split_prefix
from flavorscan.scanner.plots.labels import constraint_label, figure_title, label

COLOR_BUILTINS = ("chi2", "constraint")
DEFAULT_MAX_POINTS = 300_000

# Δχ² levels of 68.27% / 95.45% confidence for one and two profiled parameters
DCHI2_1D = (1.0, 4.0)
DCHI2_2D = (2.30, 6.18)


def scatter(
    data: RunData,
    x: str,
    y: str,
    out,
    *,
    color: str = "chi2",
    rows: str = "all",
    logx: bool | None = None,
    logy: bool | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Scatter plot of two columns, coloured by chi2_total ("chi2"), by the first failing constraint
    ("constraint") or by any column expression. Viable points get a black edge (chi2/column colouring)."""
    data.require_rows()
    data.check(x), data.check(y)
    if color not in COLOR_BUILTINS:
        data.check(color)
    xv = np.asarray(data.get(x), dtype=float)
    yv = np.asarray(data.get(y), dtype=float)
    base = data.select(rows)
    lx = binning.log_axis(xv[base], logx, x)
    ly = binning.log_axis(yv[base], logy, y)
    mask = binning.usable(base, (xv, lx), (yv, ly))
    if not mask.any():
        raise UserError(f"no finite {x}, {y} values to plot in {data.path} (rows={rows})")
    viable = data.viable()
    idx, sampled = binning.subsample(mask, viable, max_points)
    fig = new_figure(8.8 if color == "constraint" else 7.0, 5.2)
    ax = fig.add_subplot()
    s = marker_size(idx.size)
    if color == "constraint":
        cat, names = data.first_failing()
        present = np.bincount(cat[idx], minlength=len(names))
        order = [i for i in np.argsort(-present) if present[i] > 0]
        colors = dict(zip(order, category_colors(len(order))))
        special = {len(names) - 2: "black", len(names) - 1: "0.6"}  # viable, non-finite
        drawn = [i for i in order if i not in special] + [i for i in order if i in special]
        for i in drawn:
            sel = idx[cat[idx] == i]
            name = names[i]
            text = f"{'fails ' if i < len(names) - 2 else ''}{constraint_label(name)} ({sel.size})"
            ax.scatter(xv[sel], yv[sel], s=s * (2.0 if name == "viable" else 1.0), lw=0,
                       color=special.get(i, colors.get(i)), label=text, zorder=3 if name == "viable" else 2)
        # outside the axes, on the right: a legend inside would hide points of the dense regions
        ax.legend(title="first failing\nconstraint", fontsize=7, title_fontsize=8,
                  markerscale=max(1.0, math.sqrt(25.0 / s)), loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, borderaxespad=0.0)
        what = "coloured by the first failing constraint (card order)"
    else:
        cname = "chi2_total" if color == "chi2" else color
        cv = np.asarray(data.get(cname), dtype=float)
        order = idx[np.argsort(-np.nan_to_num(cv[idx], nan=np.inf))]  # best drawn last (on top)
        good = order[np.isfinite(cv[order])]
        bad = order[~np.isfinite(cv[order])]
        if bad.size:
            ax.scatter(xv[bad], yv[bad], s=s, lw=0, color="0.75", label=f"{cname} not finite ({bad.size})")
        norm = color_norm(cv[good])
        # low chi2 dark (visible on white) and drawn last; viable points larger, with a black edge
        plain, best = good[~viable[good]], good[viable[good]]
        sc = None
        for rows_, size, edge in ((plain, s, "none"), (best, 2.2 * s, "black")):
            if rows_.size:
                sc = ax.scatter(xv[rows_], yv[rows_], c=cv[rows_], s=size, cmap="viridis", norm=norm,
                                edgecolors=edge, linewidths=0.5, zorder=3 if edge == "black" else 2)
        if sc is not None:
            fig.colorbar(sc, ax=ax, label=label(cname, data.registry))
        nv = int(viable[idx].sum())
        ax.scatter([], [], s=25, facecolors="none", edgecolors="black", label=f"viable ({nv})")
        ax.legend(fontsize=8, loc="best", framealpha=0.8, markerscale=max(1.0, math.sqrt(25.0 / s)))
        what = f"coloured by {cname}"
    set_axes(ax, data, x, y, lx, ly)
    note = f"{mask.sum()} rows ({rows})" + (f", {idx.size} drawn at random" if sampled else "")
    ax.set_title(figure_title(data, f"{what}; {note}", title), fontsize=9)
    return save(fig, out, dpi)


def profile2d(
    data: RunData,
    x: str,
    y: str,
    out,
    *,
    rows: str = "limits",
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Binned profile: min chi2_total per (x, y) bin, shown as Δχ² to the overall minimum, with the
    2-parameter 68% / 95% contours (Δχ² = 2.30, 6.18) as outlines of whole bins and the best row as a star."""
    data.require_rows()
    data.check(x), data.check(y)
    xv = np.asarray(data.get(x), dtype=float)
    yv = np.asarray(data.get(y), dtype=float)
    chi2 = data.chi2()
    base = data.select(rows)
    lx, ly = binning.log_axis(xv[base], logx, x), binning.log_axis(yv[base], logy, y)
    mask = binning.usable(base, (xv, lx), (yv, ly), (chi2, False))
    if not mask.any():
        raise UserError(f"no rows with finite {x}, {y} and chi2_total in {data.path} (rows={rows})")
    xs, ys, cs = xv[mask], yv[mask], chi2[mask]
    bins = bins or binning.auto_bins(xs.size, 2)
    ex, ey = binning.grid_edges(xs, lx, bins), binning.grid_edges(ys, ly, bins)
    ix, iy = binning.bin_index(xs, ex), binning.bin_index(ys, ey)
    grid = binning.binned_min(ix, iy, cs, len(ex) - 1, len(ey) - 1)
    cmin = float(np.nanmin(grid))
    dchi2 = grid - cmin
    fig = new_figure(7.0, 5.2)
    ax = fig.add_subplot()
    vmax = max(10.0, min(float(np.nanmax(dchi2)), 25.0)) if np.isfinite(np.nanmax(dchi2)) else 25.0
    mesh = ax.pcolormesh(ex, ey, np.ma.masked_invalid(dchi2).T, cmap="viridis_r", vmin=0.0, vmax=vmax,
                         shading="flat")
    fig.colorbar(mesh, ax=ax, label=r"$\Delta\chi^2$ (min per bin)", extend="max")
    # confidence regions as outlines of whole bins (no interpolation between bins)
    for level, style, name in zip(DCHI2_2D, ("-", "--"), ("68%", "95%")):
        inside = np.nan_to_num(dchi2, nan=np.inf) <= level
        if inside.any():
            outline(ax, ex, ey, inside, color="red", lw=1.1, ls=style,
                    label=f"{name} CL, 2 parameters ($\\Delta\\chi^2 \\leq$ {level})")
    best = np.argmin(cs)
    ax.plot(xs[best], ys[best], marker="*", color="red", ms=12, mec="white", ls="none",
            label=f"best: $\\chi^2$ = {cs[best]:.4g}")
    fig.legend(fontsize=8, loc="outside lower center", ncols=3, frameon=False)  # never over the bins
    set_axes(ax, data, x, y, lx, ly)
    ax.set_title(figure_title(data, f"profile: min $\\chi^2$ per bin over {mask.sum()} rows ({rows})", title),
                 fontsize=9)
    return save(fig, out, dpi)


def profile1d(
    data: RunData,
    x: str,
    out,
    *,
    rows: str = "limits",
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    title: str | None = None,
    dpi: int = 120,
    ax=None,
) -> Path | None:
    """1D profile χ²: min chi2_total per x bin, as Δχ² to the minimum over all bins, with the 68% / 95%
    levels (Δχ² = 1, 4). ``ax``: draw into an existing axes instead of a new figure (returns None)."""
    data.require_rows()
    data.check(x)
    xv = np.asarray(data.get(x), dtype=float)
    chi2 = data.chi2()
    base = data.select(rows)
    lx = binning.log_axis(xv[base], logx, x)
    mask = binning.usable(base, (xv, lx), (chi2, False))
    if not mask.any():
        raise UserError(f"no rows with finite {x} and chi2_total in {data.path} (rows={rows})")
    xs, cs = xv[mask], chi2[mask]
    # about 40 rows per bin: the minimum over the other dimensions of a random scan needs many samples
    ex = binning.grid_edges(xs, lx, bins or binning.auto_bins(xs.size, 1, hi=50, per_bin=40.0))
    ix = binning.bin_index(xs, ex)
    prof = binning.binned_min(ix, np.zeros_like(ix), cs, len(ex) - 1, 1)[:, 0]
    dchi2 = prof - np.nanmin(prof)
    own = ax is None
    if own:
        fig = new_figure(6.4, 4.4)
        ax = fig.add_subplot()
    cx = binning.bin_centres(ex, lx)
    ok = np.isfinite(dchi2)
    ax.stairs(np.where(ok, dchi2, np.nan), ex, color="C0", lw=1.6, baseline=None)
    ax.plot(cx[ok], dchi2[ok], "o", color="C0", ms=2.5)
    for level, name in zip(DCHI2_1D, ("68%", "95%")):
        ax.axhline(level, color="0.4", ls="--" if level > 1 else ":", lw=0.9)
        ax.annotate(f"{name}", (1.0, level), xycoords=("axes fraction", "data"), fontsize=7,
                    ha="right", va="bottom", color="0.3")
    top = float(np.nanmax(dchi2))
    use_log_y = logy if logy is not None else top > 100
    if use_log_y:
        ax.set_yscale("symlog", linthresh=10.0)
        ax.set_ylim(0, top * 1.5)
    else:
        ax.set_ylim(0, max(9.0, top * 1.05))
    if lx:
        set_log(ax, "x")
    math_offsets(ax)
    ax.set_xlabel(label(x, data.registry))
    ax.set_ylabel(r"$\Delta\chi^2$ (min per bin)")
    if own:
        ax.set_title(figure_title(data, f"profile $\\chi^2$: min over {mask.sum()} rows ({rows}) per bin; "
                                        f"min $\\chi^2$ = {np.nanmin(prof):.4g}", title), fontsize=9)
        return save(fig, out, dpi)
    return None


def profiles(data: RunData, columns: Sequence[str], out, *, title: str | None = None, dpi: int = 120) -> Path:
    """A grid of 1D profile χ² panels (:func:`profile1d`, rows passing every limit), one per column, three
    per row."""
    n = len(columns)
    ncol = min(3, n)
    nrow = math.ceil(n / ncol)
    fig = new_figure(4.2 * ncol, 3.2 * nrow + 0.5)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for k, col in enumerate(columns):
        profile1d(data, col, None, ax=axes[k // ncol][k % ncol])
    for k in range(n, nrow * ncol):
        axes[k // ncol][k % ncol].set_visible(False)
    fig.suptitle(figure_title(data, "1D profile χ² (rows passing every limit)", title), fontsize=9)
    return save(fig, out, dpi)


def constraint_summary(data: RunData, out, *, title: str | None = None, dpi: int = 120) -> Path:
    """Two panels: pass fraction per constraint (stored rows; evaluated points where the run recorded
    per-chunk counts) and how often each constraint is the first to fail."""
    data.require_rows()
    names = data.constraints
    if not names:
        raise UserError(f"{data.path} has no pass_<constraint> columns")
    stored = [float(np.mean(np.asarray(data.get(f"pass_{n}"), bool))) for n in names]
    counts = data.summary.get("counts") or {}
    points = counts.get("points")
    evaluated = [counts[f"pass_{n}"] / points if points and f"pass_{n}" in counts else np.nan for n in names]
    cat, cats = data.first_failing()
    first = np.bincount(cat, minlength=len(cats))
    fig = new_figure(11.0, max(3.0, 0.28 * len(cats) + 1.4))
    ax1, ax2 = fig.subplots(1, 2, sharey=False)
    ypos = np.arange(len(names))
    ax1.barh(ypos + (0.2 if points else 0), stored, height=0.4 if points else 0.7, color="C0",
             label="stored rows")
    for yk, v in zip(ypos, stored):
        ax1.annotate(f"{100 * v:.3g}%", (min(v, 1.0), yk + (0.2 if points else 0)), xytext=(2, 0),
                     textcoords="offset points", fontsize=6, va="center", color="C0")
    if points and np.any(np.isfinite(evaluated)):
        ax1.barh(ypos - 0.2, np.nan_to_num(evaluated), height=0.4, color="C1", label="all evaluated points")
        for yk, v in zip(ypos, evaluated):
            if np.isfinite(v):
                ax1.annotate(f"{100 * v:.3g}%", (min(v, 1.0), yk - 0.2), xytext=(2, 0),
                             textcoords="offset points", fontsize=6, va="center", color="C1")
        ax1.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    ax1.set_yticks(ypos, [constraint_label(n) for n in names], fontsize=7)
    ax1.invert_yaxis()
    ax1.set_xlim(0, 1.15)
    ax1.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax1.set_xlabel("pass fraction")
    ypos2 = np.arange(len(cats))
    colors = ["C3"] * len(names) + ["black", "0.6"]
    ax2.barh(ypos2, first, color=colors)
    for yk, v in zip(ypos2, first):
        if v:
            ax2.annotate(str(int(v)), (v, yk), xytext=(2, 0), textcoords="offset points", fontsize=6,
                         va="center")
    ax2.set_yticks(ypos2, [constraint_label(n) for n in cats], fontsize=7)
    ax2.invert_yaxis()
    ax2.set_xlabel("rows (first failing constraint, card order)")
    if first.max() > 0 and first[first > 0].min() > 0 and first.max() / max(first[first > 0].min(), 1) > 100:
        ax2.set_xscale("log")
    fig.suptitle(figure_title(data, f"constraints over {data.rows} stored rows", title), fontsize=9)
    return save(fig, out, dpi)


def corner_order(data: RunData, exprs: Sequence[str], mask: np.ndarray) -> list[str]:
    """``exprs`` in corner-plot order: the model's principal parameters (its presets' ``profile_columns``)
    first, in that order, then the others by the decades they span on ``mask`` (widest first, to a tenth
    of a decade; stored order among equals)."""
    principal = [e for name in data.presets.profile_columns for e in exprs if split_prefix(e)[1] == name]
    spans = {e: round(binning.decades(np.asarray(data.get(e), float)[mask]), 1) for e in exprs
             if e not in principal}
    return principal + sorted(spans, key=lambda e: -spans[e])


def _corner_values(data: RunData, expr: str, mask: np.ndarray) -> tuple[np.ndarray, str]:
    """(values, axis label) of one corner-plot parameter on ``mask``: log10 when it is a log axis, else
    scaled by a power of ten (put into the label) when its values are very large or small."""
    v = np.asarray(data.get(expr), float)[mask]
    text = label(expr, data.registry)
    if binning.auto_log(v, expr):
        return np.log10(v), f"log$_{{10}}$ {text}"
    top = np.nanmax(np.abs(v)) if np.any(np.isfinite(v)) else 1.0
    exp = int(math.floor(math.log10(top))) if top > 0 else 0
    if not (exp >= 5 or exp <= -3):
        return v, text
    # the power of ten goes into the label (no offset text between the panels)
    if text.endswith("]"):  # "m0I0 [GeV]" -> "m0I0 [10^-6 GeV]"
        head, unit = text[:-1].rsplit("[", 1)
        return v / 10.0**exp, f"{head}[$10^{{{exp}}}$ {unit}]"
    return v / 10.0**exp, f"{text} [$10^{{{exp}}}$]"


def corner(
    data: RunData,
    out,
    *,
    params: Sequence[str] | None = None,
    max_params: int = 10,
    max_points: int = 20_000,
    title: str | None = None,
    dpi: int = 100,
) -> tuple[Path, list[str], list[str]]:
    """Corner plot of the viable points' parameters that vary (magnitudes for complex couplings; order of
    :func:`corner_order`): histograms on the diagonal, scatter below. A parameter whose values are positive
    and span more than a decade (|couplings|: half a decade) is shown as log10. Returns (path, plotted,
    left out beyond ``max_params``)."""
    data.require_rows()
    viable = data.viable() & data.finite()
    if not viable.any():
        raise UserError(f"no viable points in {data.path} (corner plot of viable points)")
    exprs = list(params) if params is not None else data.parameter_exprs()
    if not exprs:
        raise UserError(f"{data.path}: no parameter columns known (model {data.model!r})")
    for e in exprs:
        data.check(e)
    exprs = data.varying(exprs, viable)
    if not exprs:
        raise UserError(f"{data.path}: no parameter varies among the viable points")
    exprs = corner_order(data, exprs, viable)
    shown, left = exprs[:max_params], exprs[max_params:]
    n = len(shown)
    vals, names = zip(*(_corner_values(data, e, viable) for e in shown))
    idx, _ = binning.subsample(np.ones(vals[0].size, bool), None, max_points)
    panel = max(1.3, min(2.2, 16.0 / n))
    margin_l, margin_b, margin_t = 1.0, 1.0, 0.6  # inches
    side = panel * n
    fig = new_figure(side + margin_l + 0.2, side + margin_b + margin_t)
    fig.set_layout_engine(None)  # a uniform grid: fixed margins are much faster than constrained layout
    W, H = fig.get_size_inches()
    fig.subplots_adjust(left=margin_l / W, right=1 - 0.2 / W, bottom=margin_b / H, top=1 - margin_t / H,
                        wspace=0.06, hspace=0.06)
    grid = fig.add_gridspec(n, n)
    axes = [[fig.add_subplot(grid[i, j]) if j <= i else None for j in range(n)] for i in range(n)]
    s = max(1.0, min(10.0, 2000.0 / max(idx.size, 1)))
    ranges = []
    for v in vals:
        f = v[np.isfinite(v)]
        lo, hi = (float(f.min()), float(f.max())) if f.size else (0.0, 1.0)
        pad = 0.03 * (hi - lo) if hi > lo else 0.5
        ranges.append((lo - pad, hi + pad))
    from matplotlib.ticker import MaxNLocator

    for i in range(n):
        for j in range(n):
            ax = axes[i][j]
            if ax is None:
                continue
            if i == j:
                v = vals[i][np.isfinite(vals[i])]
                nb = int(np.clip(math.sqrt(max(v.size, 1)), 5, 30))
                ax.hist(v, bins=nb, range=ranges[i], color="C0", histtype="stepfilled", alpha=0.75)
                ax.set_yticks([])
            else:
                ax.scatter(vals[j][idx], vals[i][idx], s=s, lw=0, color="C0", alpha=0.6, rasterized=True)
                ax.set_ylim(ranges[i])
                ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.set_xlim(ranges[j])
            ax.xaxis.set_major_locator(MaxNLocator(3))
            for axis in (ax.xaxis, ax.yaxis):
                fmt = axis.get_major_formatter()
                if hasattr(fmt, "set_useOffset"):
                    fmt.set_useOffset(False)
            ax.tick_params(labelsize=7, length=2)
            if i == n - 1:
                ax.set_xlabel(names[j], fontsize=8)
                for t in ax.get_xticklabels():
                    t.set_rotation(45)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(names[i], fontsize=8)
            elif i != j or j > 0:
                ax.set_yticklabels([])
    extra = f"; {len(left)} more varying parameters not shown" if left else ""
    fig.suptitle(figure_title(data, f"corner plot of the viable points ({int(viable.sum())}){extra}", title),
                 fontsize=9, y=1 - 0.08 / H, va="top")
    return save(fig, out, dpi), shown, left
