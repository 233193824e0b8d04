"""Constraint layer: the card's likelihood -> pass flags, chi^2, smooth penalties, viability.

The card's enabled constraints, with their numbers, are in ``card["likelihood"]`` (resolved from the
measurement set and the user's measurement file by :mod:`flavorscan.scanner.likelihood`). Each turns one
observable of a point into
- ``pass_<name>``: inside the allowed region (Gaussian: |pull| <= n_sigma; oscillation: inside the 3 sigma
  range of the point's own ordering; limits: on the allowed side);
- ``chi2_<name>``: pull^2 for Gaussian and oscillation constraints (NaN for limits, which have no chi^2);
- ``penalty_<name>``: a smooth, non-negative penalty that is zero where the constraint passes, used by
  gradient refinement: ((p/L - 1)/0.1)^2 past a limit L (10% beyond a limit costs as much as a 1 sigma pull),
  and the same with the range width for a range.
``chi2_total`` sums the enabled Gaussian/oscillation chi^2 with the correlations of the set (e.g. R(D),
R(D*)); ``viable`` is 1 when every enabled constraint passes and every observable is finite; ``reason``
is 0 for a normal row and 1 when some observable is NaN/inf (the row is then never viable).

A Gaussian's sigma is the measurement's error, combined in quadrature with ``sigma_theory`` (the SM
prediction's error) when the entry gives one. docs/likelihood.md describes every kind and field.

Everything here is traced by JAX inside the engine's vmapped kernel: one Python loop over the enabled
constraints at trace time, element-wise operations at run time.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp

from flavorscan.kernels.interpolation import piecewise_linear

LIMIT_PENALTY_SCALE = 0.1
REASON_OK, REASON_NONFINITE = 0, 1


class Constraint(NamedTuple):
    name: str
    kind: str
    observable: str
    spec: dict  # the likelihood entry (numbers, source)


class Verdict(NamedTuple):
    """One constraint on one point: pass flag, signed pull (NaN for limits), penalty, and what the value was
    compared to (``reference``: measurement or limit, mass-scaled where it scales; a [lo, hi] pair for ranges)."""

    passed: object
    pull: object
    penalty: object
    reference: object


def _prediction(spec, observable):
    mapping = spec.get("prediction", {})
    return mapping.get("offset", 0.0) + mapping.get("scale", 1.0) * observable


def _asymmetric_pull(x, centre, sigma_lo, sigma_hi):
    return jnp.where(x >= centre, (x - centre) / sigma_hi, (x - centre) / sigma_lo)


def oscillation_sigmas(spec, ordering: str):
    """1 sigma errors [lo, hi] of one ordering: given, or the 3 sigma half-ranges divided by 3."""
    if f"{ordering}_sigma" in spec:
        return spec[f"{ordering}_sigma"]
    lo, hi = spec[f"{ordering}_range"]
    best = spec[f"{ordering}_best"]
    return [(best - lo) / 3.0, (hi - best) / 3.0]


def limit_penalty(excess):
    """Zero inside, quadratic outside; ``excess`` is the relative violation (positive = violated)."""
    return (jnp.maximum(excess, 0.0) / LIMIT_PENALTY_SCALE) ** 2


def _mass_scaled_limit(spec, values):
    scaling = spec.get("mass_scaling")
    limit = spec["value"]
    if scaling is None:
        return limit
    return limit * (values[scaling["mass"]] / 1000.0) ** scaling["power"]


def _interpolated_limit(spec, values):
    """Linear in the mass between the tabulated points, linear extrapolation outside."""
    return piecewise_linear(values[spec["mass"]], spec["masses"], spec["limits"])


def gaussian_sigmas(spec) -> tuple[float, float]:
    """(sigma below, sigma above) of a Gaussian entry: the measurement's errors, each combined in quadrature
    with the theory error ``sigma_theory`` when given."""
    theory = spec.get("sigma_theory", 0.0)
    lo = spec.get("sigma_lo", spec.get("sigma"))
    hi = spec.get("sigma_hi", spec.get("sigma"))
    return math.hypot(lo, theory), math.hypot(hi, theory)


def evaluate_one(constraint: Constraint, values: dict, n_sigma: float) -> Verdict:
    """The :class:`Verdict` of one constraint for one point's observable/parameter values."""
    spec, kind = constraint.spec, constraint.kind
    x = _prediction(spec, values[constraint.observable])
    nan = jnp.full_like(x, math.nan)
    if kind == "gaussian":
        sigma_lo, sigma_hi = gaussian_sigmas(spec)
        pull = _asymmetric_pull(x, spec["value"], sigma_lo, sigma_hi)
        return Verdict(jnp.abs(pull) <= n_sigma, pull, jnp.maximum(jnp.abs(pull) - n_sigma, 0.0) ** 2,
                       spec["value"] + 0.0 * x)
    if kind == "oscillation":
        inverted = values["ordering"] > 0.5
        best = jnp.where(inverted, spec["io_best"], spec["no_best"])
        lo = jnp.where(inverted, spec["io_range"][0], spec["no_range"][0])
        hi = jnp.where(inverted, spec["io_range"][1], spec["no_range"][1])
        no_sig, io_sig = oscillation_sigmas(spec, "no"), oscillation_sigmas(spec, "io")
        sigma_lo = jnp.where(inverted, io_sig[0], no_sig[0])
        sigma_hi = jnp.where(inverted, io_sig[1], no_sig[1])
        pull = _asymmetric_pull(x, best, sigma_lo, sigma_hi)
        width = hi - lo
        penalty = limit_penalty((lo - x) / width) + limit_penalty((x - hi) / width)
        return Verdict((x >= lo) & (x <= hi), pull, penalty, best + 0.0 * x)
    if kind == "upper_limit":
        limit = _mass_scaled_limit(spec, values)
        return Verdict(x <= limit, nan, limit_penalty(x / limit - 1.0), limit + 0.0 * x)
    if kind == "lower_limit":
        limit = spec["value"]
        return Verdict(x >= limit, nan, limit_penalty(1.0 - x / limit), limit + 0.0 * x)
    if kind == "range":
        factor = _mass_scaled_limit(dict(spec, value=1.0), values)  # the same scaling as upper limits
        lo, hi = spec["lo"] * factor, spec["hi"] * factor
        width = hi - lo
        penalty = limit_penalty((lo - x) / width) + limit_penalty((x - hi) / width)
        return Verdict((x >= lo) & (x <= hi), nan, penalty, jnp.stack([lo + 0.0 * x, hi + 0.0 * x]))
    if kind == "mass_dependent_upper_limit":
        limit = _interpolated_limit(spec, values)
        return Verdict(x <= limit, nan, limit_penalty(x / limit - 1.0), limit + 0.0 * x)
    raise ValueError(f"constraint {constraint.name}: unknown kind {kind!r}")


