"""matplotlib, kept optional and stateless: the import with its install hint, Agg figures, saving, and the axis
and colour conventions every figure shares (log axes with light minor ticks, plain tick labels on short log
axes, colour scales, category colours, marker sizes, outlines of sets of bins).

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
from flavorscan.scanner.plots.labels import label

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


def set_axes(ax, data, x: str, y: str | None, logx: bool, logy: bool) -> None:
    """Label the axes of ``ax`` with the column expressions ``x`` and ``y`` of ``data`` (a RunData; no y
    label for y=None) and set their scales."""
    ax.set_xlabel(label(x, data.registry))
    if y is not None:
        ax.set_ylabel(label(y, data.registry))
    if logx:
        set_log(ax, "x")
        _plain_log_labels(ax, "x")
    if logy:
        set_log(ax, "y")
        _plain_log_labels(ax, "y")
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


def color_norm(values):
    """Colour normalisation of the values a scatter is coloured by (χ², any column): logarithmic when the
    finite values are positive and span more than two decades, linear between their extremes otherwise
    (0..1 without finite values)."""
    _, _, mcolors, _ = require_matplotlib()
    v = values[np.isfinite(values)]
    if v.size and v.min() > 0 and v.max() / v.min() > 100:
        return mcolors.LogNorm(vmin=v.min(), vmax=v.max())
    return mcolors.Normalize(vmin=v.min() if v.size else 0.0, vmax=v.max() if v.size else 1.0)


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
