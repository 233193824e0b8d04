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
from flavorscan.scanner.plots import binning, measurements
from flavorscan.scanner.plots.canvas import (
    category_colors,
    color_scale,
    line_handle,
    marker_handle,
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
from flavorscan.scanner.plots.levels import DEFAULT_CL, cl_label, dchi2_levels, percent

COLOR_BUILTINS = ("chi2", "constraint")
DEFAULT_MAX_POINTS = 300_000
DENSE_POINTS = 50_000  # a chi2/column scatter of more points is drawn as an image of bins
DENSE_BINS = 160  # ... with this many bins per axis (random scans)
DENSE_GRID_UNIQUE = 500  # ... or a grid scan's own cells, up to this many values per axis
CORNER_CONTOUR_POINTS = 500  # the corner plot draws density contours from this many points on
CORNER_MISSING = 'the corner plot needs the corner package: pip install -e ".[plot]"'


def _log_hint(*logs: bool) -> str:
    """What a log axis adds to a "no values to plot" error: finite values <= 0 were left out too, which the
    message's "finite" alone hides (--logx on a signed observable such as delta_a_e)."""
    return "; a log axis leaves out values <= 0 (--linx/--liny for linear axes)" if any(logs) else ""


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
    cl: Sequence[float] = DEFAULT_CL,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Scatter plot of two columns, coloured by chi2_total ("chi2"), by the first failing constraint
    ("constraint") or by any column expression. Viable points get a black edge (chi2/column colouring).
    Axes are linear, log or symlog (:func:`~flavorscan.scanner.plots.binning.axis_scale`); a measured
    observable on an axis gets its measurement at the levels ``cl`` (:mod:`.measurements`)."""
    data.require_rows()
    data.check(x), data.check(y)
    if color not in COLOR_BUILTINS:
        data.check(color)
    xv = np.asarray(data.get(x), dtype=float)
    yv = np.asarray(data.get(y), dtype=float)
    base = data.select(rows)
    sx = binning.axis_scale(xv[base], logx, x)
    sy = binning.axis_scale(yv[base], logy, y)
    mask = binning.usable(base, (xv, sx.log), (yv, sy.log))
    if not mask.any():
        raise UserError(f"no finite {x}, {y} values to plot in {data.path} (rows={rows})" + _log_hint(sx.log, sy.log))
    viable = data.viable()
    idx, sampled = binning.subsample(mask, viable, max_points)
    fig = new_figure(8.8 if color == "constraint" else 7.0, 5.6)
    ax = fig.add_subplot()
    s = marker_size(idx.size)
    # rasterized points: a vector file of 10^5 markers stays small; the axes, text and lines stay vector
    points = dict(lw=0, rasterized=True)
    handles = []
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
            ax.scatter(xv[sel], yv[sel], s=s * (2.0 if name == "viable" else 1.0),
                       color=special.get(i, colors.get(i)), zorder=3 if name == "viable" else 2, **points)
            handles.append(marker_handle(text, special.get(i, colors.get(i))))
        what = "coloured by the first failing constraint (card order)"
    else:
        cname = "chi2_total" if color == "chi2" else color
        cv = np.asarray(data.get(cname), dtype=float)
        order = idx[np.argsort(-np.nan_to_num(cv[idx], nan=np.inf))]  # best drawn last (on top)
        good = order[np.isfinite(cv[order])]
        bad = order[~np.isfinite(cv[order])]
        if bad.size:
            ax.scatter(xv[bad], yv[bad], s=s, color="0.75", **points)
            handles.append(marker_handle(f"{cname} not finite ({bad.size})", "0.75"))
        norm, extend = color_scale(cv[good], chi2=cname == "chi2_total")
        dense = good.size > DENSE_POINTS
        if dense:
            sc = _dense_image(ax, xv[good], yv[good], cv[good], viable[good], sx, sy, norm)
            handles.append(line_handle(f"viable ({int(viable[idx].sum())}): outline of their bins"))
        else:
            # low chi2 dark (visible on white) and drawn last; viable points larger, with a black edge
            plain, best = good[~viable[good]], good[viable[good]]
            sc = None
            for rows_, size, edge in ((plain, s, "none"), (best, 2.2 * s, "black")):
                if rows_.size:
                    sc = ax.scatter(xv[rows_], yv[rows_], c=cv[rows_], s=size, cmap="viridis", norm=norm,
                                    edgecolors=edge, linewidths=0.5, zorder=3 if edge == "black" else 2,
                                    rasterized=True)
            handles.append(marker_handle(f"viable ({int(viable[idx].sum())})", "none", "black"))
        if sc is not None:
            fig.colorbar(sc, ax=ax, label=label(cname, data.registry) + (" (min per bin)" if dense else ""),
                         extend=extend)
        what = f"coloured by {cname}" + (", lowest per bin" if dense else "")
    set_axes(ax, data, x, y, sx, sy)
    handles += measurements.draw(ax, data, x, y, cl, sx.log, sy.log)
    if color == "constraint":  # outside the axes, on the right: inside it would hide points
        ax.legend(handles=handles, title="first failing\nconstraint", fontsize=7, title_fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0.0)
    else:
        fig.legend(handles=handles, fontsize=7, loc="outside lower center", ncols=1 if len(handles) > 2 else 2,
                   frameon=False)
    note = f"{mask.sum()} rows ({rows})" + (f", {idx.size} drawn at random" if sampled else "")
    ax.set_title(figure_title(data, f"{what}; {note}", title), fontsize=9)
    return save(fig, out, dpi)


def _dense_image(ax, xs, ys, cs, viable, sx, sy, norm):
    """Too many points to scatter (tiny markers alias into stripes on a grid scan): the lowest colour value
    per bin as an image (DENSE_BINS per axis, or the grid's own cells) and the viable bins' outline.
    Returns the mesh (for the colour bar)."""
    ex = binning.scale_edges(xs, sx, DENSE_BINS, max_unique=DENSE_GRID_UNIQUE)
    ey = binning.scale_edges(ys, sy, DENSE_BINS, max_unique=DENSE_GRID_UNIQUE)
    ix, iy = binning.bin_index(xs, ex), binning.bin_index(ys, ey)
    nx, ny = len(ex) - 1, len(ey) - 1
    grid = binning.binned_min(ix, iy, cs, nx, ny)
    mesh = ax.pcolormesh(ex, ey, np.ma.masked_invalid(grid).T, cmap="viridis", norm=norm, shading="flat",
                         rasterized=True)
    inside = np.nan_to_num(binning.binned_any(ix, iy, viable, nx, ny)) > 0
    if inside.any():
        outline(ax, ex, ey, inside, color="black", lw=1.2, zorder=3)
    return mesh


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
    cl: Sequence[float] = DEFAULT_CL,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Binned profile: min chi2_total per (x, y) bin, shown as Δχ² to the overall minimum, with the
    2-parameter confidence regions of the levels ``cl`` (Δχ² = chi2.ppf(cl, 2): 2.30, 6.18 for 68.27 %,
    95.45 %) as outlines of whole bins, the best row as a star and measured observables' bands."""
    data.require_rows()
    data.check(x), data.check(y)
    xv = np.asarray(data.get(x), dtype=float)
    yv = np.asarray(data.get(y), dtype=float)
    chi2 = data.chi2()
    base = data.select(rows)
    lx, ly = binning.log_axis(xv[base], logx, x), binning.log_axis(yv[base], logy, y)
    mask = binning.usable(base, (xv, lx), (yv, ly), (chi2, False))
    if not mask.any():
        raise UserError(f"no rows with finite {x}, {y} and chi2_total in {data.path} (rows={rows})" + _log_hint(lx, ly))
    xs, ys, cs = xv[mask], yv[mask], chi2[mask]
    bins = bins or binning.auto_bins(xs.size, 2)
    ex, ey = binning.grid_edges(xs, lx, bins), binning.grid_edges(ys, ly, bins)
    ix, iy = binning.bin_index(xs, ex), binning.bin_index(ys, ey)
    grid = binning.binned_min(ix, iy, cs, len(ex) - 1, len(ey) - 1)
    cmin = float(np.nanmin(grid))
    dchi2 = grid - cmin
    fig = new_figure(7.0, 5.2)
    ax = fig.add_subplot()
    levels = dchi2_levels(cl, 2)
    # the colour scale reaches past the widest region, at most Δχ² = 25 (farther bins: the top colour)
    top = max(10.0, 1.5 * levels[-1])
    vmax = max(top, min(float(np.nanmax(dchi2)), 25.0)) if np.isfinite(np.nanmax(dchi2)) else 25.0
    mesh = ax.pcolormesh(ex, ey, np.ma.masked_invalid(dchi2).T, cmap="viridis_r", vmin=0.0, vmax=vmax,
                         shading="flat")
    fig.colorbar(mesh, ax=ax, label=r"$\Delta\chi^2$ (min per bin)",
                 extend="max" if np.nanmax(dchi2) > vmax else "neither")
    # confidence regions as outlines of whole bins (no interpolation between bins)
    for level, style, c in zip(levels, ("-", "--", "-.", ":"), cl):
        inside = np.nan_to_num(dchi2, nan=np.inf) <= level
        if inside.any():
            outline(ax, ex, ey, inside, color="red", lw=1.1, ls=style,
                    label=f"{cl_label(c)} CL, 2 parameters ($\\Delta\\chi^2 \\leq$ {level:.2f})")
    best = np.argmin(cs)
    ax.plot(xs[best], ys[best], marker="*", color="red", ms=12, mec="white", ls="none",
            label=f"best: $\\chi^2$ = {cs[best]:.4g}")
    set_axes(ax, data, x, y, lx, ly)
    extra = measurements.draw(ax, data, x, y, cl, lx, ly)
    handles = ax.get_legend_handles_labels()[0] + extra
    fig.legend(handles=handles, fontsize=8, loc="outside lower center", ncols=2, frameon=False)  # not over the bins
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
    cl: Sequence[float] = DEFAULT_CL,
    title: str | None = None,
    dpi: int = 120,
    ax=None,
) -> Path | None:
    """1D profile χ²: min chi2_total per x bin, as Δχ² to the minimum over all bins, with the levels of
    ``cl`` for one parameter (Δχ² = chi2.ppf(cl, 1): 1, 4 for 68.27 %, 95.45 %). ``ax``: draw into an
    existing axes instead of a new figure (returns None)."""
    data.require_rows()
    data.check(x)
    xv = np.asarray(data.get(x), dtype=float)
    chi2 = data.chi2()
    base = data.select(rows)
    lx = binning.log_axis(xv[base], logx, x)
    mask = binning.usable(base, (xv, lx), (chi2, False))
    if not mask.any():
        raise UserError(f"no rows with finite {x} and chi2_total in {data.path} (rows={rows})" + _log_hint(lx))
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
    levels = dchi2_levels(cl, 1)
    for k, (level, c) in enumerate(zip(levels, cl)):
        ax.axhline(level, color="0.4", ls=":" if k == 0 else "--", lw=0.9)
        ax.annotate(cl_label(c), (1.0, level), xycoords=("axes fraction", "data"), fontsize=7,
                    ha="right", va="bottom", color="0.3")
    top = float(np.nanmax(dchi2))
    use_log_y = logy if logy is not None else top > 100
    if use_log_y:
        ax.set_yscale("symlog", linthresh=10.0)
        ax.set_ylim(0, top * 1.5)
    else:
        ax.set_ylim(0, max(9.0, 1.15 * levels[-1], top * 1.05))  # room for the top level's label
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


def profiles(data: RunData, columns: Sequence[str], out, *, cl: Sequence[float] = DEFAULT_CL,
             title: str | None = None, dpi: int = 120) -> Path:
    """A grid of 1D profile χ² panels (:func:`profile1d`, rows passing every limit, levels ``cl``), one per
    column, three per row."""
    n = len(columns)
    ncol = min(3, n)
    nrow = math.ceil(n / ncol)
    fig = new_figure(4.2 * ncol, 3.2 * nrow + 0.5)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for k, col in enumerate(columns):
        profile1d(data, col, None, cl=cl, ax=axes[k // ncol][k % ncol])
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
        ax1.annotate(f"{percent(v, significant=3)}%", (min(v, 1.0), yk + (0.2 if points else 0)), xytext=(2, 0),
                     textcoords="offset points", fontsize=6, va="center", color="C0")
    if points and np.any(np.isfinite(evaluated)):
        ax1.barh(ypos - 0.2, np.nan_to_num(evaluated), height=0.4, color="C1", label="all evaluated points")
        for yk, v in zip(ypos, evaluated):
            if np.isfinite(v):
                ax1.annotate(f"{percent(v, significant=3)}%", (min(v, 1.0), yk - 0.2), xytext=(2, 0),
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


def _corner_module():
    """The ``corner`` package, imported on first use (part of the plot extra)."""
    try:
        import corner as corner_lib
    except ImportError:
        raise UserError(CORNER_MISSING) from None
    return corner_lib


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
    """Corner plot (the ``corner`` package) of the viable points' parameters that vary (magnitudes for
    complex couplings; order of :func:`corner_order`): histograms on the diagonal, points and their density
    contours below. A parameter whose values are positive and span more than a decade (|couplings|: half a
    decade) is shown as log10. Returns (path, plotted, left out beyond ``max_params``)."""
    data.require_rows()
    corner_lib = _corner_module()
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
    table = np.column_stack(vals)
    table = table[np.all(np.isfinite(table), axis=1)]
    idx, _ = binning.subsample(np.ones(len(table), bool), None, max_points)
    table = table[idx]
    panel = max(1.3, min(2.2, 16.0 / n))
    fig = new_figure(panel * n + 1.2, panel * n + 1.4)
    fig.set_layout_engine(None)  # corner places its own grid
    # few points: plain markers, no density contours (a handful of points makes no contour)
    dense = len(table) >= CORNER_CONTOUR_POINTS
    corner_lib.corner(
        table, fig=fig, labels=list(names), bins=int(np.clip(math.sqrt(len(table)), 5, 30)),
        max_n_ticks=3, use_math_text=True, plot_density=False, plot_contours=dense, fill_contours=False,
        color="C0", hist_kwargs={"histtype": "stepfilled", "alpha": 0.75},
        data_kwargs={"alpha": 0.5 if dense else 0.8, "ms": 1.5 if dense else 2.5},
        label_kwargs={"fontsize": 10}, labelpad=0.04,
    )
    for ax in fig.axes:
        ax.tick_params(labelsize=8, length=3)
    fig.subplots_adjust(left=1.0 / fig.get_figwidth(), bottom=1.0 / fig.get_figheight(),
                        right=1 - 0.15 / fig.get_figwidth(), top=1 - 0.55 / fig.get_figheight(),
                        wspace=0.08, hspace=0.08)
    extra = f"; {len(left)} more varying parameters not shown" if left else ""
    fig.suptitle(figure_title(data, f"corner plot of the viable points ({int(viable.sum())}){extra}", title),
                 fontsize=9, y=1 - 0.08 / fig.get_figheight(), va="top")
    return save(fig, out, dpi), shown, left
