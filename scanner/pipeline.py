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


def physics_key(card: dict) -> str:
    """What a card's compiled point function depends on, as a string: the model, measurement set and
    constraints, the kernels' inputs (a digest), the [scan] keys other than the engine's and which [point]
    keys are given. Point values and engine keys are data: cards that differ only in those share kernels."""
    import hashlib

    import numpy as np

    from flavorscan.scanner.sampling import ENGINE_KEYS
    from flavorscan.scanner.store.format import canonical_json

    digest = hashlib.sha256()
    for name, value in sorted(model_inputs(card).items()):
        digest.update(name.encode() + np.ascontiguousarray(value).tobytes())
    engine = {k.name for k in ENGINE_KEYS}
    return canonical_json({
        **{k: card[k] for k in ("model", "measurements", "constraints")},
        "inputs": digest.hexdigest(),
        "scan": {k: v for k, v in card.get("scan", {}).items() if k not in engine},
        "point": sorted(card.get("point", {})),
    })


def make_point_function(card: dict, inputs: dict):
    """params -> {column: scalar} for one point (parameters, observables, constraints); traced.

    The function carries ``.constraints`` (the card's :class:`ConstraintSet`), ``.model`` (its spec) and
    ``.observe`` (params -> parameter and observable columns only; ``point_function(p)`` is ``observe(p)``
    updated with ``constraints.evaluate`` of it). The engine jits ``observe`` and the constraints as two
    programs: in one program XLA fuses observable arithmetic into the many constraint consumers and
    recomputes it (measured: 25 ms against 17.5 ms for a 4096-point LQ chunk, BENCHMARKS.md)."""
    spec = models.get(card["model"])
    constraints = ConstraintSet(card)
    evaluate = spec.make_evaluator(card, inputs)

    def observe(params):
        parameters, observables = evaluate(params)
        columns = dict(parameters)
        columns.update(observables)
        return columns

    def point_function(params):
        columns = observe(params)
        columns.update(constraints.evaluate(columns))
        return columns

    point_function.constraints = constraints
    point_function.model = spec
    point_function.observe = observe
    return point_function
