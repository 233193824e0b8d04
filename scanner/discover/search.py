"""The discovery search: a population of points evolved by gradient stages and resampling (docs/discovery.md).

One *batch* is an independent restart: a population of ``population`` members drawn from the card's prior
(the model's :class:`~flavorscan.scanner.models.spec.Encoding`), then ``generations`` stages. In each stage
every member takes ``steps`` optimizer steps (optax, the whole population one jitted, vmapped computation) on
the discovery loss; every ``record_every`` steps and at the end the population is evaluated exactly (the point
function of ``flavorscan run``: pass flags, viability) and its viable members are recorded; at the end of the
stage the lowest-loss ``keep_fraction`` survive and the rest of the next population are their mutated
children (noise plus discrete moves). Batch ``b`` draws
everything from ``fold_in(PRNGKey(seed), b)``: its rows depend only on (seed, b).

The discovery loss (per point, traced) is built from the card's constraints:

- an oscillation constraint: its pull^2, weighted by 0 before ``oscillation_from``, ramped to 1 over that
  generation (continuation: the anomalies need large couplings, the neutrino data fix their ratios);
- a Gaussian constraint whose measurement lies more than 2 sigma from the Standard-Model value x_SM (the
  value at zero couplings, evaluated once): while it fails, (t/sigma)^2 [asinh(s/eps) - asinh(t/eps)]^2 /
  asinh(|t|/eps)^2 x 4 + 1 with s = x - x_SM, t = value - x_SM, eps = 1e-6 sigma (``anomaly_scale = "log"``):
  a log scale of the new-physics shift, so a tiny shift still has a gradient; 0 once |pull| <= 0.8 n_sigma;
- any other Gaussian: the hinge (|pull| - 0.8 n_sigma)^2;
- an upper limit (mass-dependent or not): (relu(ln(|x|/L) + 0.05)/0.1)^2; a lower limit likewise;
- a range: the linear hinge outside [lo, hi] shrunk by 5% of its width, in units of 10% of the width.
The margins keep the optimizer inside the windows; viability is always decided by the exact pass flags.
"""

from __future__ import annotations

import math
import time
from typing import Iterator

import numpy as np

from flavorscan.scanner import models
from flavorscan.scanner.errors import UserError

ANOMALY_SIGMAS = 2.0
ANOMALY_EPSILON = 1e-6
PULL_MARGIN = 0.8


def batch_rng(seed: int, batch: int) -> np.random.Generator:
    """The numpy generator of batch ``batch``: seeded by the key data of fold_in(PRNGKey(seed), batch)."""
    import jax

    key = jax.random.fold_in(jax.random.PRNGKey(seed), batch)
    return np.random.default_rng(np.asarray(jax.random.key_data(key), dtype=np.uint32))


