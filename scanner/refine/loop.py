"""The optimizer loop: vectorised gradient refinement of a batch of points (JAX float64 + optax).

The loss of a point is what the constraint layer already computes for ranking::

    loss = chi2_total + penalty_total (+ the parametrisation's penalty, e.g. on free couplings above
           max_coupling)

``chi2_total`` is the correlated Gaussian + oscillation chi^2 of the enabled constraints and
``penalty_total`` the smooth penalties (zero where each constraint passes). The optimizer minimises
``log1p(loss)`` by default (``objective = "log"``): same minimiser, but gradients keep a sane scale when a
starting point violates a limit by orders of magnitude, which would otherwise freeze Adam's second-moment
estimate for thousands of steps.

What moves is the model's :class:`~flavorscan.scanner.models.spec.Parametrisation`: variables u, decoded to
params inside the loss; variables that are not free decode to their start values bit for bit.

Refinement is vectorised: a batch of points, one optax state per point, a jitted ``lax.while_loop`` over
steps that stops when every point is done (or at the step budget). A point is done when it converged
(it is viable at its best parameters and the loss has not improved by more than ``tolerance * (1 + loss)``
for ``patience`` steps; with ``until = "stalled"`` viability is not required) or when its loss or
gradient became non-finite (it is frozen and its best finite parameters are kept, so one bad point never
poisons the others). "Viable" is the output column ``viable`` of the constraint layer (every enabled
constraint passes and every observable is finite), read from the same point function. The result of a
point is its best evaluated parameters by :func:`beats`: with ``until = "viable"`` a viable iterate beats
every non-viable one (then the lower loss wins), because the loss minimum can lie outside the viable
region; with ``until = "stalled"`` the lowest loss. ``fit`` picks among its starts by the same rule.
``refine_start_loss`` and ``refine_loss`` are both computed by the column kernel (bitwise equal when the
result is the start).
"""

from __future__ import annotations

import math

import numpy as np

from flavorscan.scanner import models
from flavorscan.scanner.refine.settings import make_optimizer, settings_of

STATUS_CONVERGED, STATUS_BUDGET, STATUS_NONFINITE_START, STATUS_DIVERGED = 0, 1, 2, 3
STATUS_NAMES = {STATUS_CONVERGED: "converged", STATUS_BUDGET: "step budget", STATUS_NONFINITE_START: "non-finite start",
                STATUS_DIVERGED: "diverged (best finite point kept)"}
HOST_ONLY_SETTINGS = ("steps", "n_starts", "seed", "start_spread", "mass_spread", "free", "phases", "batch_size")
COLUMN_SETTINGS = ("max_coupling",)
CACHE_SIZE = 8


# ---------------------------------------------------------------------------------------------- best rule

def beats(loss, viable, best_loss, best_viable, until: str, margin=0.0):
    """The best-step rule: whether a candidate (loss, viable) replaces the incumbent (best_loss, best_viable).

    until = "viable": a viable candidate beats a non-viable incumbent, a non-viable one never beats a
    viable incumbent, and at equal viability the loss must be lower than ``best_loss - margin``;
    until = "stalled": the lower loss alone. Strict, so in a pass over candidates in order an earlier one
    keeps a tie. Operators only: works on jax arrays (the loop: iterates of a point, with margin = 0 for the
    best and the tolerance margin for the patience counter) and numpy arrays (:func:`best_index`: the starts
    of a fit)."""
    lower = loss < best_loss - margin
    if until == "viable":
        return (viable & ~best_viable) | ((viable == best_viable) & lower)
    return lower


def best_index(loss, viable, until: str) -> int:
    """Index of the best of several results by :func:`beats` (non-finite losses count as +inf); ties go to
    the lowest index."""
    loss = np.asarray(loss, dtype=np.float64)
    key = np.where(np.isfinite(loss), loss, np.inf)
    viable = np.asarray(viable, dtype=bool)
    best = 0
    for i in range(1, len(key)):
        if beats(key[i], viable[i], key[best], viable[best], until):
            best = i
    return best


# ---------------------------------------------------------------------------------------------- batches

