"""Evaluate single points of a card: every observable and constraint (``flavorscan point``, the Python API).

:class:`Evaluator` compiles the card's point function once and evaluates any number of points with it, given
as the card's own [point], as another resolved [point] table of the same model, or as a params pytree.
"""

from __future__ import annotations

import math

from flavorscan.scanner import models


def number(x):
    """A JSON number: NaN/inf become None."""
    x = float(x)
    return x if math.isfinite(x) else None


def constraint_report(constraint_set, columns, references) -> dict:
    """Per enabled constraint of one point, what the verdict was: {"kind", "value" (the observable),
    "compared_to" (in the observable's units: the measurement, the best fit of the point's ordering, the limit
    — mass-scaled where it scales — or [lo, hi]), "pull" (Gaussian and oscillation), "ratio" (value / limit,
    limits), "pass", "chi2", "approx" (the entry's numbers are approximate)}. ``columns`` and ``references``
    (:meth:`~flavorscan.scanner.constraints.ConstraintSet.references`) of one point."""
    report = {}
    for constraint in constraint_set.constraints:
        name, kind, spec = constraint.name, constraint.kind, constraint.spec
        mapping = spec.get("prediction", {})
        offset, scale = mapping.get("offset", 0.0), mapping.get("scale", 1.0)
        reference, pull = references[name]
        to_observable = lambda x: number((float(x) - offset) / scale)  # noqa: E731  (measured units -> observable)
        value = number(columns[constraint.observable])
        compared_to = [to_observable(r) for r in reference] if kind == "range" else to_observable(reference)
        ratio = None
        if kind in ("upper_limit", "lower_limit", "mass_dependent_upper_limit") and value is not None and compared_to:
            ratio = number(value / compared_to)
        report[name] = {
            "kind": kind,
            "value": value,
            "compared_to": compared_to,
            "pull": number(pull) if constraint_set.has_chi2(name) else None,
            "ratio": ratio,
            "pass": bool(columns[f"pass_{name}"]),
            "chi2": number(columns[f"chi2_{name}"]) if constraint_set.has_chi2(name) else None,
            "approx": bool(spec.get("approx", False)),
        }
    return report


class Evaluator:
    """Compiled evaluation of points of one card (its model, measurement set and constraints).

    Args:
        card: a resolved card (``flavorscan.scanner.config.load_card`` / ``resolve_card``).
    """

    def __init__(self, card: dict):
        import jax

        from flavorscan.scanner.pipeline import make_point_function, model_inputs

        self.card = card
        self.spec = models.get(card["model"])
        self.inputs = model_inputs(card)
        self.point_function = make_point_function(card, self.inputs)
        constraints = self.point_function.constraints

        def judge(observed):
            return constraints.evaluate(observed), constraints.references(observed)

        # Two programs, as in the engine (scanner/engine.py): the verdicts are computed from the observable
        # values this evaluation reports, not from a copy XLA may recompute with another rounding inside them.
        self._observe = jax.jit(self.point_function.observe)
        self._judge = jax.jit(judge)

    def _evaluate_params(self, params):
        observed = self._observe(params)
        judged, references = self._judge(observed)
        return {**observed, **judged}, references

    def columns(self, params) -> dict:
        """{column: scalar} of one point given as a params pytree."""
        return self._evaluate_params(params)[0]

    def evaluate(self, point: dict | None = None) -> dict:
        """The result of one point: the card's [point] (default) or another resolved [point] table.

        Returns:
            {"observables": {name: value}, "constraints": {name: {"value", "pass", "chi2", "approx"}},
            "viable": bool, "chi2_total": value, "units": {name: unit}}; non-finite numbers are None.
        """
        point = self.card["point"] if point is None else point
        columns, references = self._evaluate_params(self.spec.point_params(point, self.inputs))
        constraints = constraint_report(self.point_function.constraints, columns, references)
        return {
            "observables": {o.name: number(columns[o.name]) for o in self.spec.observables},
            "constraints": constraints,
            "viable": bool(columns["viable"]),
            "chi2_total": number(columns["chi2_total"]),
            "units": {o.name: o.unit for o in self.spec.observables},
        }


def evaluate_card_point(card: dict) -> dict:
    """The result of a card's [point] (:meth:`Evaluator.evaluate`)."""
    return Evaluator(card).evaluate()
