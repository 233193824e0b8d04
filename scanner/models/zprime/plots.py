"""The Z' model's own figure: the ``zprime`` preset, the (m_Z', g_X) plane with each constraint's excluded
region, the Δa_μ band and the viable points (:func:`exclusion`); :func:`exclusion_regions` returns the same
regions as arrays over the bins, for scripts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots.binning import (
    auto_bins,
    bin_centres,
    bin_index,
    binned_any,
    grid_edges,
    log_axis,
    subsample,
    usable,
)
from flavorscan.scanner.plots.canvas import (
    category_colors,
    marker_handle,
    new_figure,
    require_matplotlib,
    save,
    set_axes,
)
from flavorscan.scanner.plots.data import RunData
from flavorscan.scanner.plots.labels import constraint_label, figure_title

BAND = "delta_a_mu"
"""The constraint whose passing bins form the band of the preset (drawn in green, not as an exclusion)."""
AXES = ("m_Zp", "g_X")


def exclusion_regions(
    data: RunData,
    x: str = AXES[0],
    y: str = AXES[1],
    *,
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
) -> dict:
    """What the zprime preset draws, as arrays over the (x, y) bins.

    Returns {"x_edges", "y_edges", "logx", "logy", "mask" (rows used: finite observables, finite x/y,
    positive on log axes), "excluded": {constraint: (nx, ny) array: 1 where no used row in the bin passes
    pass_<constraint>, 0 where some row passes, NaN where the bin is empty}, "not_excluding": [constraints
    that exclude no bin], "everywhere": [constraints that exclude every non-empty bin (also in "excluded";
    the plot lists them instead of shading the whole plane)], "band": (nx, ny) array: 1 where some row
    passes pass_delta_a_mu, 0 where none does, NaN where empty (None without that column)}. The band
    constraint is not in "excluded".
    """
    data.require_rows()
    missing = [c for c in (x, y) if not data.has(c)]
    if missing:
        if (x, y) == AXES:
            raise UserError(f"the zprime preset needs columns m_Zp and g_X (a Z' run); {data.path} has no "
                            f"{missing[0]} column (other columns: --x COL --y COL)")
        data.check(missing[0])
    xv, yv = np.asarray(data.get(x), float), np.asarray(data.get(y), float)
    lx, ly = log_axis(xv, logx, x), log_axis(yv, logy, y)
    mask = usable(data.finite(), (xv, lx), (yv, ly))
    if not mask.any():
        raise UserError(f"no finite {x}, {y} values in {data.path}")
    xs, ys = xv[mask], yv[mask]
    bins = bins or auto_bins(xs.size, 2)
    ex, ey = grid_edges(xs, lx, bins), grid_edges(ys, ly, bins)
    ix, iy = bin_index(xs, ex), bin_index(ys, ey)
    nx, ny = len(ex) - 1, len(ey) - 1
    excluded, not_excluding, everywhere = {}, [], []
    for name in data.constraints:
        if name == BAND:
            continue
        flags = np.asarray(data.get(f"pass_{name}"), bool)[mask]
        allowed = binned_any(ix, iy, flags, nx, ny)
        ex_bins = np.where(np.isnan(allowed), np.nan, 1.0 - allowed)
        if np.nansum(ex_bins) > 0:
            excluded[name] = ex_bins
            if np.all(ex_bins[~np.isnan(ex_bins)] == 1.0):
                everywhere.append(name)
        else:
            not_excluding.append(name)
    band = None
    if f"pass_{BAND}" in data.columns:
        band = binned_any(ix, iy, np.asarray(data.get(f"pass_{BAND}"), bool)[mask], nx, ny)
    return {"x_edges": ex, "y_edges": ey, "logx": lx, "logy": ly, "mask": mask, "excluded": excluded,
            "not_excluding": not_excluding, "everywhere": everywhere, "band": band}


def exclusion(
    data: RunData,
    out,
    *,
    x: str = AXES[0],
    y: str = AXES[1],
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """(m_Z′, g_X) plane: each constraint's excluded region shaded (bins where no stored point passes
    it), the Δa_μ band (bins where some point passes pass_delta_a_mu) and the viable points; constraints
    that exclude no bin, or every bin, are named in the legend instead (:func:`exclusion_regions` computes
    the regions)."""
    reg = exclusion_regions(data, x, y, bins=bins, logx=logx, logy=logy)
    ex, ey, lx, ly, mask = reg["x_edges"], reg["y_edges"], reg["logx"], reg["logy"], reg["mask"]
    xs, ys = np.asarray(data.get(x), float)[mask], np.asarray(data.get(y), float)[mask]
    nx, ny = len(ex) - 1, len(ey) - 1
    # bin centres plus the outer edges (values repeated there), so shading reaches the frame
    cx = np.concatenate([[ex[0]], bin_centres(ex, lx), [ex[-1]]])
    cy = np.concatenate([[ey[0]], bin_centres(ey, ly), [ey[-1]]])

    def padded(z):
        return np.pad(np.where(np.isnan(z), 0.0, z), 1, mode="edge").T

    fig = new_figure(7.8, 6.0)
    ax = fig.add_subplot()
    _, _, mcolors, _ = require_matplotlib()
    import matplotlib.patches as mpatches

    names = [c for c in data.constraints if c != BAND]
    shaded = [c for c in reg["excluded"] if c not in reg["everywhere"]]
    colors = dict(zip(shaded, category_colors(len(shaded), avoid_green=True)))
    handles = []
    for name in shaded:
        col = colors[name]
        z = padded(reg["excluded"][name])
        ax.contourf(cx, cy, z, levels=[0.5, 1.5], colors=[col], alpha=0.35)
        ax.contour(cx, cy, z, levels=[0.5], colors=[col], linewidths=1.2)
        handles.append(mpatches.Patch(facecolor=mcolors.to_rgba(col, 0.35), edgecolor=col,
                                      label=f"excluded: {constraint_label(name)}"))
    band = reg["band"]
    if band is not None and np.nansum(band):
        z = padded(band)
        ax.contourf(cx, cy, z, levels=[0.5, 1.5], colors=["limegreen"], alpha=0.45)
        ax.contour(cx, cy, z, levels=[0.5], colors=["darkgreen"], linewidths=1.4)
        handles.append(mpatches.Patch(facecolor=mcolors.to_rgba("limegreen", 0.45), edgecolor="darkgreen",
                                      label=r"$\Delta a_\mu$ band (pass)"))
    viable = data.viable()[mask]
    if viable.any():
        vi, _ = subsample(viable, None, 20_000)
        ax.scatter(xs[vi], ys[vi], s=4, color="black", lw=0, zorder=5, rasterized=True)
        handles.append(marker_handle(f"viable points ({int(viable.sum())})"))
    ax.set_xlim(ex[0], ex[-1])
    ax.set_ylim(ey[0], ey[-1])
    set_axes(ax, data, x, y, lx, ly)
    # constraints that shade nothing, or everything, are named rather than drawn
    for names_, text in ((reg["everywhere"], "excluded everywhere here (not shaded)"),
                         (reg["not_excluding"] if reg["excluded"] else [], "no excluded region")):
        if names_:
            shown = ", ".join(constraint_label(c) for c in names_)
            handles.append(mpatches.Patch(facecolor="none", edgecolor="none", label=f"{text}: {shown}"))
    if handles:
        fig.legend(handles=handles, fontsize=7, loc="outside lower center", ncols=min(2, len(handles)),
                   frameon=False)
    note = f"{mask.sum()} rows, {nx}x{ny} bins"
    if not reg["excluded"] and names:
        note += "; no stored row fails a constraint (run keeps only viable rows?): no excluded region"
    ax.set_title(figure_title(data, f"excluded where no stored point in a bin passes; {note}", title), fontsize=9)
    return save(fig, out, dpi)