def next_pow2(n: int) -> int:
    return 1 << max(0, int(math.ceil(math.log2(max(n, 1)))))


def take_rows(tree, index):
    """Rows ``index`` of every leaf of a batch pytree (numpy)."""
    import jax

    return jax.tree.map(lambda leaf: np.asarray(leaf)[index], tree)


def batches(n: int, size: int):
    """(start, stop, index) of each group of ``size`` rows of n, the last one padded with copies of its first row."""
    for start in range(0, n, size):
        stop = min(n, start + size)
        index = np.arange(start, stop)
        yield start, stop, np.concatenate([index, np.full(size - len(index), start)])


# ---------------------------------------------------------------------------------------------- refiner

class Refiner:
    """Vectorised gradient refinement of points of one card.

    ``refine(params)`` takes a batch of the model's params (numpy arrays with a leading batch axis, as the
    sampler or :func:`flavorscan.scanner.pipeline.point_params` give them) and returns the refined columns
    (the scan's schema) plus diagnostics. Compiled kernels are kept per batch size, so repeated calls do not
    recompile.
    """

    def __init__(self, card: dict, settings: dict | None = None):
        import jax

        from flavorscan.scanner.pipeline import make_point_function, model_inputs

        self.card = card
        self.settings = dict(settings if settings is not None else settings_of(card))
        self.inputs = model_inputs(card)
        self.point_function = make_point_function(card, self.inputs)
        self.constraint_names = self.point_function.constraints.names
        self.parametrisation = models.get(card["model"]).parametrisation(card)
        self.optimizer = make_optimizer(self.settings)
        self.loop_kernel = jax.jit(self._refine_loop)
        # the column kernel depends only on the physics and max_coupling: one per column_key, shared by
        # refiners that differ in the optimizer or until settings (no second compilation)
        key = column_key(card, self.settings)
        if key not in _COLUMN_KERNELS:
            if len(_COLUMN_KERNELS) >= CACHE_SIZE:
                _COLUMN_KERNELS.pop(next(iter(_COLUMN_KERNELS)))
            _COLUMN_KERNELS[key] = jax.jit(jax.vmap(self._point_columns))
        self.column_kernel = _COLUMN_KERNELS[key]
        self._value_and_grad = jax.jit(jax.vmap(jax.value_and_grad(self._loss_only)))
        self._compiled: set[int] = set()  # batch sizes whose kernels are compiled (refine_encoded)

    def encode(self, params: dict, settings: dict | None = None):
        """(u, fixed, mask) of a batch (the parametrisation's encode with these settings' free/phases; they
        only shape the masks, so one compiled refiner serves any choice)."""
        return self.parametrisation.encode(params, self.settings if settings is None else settings)

    # -- traced (one point) ------------------------------------------------------------------------

    def _loss_and_pass(self, u, fixed, mask):
        """(loss, viable) of one point; ``viable`` is the point function's own output column."""
        columns = self.point_function(self.parametrisation.decode(u, fixed, mask))
        loss = (columns["chi2_total"] + columns["penalty_total"]
                + self.parametrisation.penalty(u, fixed, mask, self.settings))
        return loss, columns["viable"]

    def _objective(self, u, fixed, mask):
        import jax.numpy as jnp

        loss, passed = self._loss_and_pass(u, fixed, mask)
        value = jnp.log1p(loss) if self.settings["objective"] == "log" else loss
        return value, (loss, passed)

    def _loss_only(self, u, fixed, mask):
        return self._loss_and_pass(u, fixed, mask)[0]

    def _point_columns(self, u, fixed, mask):
        import jax.numpy as jnp

        columns = dict(self.point_function(self.parametrisation.decode(u, fixed, mask)))
        failing_count = jnp.asarray(0, jnp.int64)
        failing_bits = jnp.asarray(0, jnp.int64)
        for bit, name in enumerate(self.constraint_names):
            fails = ~columns[f"pass_{name}"]
            failing_count = failing_count + fails.astype(jnp.int64)
            if bit < 63:
                failing_bits = failing_bits | (fails.astype(jnp.int64) << bit)
        columns["refine_n_failing"] = failing_count
        columns["refine_failing"] = failing_bits
        columns["refine_loss"] = (columns["chi2_total"] + columns["penalty_total"]
                                  + self.parametrisation.penalty(u, fixed, mask, self.settings))
        return columns

    def _step(self, carry, fixed, mask):
        """One optimizer step of one point (vmapped)."""
        import jax
        import jax.numpy as jnp

        settings = self.settings
        (value, (loss, passed)), grad = jax.value_and_grad(self._objective, has_aux=True)(carry["u"], fixed, mask)
        grad = jax.tree_util.tree_map(lambda g, m: jnp.where(m, g, 0.0), grad, mask)
        finite = jnp.isfinite(loss) & jnp.isfinite(value)
        for leaf in jax.tree_util.tree_leaves(grad):
            finite = finite & jnp.all(jnp.isfinite(leaf))
        active = carry["active"]
        first = carry["steps"] == 0
        best = carry["best_loss"]
        # until = "viable": a viable iterate beats every non-viable one; among equals the lower loss wins. The
        # loss minimum can lie outside the viable region (Gaussian chi^2 terms keep pulling after they pass),
        # so a trajectory that crosses the viable region keeps its best viable point and stalls there.
        # until = "stalled": the lower loss. best is +inf before the first finite iterate, never NaN.
        until = settings["until"]
        lower = beats(loss, passed, best, carry["best_pass"], until)
        significant = beats(loss, passed, best, carry["best_pass"], until,
                            margin=settings["tolerance"] * (1.0 + jnp.abs(best)))
        new_best = active & finite & lower
        stall = jnp.where(active & finite & significant, 0, carry["stall"] + 1)
        stall = jnp.where(first, 0, stall)
        best_u = jax.tree_util.tree_map(lambda a, b: jnp.where(new_best, a, b), carry["u"], carry["best_u"])
        best_loss = jnp.where(new_best, loss, best)
        best_pass = jnp.where(new_best, passed, carry["best_pass"])
        stalled = stall >= settings["patience"]
        converged = stalled & (best_pass if settings["until"] == "viable" else True)
        status = carry["status"]
        status = jnp.where(active & ~finite, jnp.where(first, STATUS_NONFINITE_START, STATUS_DIVERGED), status)
        status = jnp.where(active & finite & converged, STATUS_CONVERGED, status)
        go_on = active & finite & ~converged

        if settings["optimizer"] == "lbfgs":
            value_fn = lambda x: self._objective(x, fixed, mask)[0]  # noqa: E731
            updates, opt_state = self.optimizer.update(
                grad, carry["opt_state"], carry["u"], value=value, grad=grad, value_fn=value_fn
            )
        else:
            updates, opt_state = self.optimizer.update(grad, carry["opt_state"], carry["u"])
        new_u = jax.tree_util.tree_map(lambda x, d, m: jnp.where(m & go_on, x + d, x), carry["u"], updates, mask)
        new_u = jax.tree_util.tree_map(lambda a, b: jnp.where(jnp.all(jnp.isfinite(a)), a, b), new_u, carry["u"])
        opt_state = jax.tree_util.tree_map(lambda a, b: jnp.where(go_on, a, b), opt_state, carry["opt_state"])
        return {
            "u": new_u,
            "opt_state": opt_state,
            "best_u": best_u,
            "best_loss": best_loss,
            "best_pass": best_pass,
            "stall": stall,
            "active": go_on,
            "steps": carry["steps"] + active.astype(jnp.int64),
            "status": status,
        }

    def _refine_loop(self, u, fixed, mask, max_steps):
        """Batched refinement: while any point is active and the budget lasts, vmapped steps."""
        import jax
        import jax.numpy as jnp

        leaves = jax.tree_util.tree_leaves(mask)
        batch = leaves[0].shape[0]
        # a point with nothing finite to start from has an all-False mask (the parametrisation's encode); it is
        # never activated
        finite_start = self._finite_start(u, fixed)
        carry = {
            "u": u,
            "opt_state": jax.vmap(self.optimizer.init)(u),
            "best_u": u,
            "best_loss": jnp.full((batch,), jnp.inf),
            "best_pass": jnp.zeros((batch,), bool),
            "stall": jnp.zeros((batch,), jnp.int64),
            "active": finite_start,
            "steps": jnp.zeros((batch,), jnp.int64),
            "status": jnp.where(finite_start, STATUS_BUDGET, STATUS_NONFINITE_START).astype(jnp.int8),
        }
        step = jax.vmap(self._step)

        def cond(state):
            i, c = state
            return (i < max_steps) & jnp.any(c["active"])

        def body(state):
            i, c = state
            return i + 1, step(c, fixed, mask)

        _, carry = jax.lax.while_loop(cond, body, (jnp.asarray(0, jnp.int64), carry))
        # a point that never produced a finite loss (budget 0, or non-finite start) keeps its start
        never = ~jnp.isfinite(carry["best_loss"])
        status = jnp.where(never & (carry["status"] == STATUS_BUDGET) & (max_steps > 0),
                           STATUS_NONFINITE_START, carry["status"])
        return carry["best_u"], {"steps": carry["steps"], "status": status}

    @staticmethod
    def _finite_start(u, fixed):
        """Per point: every start value of ``fixed`` and every variable of ``u`` is finite (traced)."""
        import jax
        import jax.numpy as jnp

        finite = None
        for leaf in jax.tree_util.tree_leaves((u, fixed)):
            if not jnp.issubdtype(leaf.dtype, jnp.inexact):
                continue
            ok = jnp.all(jnp.isfinite(leaf).reshape(leaf.shape[0], -1), axis=1)
            finite = ok if finite is None else finite & ok
        return finite

    # -- host API ----------------------------------------------------------------------------------

    def batch_size_for(self, n: int, settings: dict | None = None) -> int:
        """The compiled batch size used for n points: a power of two, at most the settings' batch_size."""
        settings = self.settings if settings is None else settings
        return min(next_pow2(n), next_pow2(settings["batch_size"]))

    def refine(self, params: dict, steps: int | None = None, batch: int | None = None,
               settings: dict | None = None, progress=None) -> dict:
        """Refine a batch of points (see :meth:`refine_encoded`)."""
        settings = self.settings if settings is None else settings
        return self.refine_encoded(*self.encode(params, settings), steps=steps, batch=batch, settings=settings,
                                   progress=progress)

    def _compile(self, u, fixed, mask, steps, size, progress) -> None:
        """Compile the loop and column kernels for one batch ahead of their first call, so that ``progress``
        reports the compilation (minutes for a large model on a loaded machine) apart from the optimisation;
        the calls then find the executables in JAX's cache."""
        from contextlib import nullcontext

        if size in self._compiled:
            return
        with progress.compiling("the refinement kernels") if progress is not None else nullcontext():
            self.loop_kernel.lower(u, fixed, mask, np.int64(steps)).compile()
            self.column_kernel.lower(u, fixed, mask).compile()
        self._compiled.add(size)

    def refine_encoded(self, u, fixed, mask, steps: int | None = None, batch: int | None = None,
                       settings: dict | None = None, progress=None) -> dict:
        """Refine encoded points; returns {column: numpy array} with the pipeline's columns at the refined
        parameters plus refine_steps, refine_status, refine_start_loss, refine_loss, refine_n_failing,
        refine_failing. ``batch``: compiled batch size (default :meth:`batch_size_for`); points are
        processed in groups of that size, the last one padded.

        refine_start_loss and refine_loss both come from the column kernel (at the start and at the best
        parameters): the loop's value-and-gradient kernel computes the same loss to ~1 ulp only, so with its
        start loss a point whose best iterate is its start could report refine_loss > refine_start_loss.
        ``progress``: a :class:`flavorscan.scanner.progress.Progress` told about compilations."""
        import jax

        settings = self.settings if settings is None else settings
        steps = settings["steps"] if steps is None else int(steps)
        n = np.asarray(jax.tree_util.tree_leaves(mask)[0]).shape[0]
        if n == 0:
            return {}
        size = self.batch_size_for(n, settings) if batch is None else int(batch)
        parts = []
        for start, stop, index in batches(n, size):
            ub, fb, mb = take_rows((u, fixed, mask), index)
            self._compile(ub, fb, mb, steps, size, progress)
            best_u, diag = self.loop_kernel(ub, fb, mb, np.int64(steps))
            columns = self.column_kernel(best_u, fb, mb)
            columns.update(diag)
            columns["start_loss"] = self.column_kernel(ub, fb, mb)["refine_loss"]
            columns = jax.device_get(columns)
            parts.append({k: np.asarray(v)[: stop - start] for k, v in columns.items()})
        out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        out["refine_steps"] = out.pop("steps").astype(np.int64)
        out["refine_status"] = out.pop("status").astype(np.int8)
        out["refine_start_loss"] = out.pop("start_loss").astype(np.float64)
        return out

    def loss(self, params: dict, settings: dict | None = None):
        """(loss, viable) of a batch at its parameters (numpy arrays), through the column kernel: the
        computation of refine_start_loss / refine_loss and of the viable column (no extra compilation)."""
        u, fixed, mask = self.encode(params, settings)
        loss, viable = self.column_values(u, fixed, mask, ("refine_loss", "viable"), settings)
        return loss, viable.astype(bool)

    def loss_and_grad(self, params: dict, settings: dict | None = None):
        """loss and its gradient w.r.t. the variables u, masked to the free ones, for tests and diagnostics.
        Returns (loss (B,), grad, u, fixed, mask)."""
        import jax

        u, fixed, mask = self.encode(params, settings)
        loss, grad = self._value_and_grad(u, fixed, mask)
        grad = {k: np.where(mask[k], np.asarray(v), 0.0) for k, v in jax.device_get(grad).items()}
        return np.asarray(loss), grad, u, fixed, mask

    def loss_at(self, u, fixed, mask, settings: dict | None = None):
        """Loss at explicit variables (batch), through the compiled column kernel of :meth:`refine` (same
        batch size, no extra compilation); for finite-difference checks."""
        return self.column_values(u, fixed, mask, ("refine_loss",), settings)[0]

    def column_values(self, u, fixed, mask, names, settings: dict | None = None):
        """The named columns (numpy) at explicit variables, through the column kernel, in batches of
        :meth:`batch_size_for` (the last one padded)."""
        import jax

        n = np.asarray(jax.tree_util.tree_leaves(mask)[0]).shape[0]
        size = self.batch_size_for(n, settings)
        out = {name: [] for name in names}
        for start, stop, index in batches(n, size):
            columns = self.column_kernel(*take_rows((u, fixed, mask), index))
            columns = jax.device_get({name: columns[name] for name in names})
            for name in names:
                out[name].append(np.asarray(columns[name])[: stop - start])
        return tuple(np.concatenate(out[name]) for name in names)


