"""matplotlib, kept optional and stateless: the import with its install hint, Agg figures, saving, and the axis
and colour conventions every figure shares (log axes with light minor ticks, plain tick labels on short log
axes, symlog axes with sparse ticks, clipped colour scales, category colours, marker sizes, legend entries
of one size, outlines of sets of bins).

Figures are drawn with matplotlib's object API on the Agg canvas: no pyplot, no global state, never
``show()``. matplotlib is an optional dependency (``pip install matplotlib, or pip install -e '.[plot]'
in a checkout``): without it :func:`require_matplotlib` raises :class:`~flavorscan.scanner.errors.UserError`
with an install hint.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots.binning import LINEAR, LOG, Scale, color_limits
from flavorscan.scanner.plots.labels import label

LEGEND_MARKER_SIZE = 6.0  # points: legend markers keep this size whatever the scatter's marker size
MPL_MISSING = "matplotlib is needed for plots: pip install matplotlib (the plot extra: pip install -e '.[plot]' in a checkout)"


def require_matplotlib():
    """(Figure, FigureCanvasAgg, matplotlib.colors, matplotlib) or UserError with the install hint."""
    try:
        import matplotlib
        import matplotlib.colors as mcolors
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UserError(MPL_MISSING) from None
    return Figure, FigureCanvasAgg, mcolors, matplotlib


def new_figure(width=6.4, height=4.8):
    """An empty figure (constrained layout) on its own Agg canvas."""
    Figure, FigureCanvasAgg, _, _ = require_matplotlib()
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # Agg canvas, explicitly: no GUI backend is ever involved
    return fig


def save(fig, out, dpi: int = 120) -> Path:
    """Write ``fig`` to ``out`` (format from the extension: png, pdf, svg ...)."""
    out = Path(out)
    suffix = out.suffix.lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if suffix not in supported:
        raise UserError(f"{out}: unknown image format {suffix or '(no extension)'!r}; use .png, .pdf or .svg")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out


def set_log(ax, which: str) -> None:
    """Log scale on axis ``which`` ("x"/"y") with minor ticks at 2 and 5 only (matplotlib's default
    minor ticks at every integer multiple make drawing several times slower)."""
    from matplotlib.ticker import LogLocator

    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))


def set_scale(ax, which: str, scale: Scale) -> None:
    """Scale of axis ``which`` ("x"/"y"): log (:func:`set_log`, plain labels on short axes), symlog with the
    scale's linthresh (linear part one decade wide), or linear."""
    if scale.kind == "log":
        set_log(ax, which)
        _plain_log_labels(ax, which)
    elif scale.kind == "symlog":
        (ax.set_xscale if which == "x" else ax.set_yscale)("symlog", linthresh=scale.linthresh, linscale=1.0)
        _symlog_ticks(ax, which, scale.linthresh)


SYMLOG_TICKS_PER_SIDE = 3


def _symlog_ticks(ax, which: str, linthresh: float) -> None:
    """Major ticks of a symlog axis: 0 and at most SYMLOG_TICKS_PER_SIDE powers of ten on each side, evenly
    spaced in decades (matplotlib's default, a tick per decade, overlaps on an axis of 15 decades)."""
    from matplotlib.ticker import FixedLocator, NullLocator

    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    first = math.floor(math.log10(linthresh))
    ticks = [0.0]
    for sign, end in ((1.0, hi), (-1.0, -lo)):
        if end <= linthresh:
            continue
        top = math.floor(math.log10(end))
        step = max(1, math.ceil((top - first + 1) / SYMLOG_TICKS_PER_SIDE))
        ticks += [sign * 10.0**e for e in range(top, first - 1, -step)]
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(FixedLocator(sorted(ticks)))
    axis.set_minor_locator(NullLocator())


