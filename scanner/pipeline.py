"""From a resolved card to the one-point function the engine vmaps: params -> named columns.

The columns of a point are its parameters, every observable of the model and the constraint columns
(pass_/chi2_/penalty_<name>, chi2_total, penalty_total, viable, reason). ``point``, ``run``, ``refine``,
``fit`` and ``bench`` all evaluate points through :func:`make_point_function`, so they cannot disagree.
"""

from __future__ import annotations

from flavorscan.scanner import models
from flavorscan.scanner.constraints import ConstraintSet


def model_inputs(card: dict) -> dict:
    """The kernels' inputs pytree for a card (float64 numpy leaves)."""
    return models.get(card["model"]).inputs(card)


def point_params(card: dict, inputs: dict) -> dict:
    """The params pytree of the card's [point]."""
    return models.get(card["model"]).point_params(card["point"], inputs)


def make_point_function(card: dict, inputs: dict):
    """params -> {column: scalar} for one point (parameters, observables, constraints); traced.

    The function carries ``.constraints`` (the card's :class:`ConstraintSet`) and ``.model`` (its spec)."""
    spec = models.get(card["model"])
    constraints = ConstraintSet(card)
    evaluate = spec.make_evaluator(card, inputs)

    def point_function(params):
        parameters, observables = evaluate(params)
        columns = dict(parameters)
        columns.update(observables)
        columns.update(constraints.evaluate(columns))
        return columns

    point_function.constraints = constraints
    point_function.model = spec
    return point_function
