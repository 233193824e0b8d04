"""The measurements of a run's measurement set drawn on observable axes: a band of ±nσ around a measured
value for one axis, an ellipse of the joint Gaussian when both axes are measured with a correlation (R_D,
R_D*), a line with the excluded side shaded for a limit.

The numbers are the likelihood module's: the run's resolved ``card["likelihood"]`` (what the run's χ² used,
the user's measurement file included), and for observables the card did not enable, the shipped set
(:func:`flavorscan.scanner.likelihood.shipped_set`) of the card's ``measurements``. Sigmas are the χ²'s own
(:func:`flavorscan.scanner.constraints.gaussian_sigmas`: experiment and theory in quadrature; oscillation
parameters: :func:`~flavorscan.scanner.constraints.oscillation_sigmas` of the normal ordering unless most
rows are inverted). A ``prediction`` mapping (measured = offset + scale x observable) is undone so the
band sits on the observable's own axis. Limits that scale with a mass have no single line and are not drawn.

Confidence levels: a band at CL p spans ±sqrt(chi2.ppf(p, 1)) σ (1σ, 2σ for the default 68.27 %, 95.45 %);
an ellipse is the 2-parameter region Δχ² <= chi2.ppf(p, 2).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots.data import RunData
from flavorscan.scanner.plots.levels import cl_label, dchi2_levels, sigma_multiple
from flavorscan.scanner.plots.labels import constraint_label

COLOR = "crimson"
FILL_ALPHA = 0.12  # per level: overlapping levels darken towards the centre


class Measurement(NamedTuple):
    """One drawable measurement on an observable's axis. ``kind``: "gaussian" (``centre``, ``sigma_lo``,
    ``sigma_hi``), "upper" / "lower" (a limit at ``centre``) or "range" (allowed ``lo``..``hi``)."""

    name: str
    kind: str
    centre: float = float("nan")
    sigma_lo: float = float("nan")
    sigma_hi: float = float("nan")
    lo: float = float("nan")
    hi: float = float("nan")


def _set_entries(data: RunData) -> tuple[dict, dict, list]:
    """(run's constraints {name: entry}, every entry of the set by name with the run's values winning,
    correlations [{observables, rho}])."""
    from flavorscan.scanner.likelihood import shipped_set

    likelihood = data.card.get("likelihood") if isinstance(data.card.get("likelihood"), dict) else {}
    run = {c["name"]: c for c in likelihood.get("constraints", []) if isinstance(c, dict) and "name" in c}
    correlations = list(likelihood.get("correlations", []))
    entries = {}
    set_name = likelihood.get("set") or data.card.get("measurements")
    if isinstance(set_name, str):
        try:
            shipped = shipped_set(set_name)
        except UserError:  # a set this version does not ship: the run's own entries only
            shipped = {}
        entries.update(shipped.get("constraint", {}))
        correlations += list(shipped.get("correlation", []))
    entries.update(run)
    return run, entries, correlations


def _observable_side(entry: dict, values):
    """Measured numbers mapped back to the observable (measured = offset + scale x observable)."""
    mapping = entry.get("prediction", {})
    return [(v - mapping.get("offset", 0.0)) / mapping.get("scale", 1.0) for v in values]


def _inverted(data: RunData) -> bool:
    """Most rows have the inverted ordering (oscillation bands are then the inverted ordering's)."""
    return "ordering" in data.columns and float(np.nanmean(np.asarray(data.get("ordering"), float))) > 0.5


def _from_entry(name: str, entry: dict, data: RunData) -> Measurement | None:
    from flavorscan.scanner.constraints import gaussian_sigmas, oscillation_sigmas

    kind = entry.get("kind")
    scale = entry.get("prediction", {}).get("scale", 1.0)
    if kind in ("gaussian", "oscillation"):
        if kind == "gaussian":
            centre, (s_lo, s_hi) = entry["value"], gaussian_sigmas(entry)
        else:
            ordering = "io" if _inverted(data) else "no"
            centre, (s_lo, s_hi) = entry[f"{ordering}_best"], oscillation_sigmas(entry, ordering)
        lo, mid, hi = _observable_side(entry, [centre - s_lo, centre, centre + s_hi])
        lo, hi = min(lo, hi), max(lo, hi)
        return Measurement(name, "gaussian", mid, mid - lo, hi - mid)
    if "mass_scaling" in entry:  # the limit moves with a mass: no single line
        return None
    if kind in ("upper_limit", "lower_limit"):
        (limit,) = _observable_side(entry, [entry["value"]])
        upper = (kind == "upper_limit") == (scale > 0)
        return Measurement(name, "upper" if upper else "lower", limit)
    if kind == "range":
        lo, hi = sorted(_observable_side(entry, [entry["lo"], entry["hi"]]))
        return Measurement(name, "range", lo=lo, hi=hi)
    return None


def measurement(data: RunData, observable: str) -> Measurement | None:
    """The measurement of ``observable`` (a plain column name) in the run's set: the run's enabled
    constraint on it first, then the entry named like it, then one enabled by default; None if none
    can be drawn."""
    run, entries, _ = _set_entries(data)
    on_axis = [n for n, e in entries.items() if e.get("observable") == observable]
    on_axis.sort(key=lambda n: (n not in run, n != observable, entries[n].get("default") is False))
    for name in on_axis:
        found = _from_entry(name, entries[name], data)
        if found is not None:
            return found
    return None


def correlation(data: RunData, a: Measurement, b: Measurement) -> float | None:
    """rho between the constraints of two measurements in the set, None when the set gives none."""
    _, _, correlations = _set_entries(data)
    for c in correlations:
        if set(c.get("observables", ())) == {a.name, b.name}:
            return float(c["rho"])
    return None


def covariance(a: Measurement, b: Measurement, rho: float) -> np.ndarray:
    """2x2 covariance of two Gaussian measurements (asymmetric errors: their mean)."""
    sa, sb = 0.5 * (a.sigma_lo + a.sigma_hi), 0.5 * (b.sigma_lo + b.sigma_hi)
    return np.array([[sa * sa, rho * sa * sb], [rho * sa * sb, sb * sb]])


def ellipse(centre, cov, dchi2: float, n: int = 256) -> np.ndarray:
    """(n, 2) points of the ellipse (p - centre)^T cov^-1 (p - centre) = dchi2: the unit circle stretched
    by sqrt(dchi2 x eigenvalue) along each eigenvector of ``cov``."""
    values, vectors = np.linalg.eigh(np.asarray(cov, float))
    t = np.linspace(0.0, 2.0 * np.pi, n)
    circle = np.stack([np.cos(t), np.sin(t)])
    return (vectors @ (np.sqrt(dchi2 * values)[:, None] * circle)).T + np.asarray(centre, float)


def band(m: Measurement, cl: float) -> tuple[float, float]:
    """(lo, hi) of a Gaussian measurement's band holding ``cl``: centre - n sigma_lo .. centre + n sigma_hi."""
    n = sigma_multiple(cl)
    return m.centre - n * m.sigma_lo, m.centre + n * m.sigma_hi


def _span(ax, which: str, lo: float, hi: float, **style):
    return (ax.axvspan if which == "x" else ax.axhspan)(lo, hi, **style)


def _line(ax, which: str, at: float, **style):
    return (ax.axvline if which == "x" else ax.axhline)(at, **style)


def _draw_axis(ax, which: str, m: Measurement, cls, log: bool) -> str:
    """Band, limit or range of one measurement along axis ``which``; returns its legend text."""
    what = constraint_label(m.name)
    if m.kind == "gaussian":
        view = list(ax.get_xlim() if which == "x" else ax.get_ylim())
        bands = [band(m, cl) for cl in cls]
        # every band in view (an image's sticky edges would cut it at the data); on a log axis only the
        # positive edges: a band reaching zero runs to the frame
        view[0] = min([view[0]] + [lo for lo, _ in bands if lo > 0 or not log])
        view[1] = max([view[1]] + [hi for _, hi in bands])
        for lo, hi in bands:
            _span(ax, which, lo if lo > 0 or not log else view[0], hi, color=COLOR, alpha=FILL_ALPHA, lw=0,
                  zorder=1.5)
        _line(ax, which, m.centre, color=COLOR, lw=0.9, zorder=4)
        (ax.set_xlim if which == "x" else ax.set_ylim)(view)
        return f"{what} measured:\n{', '.join(cl_label(c) for c in cls)}"
    edge = dict(color=COLOR, lw=1.1, zorder=4)
    shade = dict(facecolor="none", edgecolor=COLOR, hatch="///", lw=0, alpha=0.45, zorder=1.5)
    limits = ax.get_xlim() if which == "x" else ax.get_ylim()
    if m.kind == "range":
        for at in (m.lo, m.hi):
            _line(ax, which, at, **edge)
        _span(ax, which, min(limits[0], m.lo), m.lo, **shade)
        _span(ax, which, m.hi, max(limits[1], m.hi), **shade)
        text = f"{what}: allowed range"
    else:
        _line(ax, which, m.centre, **edge)
        if m.kind == "upper":
            _span(ax, which, m.centre, max(limits[1], m.centre), **shade)
        else:
            _span(ax, which, min(limits[0], m.centre), m.centre, **shade)
        text = f"{what}: {'upper' if m.kind == 'upper' else 'lower'} limit (hatched: excluded)"
    (ax.set_xlim if which == "x" else ax.set_ylim)(limits)  # the shading goes to the frame, no further
    return text


def draw(ax, data: RunData, x: str, y: str, cls, logx: bool = False, logy: bool = False) -> list:
    """Draw the set's measurements of the columns ``x`` and ``y`` on ``ax`` (after the points, so that
    limits are shaded to the frame): an ellipse per CL when both are Gaussian measurements with a
    correlation, else a band or limit per measured axis. Returns legend handles (none when neither
    column is a measured observable)."""
    import matplotlib.patches as mpatches

    mx = measurement(data, x) if data.has(x) and ":" not in x and "*" not in x else None
    my = measurement(data, y) if data.has(y) and ":" not in y and "*" not in y else None
    handles = []
    rho = correlation(data, mx, my) if mx and my and mx.kind == my.kind == "gaussian" else None
    if rho is not None:
        cov = covariance(mx, my, rho)
        for level in dchi2_levels(cls, 2):
            pts = ellipse((mx.centre, my.centre), cov, level)
            ax.fill(pts[:, 0], pts[:, 1], color=COLOR, alpha=FILL_ALPHA, lw=0, zorder=1.5)
            ax.plot(pts[:, 0], pts[:, 1], color=COLOR, lw=0.9, zorder=4)
        ax.plot(mx.centre, my.centre, marker="+", color=COLOR, ms=9, ls="none", zorder=4)
        text = (f"{constraint_label(mx.name)}, {constraint_label(my.name)} measured (ρ = {rho:g}):\n"
                f"{', '.join(cl_label(c) for c in cls)}, 2 parameters")
        handles.append(mpatches.Patch(facecolor=(0.86, 0.08, 0.24, 0.25), edgecolor=COLOR, label=text))
        return handles
    for which, m, log in (("x", mx, logx), ("y", my, logy)):
        if m is not None:
            text = _draw_axis(ax, which, m, cls, log)
            gaussian = m.kind == "gaussian"
            handles.append(mpatches.Patch(facecolor=(0.86, 0.08, 0.24, 0.25) if gaussian else "none",
                                          edgecolor=COLOR, hatch=None if gaussian else "///", label=text))
    return handles