def set_axes(ax, data, x: str, y: str | None, logx: bool | Scale, logy: bool | Scale) -> None:
    """Label the axes of ``ax`` with the column expressions ``x`` and ``y`` of ``data`` (a RunData; no y
    label for y=None) and set their scales (a :class:`Scale`, or True for log / False for linear)."""
    ax.set_xlabel(label(x, data.registry))
    if y is not None:
        ax.set_ylabel(label(y, data.registry))
    for which, scale in (("x", logx), ("y", logy)):
        set_scale(ax, which, scale if isinstance(scale, Scale) else (LOG if scale else LINEAR))
    math_offsets(ax)


def _plain_log_labels(ax, which: str) -> None:
    """A log axis over less than 2.5 decades between 1e-3 and 1e4 gets plain labels on its major and
    (2, 5) minor ticks — 0.02, 0.05, 0.1 — instead of sparse powers of ten or "2×10⁰"."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    if not (0 < lo < hi) or hi / lo > 10**2.5 or lo < 1e-3 or hi > 1e4:
        return
    axis = ax.xaxis if which == "x" else ax.yaxis
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_formatter(plain)


def math_offsets(ax) -> None:
    """Linear axes show a common power of ten as "×10⁻¹²" (mathtext) rather than "1e-12"."""
    for axis in (ax.xaxis, ax.yaxis):
        fmt = axis.get_major_formatter()
        if hasattr(fmt, "set_useMathText"):
            fmt.set_useMathText(True)


def color_scale(values, chi2: bool = False):
    """(norm, extend) of a colour scale for ``values`` (:func:`~flavorscan.scanner.plots.binning.color_limits`:
    clipped to the bulk of the values; ``extend`` for the colour bar's arrows)."""
    _, _, mcolors, _ = require_matplotlib()
    lo, hi, log, extend = color_limits(values, chi2)
    norm = mcolors.LogNorm(vmin=lo, vmax=hi) if log else mcolors.Normalize(vmin=lo, vmax=hi)
    return norm, extend


def line_handle(label_: str, color="black"):
    """A legend entry for an outline drawn in ``color``."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color=color, lw=1.2, label=label_)


def marker_handle(label_: str, color="black", edge="none"):
    """A legend entry for scatter points, LEGEND_MARKER_SIZE whatever the size of the points drawn."""
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="none", marker="o", ms=LEGEND_MARKER_SIZE, color=color, mec=edge, label=label_)


def category_colors(n, avoid_green: bool = False):
    """``n`` distinct colours (tab10, then the light tab20 shades); no greens with ``avoid_green``
    (green marks a band, e.g. the Δa_μ band of the Z′ plot)."""
    _, _, _, matplotlib = require_matplotlib()
    tab20 = list(matplotlib.colormaps["tab20"].colors)
    base = tab20[0::2] + tab20[1::2]
    if avoid_green:
        base = [c for k, c in enumerate(base) if k not in (2, 12)]  # tab10 green and its light shade
    return [base[i % len(base)] for i in range(n)]


def marker_size(n: int, lo: float = 1.5, hi: float = 24.0) -> float:
    """Scatter marker area for ``n`` points: large for a few, small for many."""
    return float(np.clip(24.0 * math.sqrt(300.0 / max(n, 1)), lo, hi))


def outline(ax, ex, ey, inside: np.ndarray, **style) -> None:
    """Draw the boundary of the set of bins ``inside`` (shape (nx, ny)) along bin edges."""
    from matplotlib.collections import LineCollection

    pad = np.pad(inside, 1, constant_values=False)
    segs = []
    vert = pad[1:, 1:-1] != pad[:-1, 1:-1]  # (nx + 1, ny): edge at ex[i] between bins i-1 and i
    for i, j in zip(*np.nonzero(vert)):
        segs.append([(ex[i], ey[j]), (ex[i], ey[j + 1])])
    horiz = pad[1:-1, 1:] != pad[1:-1, :-1]  # (nx, ny + 1): edge at ey[j]
    for i, j in zip(*np.nonzero(horiz)):
        segs.append([(ex[i], ey[j]), (ex[i + 1], ey[j])])
    label_ = style.pop("label", None)
    ls = style.pop("ls", "-")
    ax.add_collection(LineCollection(segs, linestyles=ls, label=label_, **style))
