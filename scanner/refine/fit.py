"""``fit``: the free parameters of one [point] card fitted to its enabled constraints.

Starts: the card's point, then ``n_starts - 1`` random ones around it (seeded numpy Generator; how a start
moves is the model's parametrisation: see its ``perturb``). Every start is refined in one batch; the result
is the best start by the loop's best-step rule (:func:`flavorscan.scanner.refine.loop.best_index`).
"""

from __future__ import annotations

import math

import numpy as np

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.evaluate import constraint_report
from flavorscan.scanner.refine.loop import STATUS_CONVERGED, STATUS_NAMES, Refiner, best_index, refiner_for
from flavorscan.scanner.refine.settings import settings_of


def fit_starts(card: dict, settings: dict, refiner: Refiner):
    """(u, fixed, mask) of the card's point followed by ``n_starts - 1`` random starts."""
    from flavorscan.scanner.pipeline import point_params

    base = {k: np.asarray(v)[None] for k, v in point_params(card, refiner.inputs).items()}
    u, fixed, mask = refiner.encode(base, settings)
    n = settings["n_starts"]
    if n == 1:
        return u, fixed, mask
    import jax

    rng = np.random.default_rng(settings["seed"])
    moved = refiner.parametrisation.perturb(u, fixed, mask, rng, n - 1, settings)
    starts = {k: np.concatenate([u[k], moved[k]]) for k in u}
    return (starts, *jax.tree.map(lambda leaf: np.repeat(np.asarray(leaf), n, axis=0), (fixed, mask)))


def _number(x):
    x = float(x)
    return x if math.isfinite(x) else None


def fit_card(card: dict, settings: dict | None = None, steps: int | None = None, progress=None) -> dict:
    """Fit the free parameters of a [point] card; returns the best start's result: {"params", "start_params"
    (the parameters that start had), "observables",
    "chi2_total", "loss", "start_loss", "viable", "steps", "converged", "status", "failing", "constraints",
    "start", "n_starts", "starts_viable"}. ``progress``: a :class:`flavorscan.scanner.progress.Progress`
    (compilation, then the starts: one batch, so the line moves once, at the end)."""
    import jax

    if "point" not in card:
        raise UserError("fit needs a card with a [point] table")
    settings = dict(settings if settings is not None else settings_of(card))
    if steps is not None:
        settings["steps"] = steps
    refiner = refiner_for(card, settings)
    refiner.parametrisation.check_point(card["point"], settings)
    starts = fit_starts(card, settings, refiner)
    if progress is not None:
        progress.start(settings["n_starts"])
    try:
        columns = refiner.refine_encoded(*starts, steps=settings["steps"], settings=settings, progress=progress)
        loss = columns["refine_loss"]
        viable = columns["viable"].astype(bool)
        if progress is not None:
            progress.update(len(loss), viable=int(viable.sum()))
    finally:
        if progress is not None:
            progress.close()
    # the best start by the best-step rule of the loop (until = "viable": viable first, then the lowest
    # loss; until = "stalled": the lowest loss); ties by start index (deterministic)
    best = best_index(loss, viable, settings["until"])
    spec = refiner.point_function.model
    names = [o.name for o in spec.parameters]
    first = refiner.column_values(*(jax.tree.map(lambda leaf: np.asarray(leaf)[best: best + 1], starts)), names,
                                  settings)
    constraint_set = refiner.point_function.constraints
    failing = [n for n in refiner.constraint_names if not bool(columns[f"pass_{n}"][best])]
    row = {name: np.asarray(values[best]) for name, values in columns.items()}
    constraints = constraint_report(constraint_set, row, jax.device_get(constraint_set.references(row)))
    return {
        "params": {o.name: _number(columns[o.name][best]) for o in spec.parameters},
        "start_params": {name: _number(value[0]) for name, value in zip(names, first)},
        "observables": {o.name: _number(columns[o.name][best]) for o in spec.observables},
        "chi2_total": _number(columns["chi2_total"][best]),
        "loss": _number(loss[best]),
        "start_loss": _number(columns["refine_start_loss"][best]),
        "viable": bool(viable[best]),
        "steps": int(columns["refine_steps"][best]),
        "converged": int(columns["refine_status"][best]) == STATUS_CONVERGED,
        "status": STATUS_NAMES[int(columns["refine_status"][best])],
        "failing": failing,
        "constraints": constraints,
        "start": best,
        "n_starts": len(loss),
        "starts_viable": int(viable.sum()),
    }
