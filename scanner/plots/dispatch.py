"""Which figure a ``flavorscan plot`` request draws: a model's preset (by name, from the run's model), a
scatter of two columns, a 2D profile or a 1D profile; the options each accepts and the default file name."""

from __future__ import annotations

import re
from pathlib import Path

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots.canvas import require_matplotlib
from flavorscan.scanner.plots.data import RunData
from flavorscan.scanner.plots.figures import DEFAULT_MAX_POINTS, profile1d, profile2d, scatter
from flavorscan.scanner.plots.levels import DEFAULT_CL


def default_name(*parts) -> str:
    """File name in the current directory built from the parts (columns, preset), e.g. ``M_R2_vs_abs-yR_ctau.png``."""
    text = "_".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text) + ".png"


def draw_preset(data: RunData, name: str, output=None, *, x=None, y=None, bins=None, logx=None, logy=None,
                title=None, dpi: int = 120) -> Path:
    """Draw the preset ``name`` of the run's model into ``output`` (default ``<name>.png``); a preset that
    chooses its own axes refuses ``x``/``y``, the others default to their axes."""
    preset = data.plot_preset(name)
    if preset.axes is None:
        if x or y:
            raise UserError(f"--preset {name} chooses its own axes; drop --x/--y")
        axes = {}
    else:
        axes = {"x": x or preset.axes[0], "y": y or preset.axes[1]}
    return preset.draw(data, output or default_name(name), **axes, bins=bins, logx=logx, logy=logy,
                       title=title, dpi=dpi)


def plot(directory, *, x=None, y=None, kind=None, preset=None, color=None, rows=None, bins=None, logx=None,
         logy=None, max_points=None, cl=None, output=None, title=None, dpi: int = 120) -> tuple[Path, str | None]:
    """Draw what ``flavorscan plot`` asks for from the run in ``directory``: the model's ``preset``, else a
    scatter of ``x`` against ``y`` (``kind`` "scatter", the default with ``y``), a 2D profile (``kind``
    "profile" with ``y``) or a 1D profile of ``x`` (without ``y``); ``cl``: confidence levels of the Δχ²
    lines and the measurement bands (default DEFAULT_CL). Returns (path written, one-line note about the
    run or None). Options that do not apply are one-line UserErrors."""
    require_matplotlib()  # fail early with the install hint
    if preset is not None:
        if kind is not None or color is not None or rows is not None or cl is not None:
            raise UserError(f"--preset {preset} takes no --kind, --color, --rows or --cl")
        data = RunData(directory)
        path = draw_preset(data, preset, output, x=x, y=y, bins=bins, logx=logx, logy=logy, title=title, dpi=dpi)
        return path, data.note
    if not x:
        if y:
            raise UserError("--y needs --x (with --x alone: 1D profile chi2)")
        presets = "|".join(p.name for p in RunData(directory).presets.plots)
        raise UserError("give --x COL (and --y COL)" + (f", or --preset {presets}" if presets else ""))
    kind = kind or ("scatter" if y else "profile")
    if kind == "scatter" and not y:
        raise UserError("a scatter plot needs --y COL (for chi2 against x: --y chi2_total)")
    if kind == "profile" and color is not None:
        raise UserError("--color applies to scatter plots only (a profile is coloured by delta chi2)")
    data = RunData(directory)
    common = dict(logx=logx, logy=logy, cl=cl or DEFAULT_CL, title=title, dpi=dpi)
    if kind == "scatter":
        path = scatter(data, x, y, output or default_name(x, "vs", y), color=color or "chi2", rows=rows or "all",
                       max_points=max_points or DEFAULT_MAX_POINTS, **common)
    elif y:
        path = profile2d(data, x, y, output or default_name("profile", x, y), rows=rows or "limits", bins=bins,
                         **common)
    else:
        path = profile1d(data, x, output or default_name("profile", x), rows=rows or "limits", bins=bins,
                         **common)
    return path, data.note
