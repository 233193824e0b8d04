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
        self._compiled = jax.jit(self.point_function)

    def columns(self, params) -> dict:
        """{column: scalar} of one point given as a params pytree."""
        return self._compiled(params)

    def evaluate(self, point: dict | None = None) -> dict:
        """The result of one point: the card's [point] (default) or another resolved [point] table.

        Returns:
            {"observables": {name: value}, "constraints": {name: {"value", "pass", "chi2", "approx"}},
            "viable": bool, "chi2_total": value, "units": {name: unit}}; non-finite numbers are None.
        """
        point = self.card["point"] if point is None else point
        columns = self.columns(self.spec.point_params(point, self.inputs))
        constraint_set = self.point_function.constraints
        approximate = set(constraint_set.approximate)
        constraints = {}
        for constraint in constraint_set.constraints:
            name = constraint.name
            constraints[name] = {
                "value": number(columns[constraint.observable]),
                "pass": bool(columns[f"pass_{name}"]),
                "chi2": number(columns[f"chi2_{name}"]) if constraint_set.has_chi2(name) else None,
                "approx": name in approximate,  # limit recalled/approximated, not read from its source
            }
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