class ConstraintSet:
    """The enabled constraints of one card, evaluated on a point's values (traceable by JAX)."""

    def __init__(self, card: dict):
        likelihood = card["likelihood"]
        self.constraints = [Constraint(entry["name"], entry["kind"], entry["observable"], entry)
                            for entry in likelihood["constraints"]]
        self.n_sigma = card["constraints"]["n_sigma"]
        self.correlations = likelihood["correlations"]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.constraints]

    @property
    def approximate(self) -> list[str]:
        """Names of the enabled constraints whose data entry is marked ``approx = true`` (values recalled or
        approximated, not read from the source: see the entry's ``source``)."""
        return [c.name for c in self.constraints if c.spec.get("approx", False)]

    def has_chi2(self, name: str) -> bool:
        return next(c for c in self.constraints if c.name == name).kind in ("gaussian", "oscillation")

    def evaluate(self, values: dict) -> dict:
        """Columns pass_/chi2_/penalty_<name>, chi2_total, penalty_total, viable, reason for one point."""
        out = {}
        viable = jnp.asarray(True)
        chi2_total = jnp.asarray(0.0)
        penalty_total = jnp.asarray(0.0)
        pulls = {}
        for constraint in self.constraints:
            passed, pull, penalty, _ = evaluate_one(constraint, values, self.n_sigma)
            out[f"pass_{constraint.name}"] = passed
            out[f"chi2_{constraint.name}"] = pull * pull
            out[f"penalty_{constraint.name}"] = penalty
            viable = viable & passed
            if self.has_chi2(constraint.name):
                chi2_total = chi2_total + pull * pull
                pulls[constraint.name] = pull
            penalty_total = penalty_total + penalty
        for correlation in self.correlations:
            a, b = (pulls[n] for n in correlation["observables"])
            rho = correlation["rho"]
            # replace the two independent pull^2 terms by the bivariate Gaussian chi^2
            chi2_total = chi2_total + (a * a + b * b - 2.0 * rho * a * b) / (1.0 - rho * rho) - (a * a + b * b)
        finite = jnp.asarray(True)
        for value in values.values():
            finite = finite & jnp.all(jnp.isfinite(value))
        out["chi2_total"] = chi2_total
        out["penalty_total"] = penalty_total
        out["viable"] = viable & finite
        out["reason"] = jnp.where(finite, REASON_OK, REASON_NONFINITE).astype(jnp.int8)
        return out

    def references(self, values: dict) -> dict:
        """{name: (reference, pull)} of one point (traced): what its value was compared to — the measurement
        (Gaussian), the best fit of the point's ordering (oscillation), the limit (mass-scaled where it
        scales) or the [lo, hi] range, in the units of the measurement — and the signed pull (NaN for
        limits)."""
        out = {}
        for constraint in self.constraints:
            verdict = evaluate_one(constraint, values, self.n_sigma)
            out[constraint.name] = (verdict.reference, verdict.pull)
        return out
