"""Confidence levels of the figures: Δχ² thresholds from scipy.stats.chi2 for the number of parameters in a
plane, their labels ("68.27 % (1σ)", "95.45 % (2σ)", "95 %") and the ``--cl`` option's parsing.

A CL of 0.9545 is the Gaussian 2σ probability: Δχ² = 4 for one parameter, 6.18 for two. scipy is part of the
plot extra; without it :func:`chi2_ppf` raises a one-line UserError with the install hint.
"""

from __future__ import annotations

import math

from flavorscan.scanner.errors import UserError

DEFAULT_CL = (0.6827, 0.9545)
SCIPY_MISSING = 'scipy is needed for confidence levels: pip install -e ".[plot]"'
SIGMA_TOLERANCE = 0.005  # a CL names "nσ" when its Gaussian multiple is this close to an integer


def _stats():
    try:
        from scipy import stats
    except ImportError:
        raise UserError(SCIPY_MISSING) from None
    return stats


def chi2_ppf(cl: float, dof: int) -> float:
    """Δχ² of confidence level ``cl`` for ``dof`` parameters: scipy.stats.chi2.ppf(cl, dof)."""
    return float(_stats().chi2.ppf(cl, dof))


def dchi2_levels(cls, dof: int) -> list[float]:
    """Δχ² thresholds of the confidence levels ``cls`` for ``dof`` parameters."""
    return [chi2_ppf(cl, dof) for cl in cls]


def sigma_multiple(cl: float) -> float:
    """n such that ±n σ of a Gaussian hold ``cl``: sqrt(Δχ²) for one parameter."""
    return math.sqrt(chi2_ppf(cl, 1))


def cl_label(cl: float) -> str:
    """"68.27 % (1σ)", "95.45 % (2σ)", "95 %", "99.9999 % (5σ)": the percentage (two decimals, more when two
    would round to 0 or 100, no trailing zeros), and the Gaussian nσ when the level is one."""
    text = percent(cl) + " %"
    n = sigma_multiple(cl)
    if round(n) >= 1 and abs(n - round(n)) < SIGMA_TOLERANCE:
        text += f" ({round(n)}σ)"
    return text


def percent(fraction: float, significant: int | None = None) -> str:
    """100 fraction as text that is strictly between 0 and 100 unless the fraction is exactly 0 or 1: a CL of
    0.9999994 or a pass fraction of 0.9996 must not read "100", nor 1e-5 "0". With ``significant``, that many
    significant digits when they suffice (a pass fraction of 0.000785 reads "0.0785"); otherwise as few decimals
    as do it, at least two (CLs: "68.27"), trailing zeros dropped; "%g" where even 14 decimals round to 0."""
    value = 100.0 * fraction
    if significant is not None:
        text = f"{value:.{significant}g}"
        if value in (0.0, 100.0) or 0.0 < float(text) < 100.0:
            return text
    for digits in range(2, 15):
        text = f"{value:.{digits}f}"
        if 0.0 < float(text) < 100.0:
            return text.rstrip("0").rstrip(".")
    return f"{value:.3g}"


def parse_cl(text: str) -> tuple[float, ...]:
    """``--cl 0.6827,0.9545``: confidence levels strictly between 0 and 1, sorted, duplicates dropped; a
    UserError line otherwise."""
    out = set()
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise UserError(f"--cl: expected numbers between 0 and 1 separated by commas (e.g. 0.6827,0.9545), "
                            f"got {text!r}") from None
        if not 0.0 < value < 1.0:
            raise UserError(f"--cl: each level must be between 0 and 1 (exclusive), got {part.strip()}")
        out.add(value)
    if len(out) > 4:
        raise UserError(f"--cl: at most 4 levels, got {len(out)}")
    return tuple(sorted(out))