# ---------------------------------------------------------------------------------------------- caches

_REFINERS: dict = {}
_COLUMN_KERNELS: dict = {}


def refiner_key(card: dict, settings: dict) -> str:
    """What a Refiner's compiled kernels depend on: the card's physics
    (:func:`flavorscan.scanner.pipeline.physics_key`) and the settings other than the step budget and the
    fit's random starts."""
    from flavorscan.scanner.pipeline import physics_key
    from flavorscan.scanner.store.format import canonical_json

    return canonical_json({"physics": physics_key(card),
                           "settings": {k: v for k, v in settings.items() if k not in HOST_ONLY_SETTINGS}})


def column_key(card: dict, settings: dict) -> str:
    """What the column kernel (the columns at given parameters, refine_loss included) depends on: the
    physics of :func:`refiner_key` and max_coupling, not the optimizer or until settings."""
    return refiner_key(card, {k: v for k, v in settings.items() if k in COLUMN_SETTINGS})


def refiner_for(card: dict, settings: dict) -> Refiner:
    """A cached Refiner per :func:`refiner_key`, so repeated calls in one process (refine, fit, bench,
    tests) reuse compiled kernels. The step budget is passed to :meth:`Refiner.refine` separately."""
    key = refiner_key(card, settings)
    if key not in _REFINERS:
        if len(_REFINERS) >= CACHE_SIZE:
            _REFINERS.pop(next(iter(_REFINERS)))
        _REFINERS[key] = Refiner(card, settings)
    return _REFINERS[key]
