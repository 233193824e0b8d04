"""The leptoquark model's own figure: the ``lq-couplings`` preset, |coupling| planes of the viable points in
the style of the letter's Figs. 3-4."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from flavorscan.kernels.names import ENTRY_NAMES
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots.binning import auto_log, subsample
from flavorscan.scanner.plots.canvas import color_scale, marker_size, new_figure, save, set_axes
from flavorscan.scanner.plots.data import RunData, factors, split_prefix
from flavorscan.scanner.plots.figures import DEFAULT_MAX_POINTS
from flavorscan.scanner.plots.labels import figure_title, label

# Panels of the lq-couplings preset, in the style of the letter's Figs. 3-4: |coupling| planes (log axes) of
# couplings that enter the same observable, and products against the leptoquark mass that suppresses them.
# A panel is drawn when both of its expressions vary among the viable points; at most six, in this order.
COUPLING_PAIRS = (
    ("abs:yL_tmu", "abs:yR_tmu", r"$\Delta a_\mu$ ($S_1$, top loop)"),
    ("M_S1", "abs:yL_tmu*abs:yR_tmu", r"$\Delta a_\mu \propto |y^L_{t\mu} y^R_{t\mu}|\,/\,M_{S_1}^2$"),
    ("abs:yL_ce", "abs:yR_ce", r"$\Delta a_e$ ($S_1$, charm loop)"),
    ("abs:fL_cmu", "abs:fR_cmu", r"$\Delta a_\mu$ ($R_2$, charm loop)"),
    ("abs:fR_ce", "abs:fR_te", r"$R_{K^{(*)}}$ ($R_2$: $\hat f^R_{se} \hat f^{R*}_{be}$)"),
    ("abs:fR_cmu", "abs:fR_tmu", r"$R_{K^{(*)}}$, $\mu\mu$ ($R_2$)"),
    ("abs:yL_ctau", "abs:yR_ctau", r"$R_{D^{(*)}}$ ($S_1$, $\nu_\tau$)"),
    ("abs:yL_tmu", "abs:yR_ctau", r"$R_{D^{(*)}}$ ($S_1$, $\nu_\mu$)"),
    ("abs:fL_ctau", "abs:fR_ttau", r"$R_{D^{(*)}}$ ($R_2$)"),
    ("abs:fL_utau", "abs:yR_ctau", r"neutrino mass ($f^L$, $y^R$)"),
    ("abs:yL_cmu", "abs:fL_ctau", r"neutrino mass ($y^L$, $f^L$)"),
)
MASSES = ("M_R2", "M_S1")


def _pairs(data: RunData, mask: np.ndarray, max_panels: int) -> list[tuple[str, str, str]]:
    """Panels of the preset: the known pairs (COUPLING_PAIRS) whose expressions both vary among the rows of
    ``mask``, then pairs of the remaining varying couplings."""
    known: dict[str, bool] = {}

    def varies(expr):
        if expr not in known:
            known[expr] = data.has(expr) and bool(data.varying([expr], mask))
        return known[expr]

    pairs = [(a, b, why) for a, b, why in COUPLING_PAIRS if varies(a) and varies(b)]
    if len(pairs) < max_panels:
        used = {f for a, b, _ in pairs for e in (a, b) for f in factors(e)}
        rest = [e for e in data.parameter_exprs() if split_prefix(e)[1] in ENTRY_NAMES]
        rest = [e if e.startswith("abs:") else f"abs:{e}" for e in data.varying(rest, mask)]
        rest = [e for e in rest if e not in used]
        for a, b in zip(rest[0::2], rest[1::2]):
            pairs.append((a, b, ""))
    return pairs[:max_panels]


def coupling_planes(data: RunData, out, *, max_panels: int = 6, title: str | None = None, dpi: int = 120,
                    **ignored) -> Path:
    """The letter's Figs. 3-4 style: planes of the viable points' |couplings| (pairs that enter the same
    observable, and |y y| products against the leptoquark mass) on log axes, coloured by chi2_total, with
    the masses' plane as the last panel when both masses vary. Axis and binning options are ``ignored``
    (the preset chooses its own axes)."""
    data.require_rows()
    viable = data.viable() & data.finite()
    if not viable.any():
        raise UserError(f"no viable points in {data.path}; the lq-couplings preset plots viable points only")
    pairs = _pairs(data, viable, max_panels)
    masses = [m for m in MASSES if data.has(m)]
    if len(masses) == 2 and len(data.varying(masses, viable)) == 2:
        pairs = pairs[: max_panels - 1] + [(*MASSES, "leptoquark masses")]
    if not pairs:
        raise UserError(f"{data.path}: no two LQ couplings vary among the viable points (nothing to plot)")
    n = len(pairs)
    ncol = min(3, n)
    nrow = math.ceil(n / ncol)
    fig = new_figure(4.0 * ncol + 1.2, 3.5 * nrow + 0.7)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    chi2 = data.chi2() if "chi2_total" in data.columns else np.zeros(data.rows)
    idx, sampled = subsample(viable, None, DEFAULT_MAX_POINTS)
    order = idx[np.argsort(-np.nan_to_num(chi2[idx], nan=np.inf))]  # lowest chi2 drawn last (on top)
    norm, extend = color_scale(chi2[order], chi2=True)
    s = marker_size(order.size, lo=2.0)
    sc = None
    for k, (a, b, why) in enumerate(pairs):
        ax = axes[k // ncol][k % ncol]
        av, bv = np.asarray(data.get(a), float)[order], np.asarray(data.get(b), float)[order]
        la, lb = auto_log(av, a), auto_log(bv, b)
        sc = ax.scatter(av, bv, c=chi2[order], cmap="viridis", norm=norm, s=s, lw=0, rasterized=True)
        set_axes(ax, data, a, b, la, lb)
        if why:
            ax.set_title(why, fontsize=9)
    for k in range(n, nrow * ncol):
        axes[k // ncol][k % ncol].set_visible(False)
    if sc is not None:
        fig.colorbar(sc, ax=axes, label=label("chi2_total"), shrink=0.9, extend=extend)
    note = f"{int(viable.sum())} viable points" + (f" ({idx.size} drawn at random)" if sampled else "")
    fig.suptitle(figure_title(data, f"|coupling| planes of the viable points; {note}", title), fontsize=9)
    return save(fig, out, dpi)
