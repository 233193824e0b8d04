"""Plots of a run's columns, for any model: scatter, χ² profiles (1D and 2D), a constraint summary and a corner
plot; a model's own figures are its plot presets (:class:`~flavorscan.scanner.models.spec.PlotPreset`, e.g.
the leptoquark coupling planes in :mod:`flavorscan.scanner.models.lq.plots`).

Modules, one job each:

- :mod:`.data`: :class:`RunData`, the columns of a run directory or merged file by name (column expressions
  ``abs:NAME``, ``arg:NAME``, ``A*B``), row selections, the run's card, model and presets;
- :mod:`.binning`: axis scales (log, symlog), clipped colour ranges, bin edges (a grid scan's own grid),
  binned minima / flags, subsampling;
- :mod:`.labels`: axis labels, constraint labels and mathtext-safe titles;
- :mod:`.levels`: confidence levels: Δχ² from scipy.stats.chi2, their labels, ``--cl``;
- :mod:`.measurements`: the run's measurement set on observable axes (bands, correlated ellipses, limits);
- :mod:`.canvas`: optional matplotlib, Agg figures, saving, shared axis and colour conventions;
- :mod:`.figures`: the generic figures;
- :mod:`.dispatch`: what a ``flavorscan plot`` request draws.

Every figure function takes a :class:`RunData` and an output path and returns the path written.
"""

from flavorscan.scanner.plots.binning import auto_log
from flavorscan.scanner.plots.canvas import new_figure, require_matplotlib, save
from flavorscan.scanner.plots.data import ROW_CHOICES, RunData
from flavorscan.scanner.plots.dispatch import draw_preset, plot
from flavorscan.scanner.plots.figures import (
    DEFAULT_MAX_POINTS,
    constraint_summary,
    corner,
    profile1d,
    profile2d,
    profiles,
    scatter,
)
from flavorscan.scanner.plots.labels import figure_title, label

__all__ = [
    "DEFAULT_MAX_POINTS",
    "ROW_CHOICES",
    "RunData",
    "auto_log",
    "constraint_summary",
    "corner",
    "draw_preset",
    "figure_title",
    "label",
    "new_figure",
    "plot",
    "profile1d",
    "profile2d",
    "profiles",
    "require_matplotlib",
    "save",
    "scatter",
]