class Discovery:
    """The compiled search of one card ([scan] priors, [discover] settings, constraints)."""

    def __init__(self, card: dict, progress=None):
        """``progress``: an optional :class:`flavorscan.scanner.progress.Progress` whose compilation phase starts
        once the card has been checked (a bad card stays one error line) and before the first compilation."""
        import jax
        import jax.numpy as jnp

        from flavorscan.scanner.pipeline import make_point_function, model_inputs
        from flavorscan.scanner.refine.settings import make_optimizer

        spec = models.get(card["model"])
        if spec.discovery is None:
            raise UserError(f"discover: model {spec.name!r} has no discovery encoding (its [scan] grids serve it; "
                            "docs/discovery.md)")
        if "scan" not in card or "discover" not in card:
            raise UserError("discover needs a card with a [scan] table (the prior) and a [discover] table")
        if not card["likelihood"]["constraints"]:
            raise UserError("discover: no constraint is enabled: every point would be viable; enable at least one")
        self.card = card
        self.settings = card["discover"]
        self.spec = spec
        self.encoding = spec.discovery(card)
        if progress is not None:
            progress.begin_compile("the discovery kernels")
        self.point_function = make_point_function(card, model_inputs(card))
        self.constraints = self.point_function.constraints
        null_columns = jax.jit(self.point_function)(self.encoding.decode(self.encoding.null))
        self.column_dtypes = {name: np.dtype(value.dtype) for name, value in null_columns.items()}
        self.standard_model = {c.name: float(null_columns[c.observable]) for c in self.constraints.constraints
                               if c.kind != "oscillation"}
        optimizer = make_optimizer({"optimizer": self.settings["optimizer"],
                                    "learning_rate": self.settings["learning_rate"]})
        self._optimizer = optimizer
        continuous = self.encoding.continuous

        def loss(variables, fixed, oscillation_weight):
            member = dict(fixed, **variables)
            columns = self.point_function(self.encoding.decode(member))
            oscillation, other = self._terms(columns)
            total = other + oscillation_weight * oscillation
            total = jnp.where(jnp.isfinite(total), total, 1e30)
            return jnp.log1p(total), total

        gradient = jax.vmap(jax.grad(loss, has_aux=True), in_axes=(0, 0, None))

        def init_state(population):
            return optimizer.init({k: population[k] for k in continuous})

        def stage(population, state, start_weight, end_weight, offset, count, total):
            """``count`` optimizer steps from step ``offset`` of a generation of ``total`` steps (the oscillation
            weight ramps from start_weight to end_weight over the generation)."""
            variables = {k: population[k] for k in continuous}
            fixed = {k: v for k, v in population.items() if k not in continuous}

            def body(i, carry):
                variables, state = carry
                progress = (offset + i) / max(1, total)
                weight = start_weight + (end_weight - start_weight) * jnp.minimum(1.0, progress)
                grads, _ = gradient(variables, fixed, weight)
                grads = jax.tree.map(lambda g: jnp.where(jnp.isfinite(g), g, 0.0), grads)
                updates, state = optimizer.update(grads, state, variables)
                variables = self.encoding.clip(jax.tree.map(lambda a, b: a + b, variables, updates))
                return variables, state

            variables, state = jax.lax.fori_loop(0, count, body, (variables, state))
            return dict(fixed, **variables), state

        def evaluate(population, oscillation_weight):
            def one(member):
                columns = self.point_function(self.encoding.decode(member))
                oscillation, other = self._terms(columns)
                score = other + oscillation_weight * oscillation
                return columns, jnp.where(jnp.isfinite(score), score, jnp.inf)

            return jax.vmap(one)(population)

        self._init_state = jax.jit(init_state)
        self._stage = jax.jit(stage, static_argnums=(5, 6))
        self._evaluate = jax.jit(evaluate)
        # the rows of chosen members only go to the host (a population can be 1e6 points on a GPU)
        self._gather = jax.jit(lambda columns, index: jax.tree.map(lambda c: c[index], columns))

    # -- the loss --------------------------------------------------------------------------------------

    def _terms(self, columns):
        """(oscillation term, every other term) of the discovery loss of one point (module docstring)."""
        import jax
        import jax.numpy as jnp

        from flavorscan.scanner.constraints import gaussian_sigmas

        references = self.constraints.references(columns)
        n_sigma = self.constraints.n_sigma
        log_scale = self.settings["anomaly_scale"] == "log"
        oscillation = other = 0.0
        for c in self.constraints.constraints:
            reference, pull = references[c.name]
            if c.kind == "oscillation":
                oscillation = oscillation + pull * pull
                continue
            mapping = c.spec.get("prediction", {})
            offset, scale = mapping.get("offset", 0.0), mapping.get("scale", 1.0)
            x = offset + scale * columns[c.observable]
            if c.kind == "gaussian":
                sigma = 0.5 * sum(gaussian_sigmas(c.spec))
                x_sm = offset + scale * self.standard_model[c.name]
                target = c.spec["value"] - x_sm
                if log_scale and abs(target) > ANOMALY_SIGMAS * sigma:
                    eps = ANOMALY_EPSILON * sigma
                    shift = (jnp.arcsinh((x - x_sm) / eps) - jnp.arcsinh(target / eps)) / math.asinh(abs(target) / eps)
                    term = jnp.where(jnp.abs(pull) <= PULL_MARGIN * n_sigma, 0.0,
                                     4.0 * (target / sigma) ** 2 * shift * shift + 1.0)
                else:
                    term = jnp.maximum(jnp.abs(pull) - PULL_MARGIN * n_sigma, 0.0) ** 2
            elif c.kind in ("upper_limit", "mass_dependent_upper_limit"):
                term = (jax.nn.relu(jnp.log(jnp.maximum(jnp.abs(x), 1e-300) / reference) + 0.05) / 0.1) ** 2
            elif c.kind == "lower_limit":
                term = (jax.nn.relu(jnp.log(reference / jnp.maximum(x, 1e-300)) + 0.02) / 0.1) ** 2
            else:  # range
                lo, hi = reference[0], reference[1]
                width = hi - lo
                term = ((jax.nn.relu(lo + 0.05 * width - x) + jax.nn.relu(x - hi + 0.05 * width)) / (0.1 * width)) ** 2
            other = other + term
        return oscillation, other

    # -- one batch ---------------------------------------------------------------------------------------

    def records(self) -> list[int]:
        """The step counts of one generation's sub-stages: the population is evaluated (and its viable members
        recorded) after each, every ``record_every`` steps and at the end."""
        steps, every = self.settings["steps"], self.settings["record_every"]
        return [min(every, steps - start) for start in range(0, steps, every)] or [0]

    def evaluations_per_batch(self) -> int:
        s = self.settings
        return s["population"] * s["generations"] * (s["steps"] + len(self.records()))

    def oscillation_weights(self, generation: int) -> tuple[float, float]:
        """(start, end) weight of the oscillation terms in a generation: 0 before ``oscillation_from``, ramped
        0 -> 1 during it, 1 after."""
        start = self.settings["oscillation_from"]
        if generation < start:
            return 0.0, 0.0
        return (0.0, 1.0) if generation == start else (1.0, 1.0)

    def rows(self, columns, index: np.ndarray) -> dict:
        """The columns of members ``index`` (numpy), gathered on the device in a power-of-two bucket."""
        import jax

        if len(index) == 0:
            return {}
        bucket = 1 << int(math.ceil(math.log2(len(index))))
        padded = np.pad(np.asarray(index, dtype=np.int64), (0, bucket - len(index)))
        gathered = jax.device_get(self._gather(columns, padded))
        return {name: np.asarray(value)[: len(index)] for name, value in gathered.items()}

    def run_batch(self, seed: int, batch: int) -> Iterator[tuple[int, object, np.ndarray, np.ndarray]]:
        """The evaluations of one batch: yields (record, the population's columns on the device, score,
        viable) after every sub-stage of every generation (record = generation x records per generation +
        sub-stage); :meth:`rows` fetches the rows of chosen members. Everything is a function of (seed, batch)."""
        import jax

        s = self.settings
        rng = batch_rng(seed, batch)
        population = self.encoding.clip(self.encoding.init(rng, s["population"]))
        keep = max(1, int(s["population"] * s["keep_fraction"]))
        project = self.encoding.project if s["manifold"] else None
        if s["manifold"] and project is None:
            raise UserError(f"discover.manifold: model {self.spec.name!r} has no manifold projection")
        records = self.records()
        for generation in range(s["generations"]):
            start, end = self.oscillation_weights(generation)
            state = self._init_state(population)
            offset = 0
            for sub, count in enumerate(records):
                population, state = self._stage(population, state, start, end, offset, count, s["steps"])
                population = jax.device_get(population)
                offset += count
                if project is not None and generation >= s["oscillation_from"] and sub == len(records) - 1:
                    population = project(rng, population)
                weight = start + (end - start) * min(1.0, offset / max(1, s["steps"]))
                columns, score = self._evaluate(population, weight)
                score, viable = jax.device_get((score, columns["viable"]))
                score, viable = np.asarray(score), np.asarray(viable).astype(bool)
                yield generation * len(records) + sub, columns, score, viable
            if generation + 1 < s["generations"]:
                order = np.argsort(score, kind="stable")[:keep]
                parents = rng.choice(order, s["population"] - keep)
                survivors = {k: np.asarray(v)[order] for k, v in population.items()}
                children = self.encoding.mutate(rng, {k: np.asarray(v)[parents] for k, v in population.items()}, s)
                population = {k: np.concatenate([survivors[k], children[k]]) for k in population}


def member_ids(batch: int, record: int, member: np.ndarray, population: int, records: int) -> np.ndarray:
    """point_id of members: batch x (population x records per batch) + record x population + member."""
    return batch * population * records + record * population + np.asarray(member, dtype=np.int64)


def now() -> float:
    return time.perf_counter()
