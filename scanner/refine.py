"""Gradient refinement of parameter points and fits of one card (JAX float64 + optax).

The loss of a point is what the constraint layer already computes for ranking::

    loss = chi2_total + penalty_total (+ a perturbativity penalty on free couplings above max_coupling)

``chi2_total`` is the correlated Gaussian + oscillation chi^2 of the enabled constraints and
``penalty_total`` the smooth penalties (zero where each constraint passes; limits, ranges, and the 3 sigma
windows of the oscillation data). The optimizer minimises ``log1p(loss)`` by default (``objective =
"log"``): same minimiser, but gradients keep a sane scale when a starting point violates a limit by
orders of magnitude, which would otherwise freeze Adam's second-moment estimate for thousands of steps.

Parametrisation (one point): the texture of the starting point is kept. Every NON-ZERO coupling entry
z = |z| e^{i phi} is moved through log|z| (free) and phi (free or fixed, see ``phases``); zero entries stay
exactly zero. Masses M_R2, M_S1 (and M1..M4 of an I0 scan) move through their logarithms, m0I0 through
log|m0I0| with its sign kept, theta and phi (I0 scans) directly. Parameters that are not free are put
back bit for bit (the decoded value is ``where(free, transform(u), start)``), so a fixed real entry
stays exactly real.

Refinement is vectorised: a batch of points, one optax state per point, a jitted ``lax.while_loop`` over
steps that stops when every point is done (or at the step budget). A point is done when it converged
(it is viable at its best parameters and the loss has not improved by more than ``tolerance * (1 + loss)``
for ``patience`` steps; with ``until = "stalled"`` viability is not required) or when its loss or
gradient became non-finite (it is frozen and its best finite parameters are kept, so one bad point never
poisons the others). "Viable" is the output column ``viable`` of the constraint layer (every enabled
constraint passes and every observable is finite), read from the same point function. The result of a
point is its best evaluated parameters by :func:`beats`: with ``until = "viable"`` a viable iterate beats
every non-viable one (then the lower loss wins), because the loss minimum can lie outside the viable
region; with ``until = "stalled"`` the lowest loss. ``fit_card`` picks among its starts by the same rule.
``refine_start_loss`` and ``refine_loss`` are both computed by the column kernel (bitwise equal when the
result is the start).

[refine] vocabulary (all optional)::

    optimizer = "adam"        # adam, adamw, sgd, rmsprop, adabelief, lion, nadam, radam, adamax,
                              # amsgrad, yogi, adagrad, lbfgs (optax)
    learning_rate = 0.05      # default per optimizer (adam family 0.05, sgd 0.01; lbfgs: line search)
    steps = 1000              # step budget per point
    tolerance = 1e-4          # relative improvement that resets the patience counter
    patience = 20             # steps without such improvement before a point counts as converged
    until = "viable"          # "viable": converged = viable and stalled; "stalled": stalled only
    objective = "log"         # "log": minimise log1p(loss); "linear": minimise loss
    free = "all"              # or a list: "couplings", "masses", "fR", "fL", "yR", "yL", entry names
                              # ("fR_ce", "yL_tmu", ...), "<entry>_phase", "M_R2", "M_S1", "m0I0",
                              # "theta", "phi", "M1".."M4" (I0 scans; "m0I0" frees all six there)
    phases = "auto"           # phases of free entries: "auto" (free if the entry is complex at the
                              # start), "fixed" (never, unless listed as <entry>_phase), "free" (always)
    max_coupling = 3.5449     # sqrt(4 pi): smooth penalty on free |couplings| above it
    batch_size = 256          # points refined at once (padded to a power of two up to this)
    n_starts = 1              # fit: starts (the card's point first, then random ones)
    seed = 0                  # fit: seed of the random starts
    start_spread = 1.0        # fit: random starts shift free log10|couplings| and log10|m0I0| by U(-s, s)
    mass_spread = 0.1         # fit: ... and free log10 masses by U(-s, s); free phases are drawn uniformly
"""

from __future__ import annotations

import math
import time

import numpy as np

from flavorscan.scanner.config import choice, integer, number, reject_unknown
from flavorscan.scanner.errors import UserError

COUPLINGS = ("fR", "fL", "yR", "yL")
QUARKS = ("u", "c", "t")
LEPTONS = ("e", "mu", "tau")
ENTRY_NAMES = tuple(f"{m}_{q}{l}" for m in COUPLINGS for q in QUARKS for l in LEPTONS)
I0_NAMES = ("theta", "phi", "M1", "M2", "M3", "M4")
GROUP_NAMES = ("all", "couplings", "masses", *COUPLINGS)
SCALAR_NAMES = ("M_R2", "M_S1", "m0I0", *I0_NAMES)
FREE_NAMES = set(GROUP_NAMES) | set(SCALAR_NAMES) | set(ENTRY_NAMES) | {f"{e}_phase" for e in ENTRY_NAMES}

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adabelief", "lion", "nadam", "radam", "adamax", "amsgrad",
              "yogi", "adagrad", "lbfgs")
DEFAULT_LEARNING_RATE = {"sgd": 0.01, "lion": 0.005, "adagrad": 0.1, "lbfgs": None}
PHASE_MODES = ("auto", "fixed", "free")
UNTIL_CHOICES = ("viable", "stalled")
OBJECTIVES = ("log", "linear")

STATUS_CONVERGED, STATUS_BUDGET, STATUS_NONFINITE_START, STATUS_DIVERGED = 0, 1, 2, 3
STATUS_NAMES = {STATUS_CONVERGED: "converged", STATUS_BUDGET: "step budget", STATUS_NONFINITE_START: "non-finite start",
                STATUS_DIVERGED: "diverged (best finite point kept)"}
DIAGNOSTIC_COLUMNS = ("parent_point_id", "refine_steps", "refine_status", "refine_start_loss", "refine_loss",
                      "refine_n_failing", "refine_failing")

DEFAULTS = {
    "optimizer": "adam",
    "learning_rate": None,
    "steps": 1000,
    "tolerance": 1e-4,
    "patience": 20,
    "until": "viable",
    "objective": "log",
    "free": "all",
    "phases": "auto",
    "max_coupling": math.sqrt(4.0 * math.pi),
    "batch_size": 256,
    "n_starts": 1,
    "seed": 0,
    "start_spread": 1.0,
    "mass_spread": 0.1,
}


# ---------------------------------------------------------------------------------------------- [refine]

MAX_STEPS = 10_000_000
MAX_STARTS = 1 << 20
MAX_SEED = 2**63 - 1
"""Bounds of [refine] steps, n_starts and seed, and of the --steps, --n-starts and --seed options."""


def resolve_refine(section: dict) -> dict:
    """Validated [refine] table with defaults filled in (UserError naming the key otherwise)."""
    reject_unknown(section, set(DEFAULTS), "refine.")
    out = dict(DEFAULTS)
    if "optimizer" in section:
        out["optimizer"] = choice(section["optimizer"], "refine.optimizer", OPTIMIZERS)
    if "learning_rate" in section:
        out["learning_rate"] = number(section["learning_rate"], "refine.learning_rate", positive=True)
    if "steps" in section:
        out["steps"] = integer(section["steps"], "refine.steps", lo=0, hi=MAX_STEPS)
    if "tolerance" in section:
        out["tolerance"] = number(section["tolerance"], "refine.tolerance", nonnegative=True)
    if "patience" in section:
        out["patience"] = integer(section["patience"], "refine.patience", lo=1)
    if "until" in section:
        out["until"] = choice(section["until"], "refine.until", UNTIL_CHOICES)
    if "objective" in section:
        out["objective"] = choice(section["objective"], "refine.objective", OBJECTIVES)
    if "free" in section:
        out["free"] = resolve_free(section["free"])
    if "phases" in section:
        out["phases"] = choice(section["phases"], "refine.phases", PHASE_MODES)
    if "max_coupling" in section:
        out["max_coupling"] = number(section["max_coupling"], "refine.max_coupling", positive=True)
    if "batch_size" in section:
        out["batch_size"] = integer(section["batch_size"], "refine.batch_size", lo=1, hi=1 << 20)
    if "n_starts" in section:
        out["n_starts"] = integer(section["n_starts"], "refine.n_starts", lo=1, hi=MAX_STARTS)
    if "seed" in section:
        out["seed"] = integer(section["seed"], "refine.seed", lo=0, hi=MAX_SEED)
    if "start_spread" in section:
        out["start_spread"] = number(section["start_spread"], "refine.start_spread", nonnegative=True, hi=10.0)
    if "mass_spread" in section:
        out["mass_spread"] = number(section["mass_spread"], "refine.mass_spread", nonnegative=True, hi=3.0)
    return out


def resolve_free(value):
    if value == "all":
        return "all"
    if isinstance(value, str):
        value = [value]
    if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise UserError('refine.free: expected "all" or a non-empty list of parameter names')
    for name in value:
        if name not in FREE_NAMES:
            raise UserError(
                f"refine.free: unknown parameter {name!r} (use all, couplings, masses, fR, fL, yR, yL, M_R2, M_S1, "
                f"m0I0, theta, phi, M1..M4, an entry like fR_ce or yL_tmu, or <entry>_phase)"
            )
    if len(set(value)) != len(value):
        raise UserError("refine.free: a parameter is listed twice")
    return list(value)


def settings_of(card: dict, **overrides) -> dict:
    """The card's resolved [refine] (defaults if absent) with non-None overrides applied."""
    settings = dict(card.get("refine") or DEFAULTS)
    for key, value in overrides.items():
        if value is not None:
            settings[key] = value
    return settings


def learning_rate_of(settings: dict):
    if settings["learning_rate"] is not None:
        return settings["learning_rate"]
    return DEFAULT_LEARNING_RATE.get(settings["optimizer"], 0.05)


def make_optimizer(settings: dict):
    """The optax GradientTransformation named in the settings."""
    import optax

    name, lr = settings["optimizer"], learning_rate_of(settings)
    if name == "lbfgs":
        return optax.lbfgs(learning_rate=lr)
    return getattr(optax, name)(learning_rate=lr)


# ---------------------------------------------------------------------------------------------- free masks

def _entry_index(name: str):
    matrix, rest = name.split("_", 1)
    for i, q in enumerate(QUARKS):
        for j, l in enumerate(LEPTONS):
            if rest == f"{q}{l}":
                return COUPLINGS.index(matrix), i, j
    raise KeyError(name)  # pragma: no cover - names are validated


def free_masks(settings: dict, mode: str):
    """Host-side masks of what the settings free, before the per-point texture is applied:
    (magnitude mask (4,3,3) bool, phase mask (4,3,3) bool or None for 'per phases mode', scalar names)."""
    free = settings["free"]
    names = set(ENTRY_NAMES + SCALAR_NAMES + ("couplings", "masses")) if free == "all" else set(free)
    magnitude = np.zeros((4, 3, 3), bool)
    phase_listed = np.zeros((4, 3, 3), bool)
    if "couplings" in names:
        magnitude[:] = True
    for m, matrix in enumerate(COUPLINGS):
        if matrix in names:
            magnitude[m] = True
    for name in names:
        if name in ENTRY_NAMES:
            magnitude[_entry_index(name)] = True
        elif name.endswith("_phase"):
            phase_listed[_entry_index(name[: -len("_phase")])] = True
    scalars = set()
    if "masses" in names:
        scalars |= {"M_R2", "M_S1"}
    scalars |= {n for n in ("M_R2", "M_S1") if n in names}
    if mode == "m0I0":
        if "m0I0" in names:
            scalars.add("m0I0")
    elif mode == "I0":
        if "m0I0" in names:
            scalars |= set(I0_NAMES)
        scalars |= {n for n in I0_NAMES if n in names}
    # mode "dm3l": m0I0 is fixed by the point function (the |dm3l| best fit), nothing to free
    return magnitude, phase_listed, scalars


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


# ---------------------------------------------------------------------------------------------- refiner

def _next_pow2(n: int) -> int:
    return 1 << max(0, int(math.ceil(math.log2(max(n, 1)))))


class Refiner:
    """Vectorised gradient refinement of LQ points of one card.

    ``refine(params)`` takes a batch of params (dict of numpy arrays with a leading batch axis, the pytree
    of :func:`scanner.pipeline.point_params` / the sampler: fR, fL, yR, yL complex (B,3,3), M_R2, M_S1 and
    m0I0 or theta, phi, M1..M4) and returns the refined columns (the scan's schema) plus diagnostics.
    Compiled kernels are kept per batch size, so repeated calls do not recompile.
    """

    def __init__(self, card: dict, settings: dict | None = None):
        import jax

        from flavorscan.scanner.pipeline import make_point_function, model_inputs

        if card["model"] != "lq":
            raise UserError(f"refinement supports model = \"lq\" only, not {card['model']!r}")
        self.card = card
        self.settings = dict(settings if settings is not None else settings_of(card))
        self.inputs = model_inputs(card)
        self.point_function = make_point_function(card, self.inputs)
        self.constraint_names = self.point_function.constraints.names
        scan = card.get("scan", {}) if "point" not in card else {}
        if scan.get("mass_scale") == "dm3l":
            self.mode = "dm3l"
        elif "I0" in scan:
            self.mode = "I0"
        else:
            self.mode = "m0I0"
        self.optimizer = make_optimizer(self.settings)
        self._loop = jax.jit(self._refine_loop)
        # the column kernel depends only on the physics and max_coupling: one per column_key, shared by
        # refiners that differ in the optimizer or until settings (no second compilation)
        key = column_key(card, self.settings)
        if key not in _COLUMN_KERNELS:
            if len(_COLUMN_KERNELS) >= 8:
                _COLUMN_KERNELS.pop(next(iter(_COLUMN_KERNELS)))
            _COLUMN_KERNELS[key] = jax.jit(jax.vmap(self._point_columns))
        self._columns = _COLUMN_KERNELS[key]
        self._value_and_grad = jax.jit(jax.vmap(jax.value_and_grad(self._loss_only)))

    # -- parametrisation (host side: encode) -------------------------------------------------------

    def scalar_names(self):
        if self.mode == "I0":
            return ("M_R2", "M_S1", *I0_NAMES)
        return ("M_R2", "M_S1", "m0I0")

    def encode(self, params: dict, settings: dict | None = None):
        """(u, fixed) of a batch: u the unconstrained variables, fixed what decoding needs (start values,
        masks). Plain numpy, batch axis first. ``settings``: whose ``free``/``phases`` to apply (default
        the refiner's own; they only shape the masks, so one compiled refiner serves any choice)."""
        settings = self.settings if settings is None else settings
        magnitude_mask, phase_listed, free_scalars = free_masks(settings, self.mode)
        z = np.stack([np.asarray(params[m], dtype=np.complex128) for m in COUPLINGS], axis=1)  # (B,4,3,3)
        batch = z.shape[0]
        absz = np.abs(z)
        nonzero = absz > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            logabs = np.where(nonzero, np.log(np.where(nonzero, absz, 1.0)), 0.0)
            unit = np.where(nonzero, z / np.where(nonzero, absz, 1.0), 0.0)
        phase = np.angle(unit)
        free_mag = nonzero & magnitude_mask[None]
        phases = settings["phases"]
        if phases == "free":
            free_phase = free_mag.copy()
        elif phases == "auto":
            free_phase = free_mag & (np.imag(z) != 0)
        else:
            free_phase = np.zeros_like(free_mag)
        free_phase |= nonzero & phase_listed[None]
        scalars, scalar_start, scalar_free, scalar_sign = [], [], [], []
        for name in self.scalar_names():
            value = np.asarray(params[name], dtype=np.float64).reshape(batch) if name in params else np.ones(batch)
            scalar_start.append(value)
            is_free = name in free_scalars
            if name in ("theta", "phi"):
                scalars.append(value)
                scalar_sign.append(np.ones(batch))
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    scalars.append(np.log(np.abs(value)))
                scalar_sign.append(np.where(value < 0, -1.0, 1.0))
                is_free = is_free & (value != 0)
            scalar_free.append(np.broadcast_to(is_free, (batch,)))
        u = {"logabs": logabs, "phase": phase, "scalars": np.stack(scalars, axis=1)}
        fixed = {
            "z": z,
            "unit": unit,
            "free_mag": free_mag,
            "free_phase": free_phase,
            "scalar_start": np.stack(scalar_start, axis=1),
            "scalar_sign": np.stack(scalar_sign, axis=1),
            "scalar_free": np.stack(scalar_free, axis=1),
        }
        # a point with a non-finite starting value is masked: nothing of it is free (decoding returns its
        # start values, NaN included), the loop never activates it; its variables are made finite so the
        # optimizer state of the batch stays finite
        finite = np.all(np.isfinite(z), axis=(1, 2, 3)) & np.all(np.isfinite(fixed["scalar_start"]), axis=1)
        for key in ("free_mag", "free_phase", "scalar_free"):
            fixed[key] = fixed[key] & finite.reshape((batch,) + (1,) * (fixed[key].ndim - 1))
        fixed["finite_start"] = finite
        u = {k: np.where(np.isfinite(v), v, 0.0) for k, v in u.items()}
        return u, fixed

    # -- traced (one point) ------------------------------------------------------------------------

    def decode(self, u, fixed):
        import jax.numpy as jnp

        magnitude = jnp.exp(u["logabs"])
        unit = jnp.where(fixed["free_phase"], jnp.exp(1j * u["phase"]), fixed["unit"])
        z = jnp.where(fixed["free_mag"] | fixed["free_phase"], magnitude * unit, fixed["z"])
        params = {m: z[k] for k, m in enumerate(COUPLINGS)}
        for k, name in enumerate(self.scalar_names()):
            raw = u["scalars"][k]
            value = raw if name in ("theta", "phi") else fixed["scalar_sign"][k] * jnp.exp(raw)
            params[name] = jnp.where(fixed["scalar_free"][k], value, fixed["scalar_start"][k])
        return params

    def _bound_penalty(self, u, fixed):
        import jax.numpy as jnp

        from flavorscan.scanner.constraints import _limit_penalty

        excess = jnp.exp(u["logabs"]) / self.settings["max_coupling"] - 1.0
        return jnp.sum(jnp.where(fixed["free_mag"], _limit_penalty(excess), 0.0))

    def _loss_and_pass(self, u, fixed):
        """(loss, viable) of one point. ``viable`` is the point function's own output column
        (scanner.constraints.ConstraintSet.evaluate: every enabled constraint passes AND every observable is
        finite), so the loop's notion of viable is the one the output rows report."""
        columns = self.point_function(self.decode(u, fixed))
        loss = columns["chi2_total"] + columns["penalty_total"] + self._bound_penalty(u, fixed)
        return loss, columns["viable"]

    def _objective(self, u, fixed):
        import jax.numpy as jnp

        loss, passed = self._loss_and_pass(u, fixed)
        value = jnp.log1p(loss) if self.settings["objective"] == "log" else loss
        return value, (loss, passed)

    def _loss_only(self, u, fixed):
        return self._loss_and_pass(u, fixed)[0]

    def _point_columns(self, u, fixed):
        import jax.numpy as jnp

        columns = dict(self.point_function(self.decode(u, fixed)))
        failing_count = jnp.asarray(0, jnp.int64)
        failing_bits = jnp.asarray(0, jnp.int64)
        for bit, name in enumerate(self.constraint_names):
            fails = ~columns[f"pass_{name}"]
            failing_count = failing_count + fails.astype(jnp.int64)
            if bit < 63:
                failing_bits = failing_bits | (fails.astype(jnp.int64) << bit)
        columns["refine_n_failing"] = failing_count
        columns["refine_failing"] = failing_bits
        columns["refine_loss"] = columns["chi2_total"] + columns["penalty_total"] + self._bound_penalty(u, fixed)
        return columns

    def _step(self, carry, fixed, mask):
        """One optimizer step of one point (vmapped)."""
        import jax
        import jax.numpy as jnp

        settings = self.settings
        (value, (loss, passed)), grad = jax.value_and_grad(self._objective, has_aux=True)(carry["u"], fixed)
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
            value_fn = lambda x: self._objective(x, fixed)[0]  # noqa: E731
            updates, opt_state = self.optimizer.update(
                grad, carry["opt_state"], carry["u"], value=value, grad=grad, value_fn=value_fn
            )
        else:
            updates, opt_state = self.optimizer.update(grad, carry["opt_state"], carry["u"])
        new_u = jax.tree_util.tree_map(lambda x, d, m: jnp.where(m & go_on, x + d, x), carry["u"], updates, mask)
        new_u = jax.tree_util.tree_map(lambda a, b: jnp.where(jnp.all(jnp.isfinite(a)), a, b), new_u, carry["u"])
        opt_state = jax.tree_util.tree_map(
            lambda a, b: jnp.where(go_on, a, b), opt_state, carry["opt_state"]
        )
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

    def _refine_loop(self, u, fixed, max_steps):
        """Batched refinement: while any point is active and the budget lasts, vmapped steps."""
        import jax
        import jax.numpy as jnp

        mask = {
            "logabs": fixed["free_mag"],
            "phase": fixed["free_phase"],
            "scalars": fixed["scalar_free"],
        }
        batch = u["scalars"].shape[0]
        carry = {
            "u": u,
            "opt_state": jax.vmap(self.optimizer.init)(u),
            "best_u": u,
            "best_loss": jnp.full((batch,), jnp.inf),
            "best_pass": jnp.zeros((batch,), bool),
            "stall": jnp.zeros((batch,), jnp.int64),
            "active": fixed["finite_start"],
            "steps": jnp.zeros((batch,), jnp.int64),
            "status": jnp.where(fixed["finite_start"], STATUS_BUDGET, STATUS_NONFINITE_START).astype(jnp.int8),
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

    # -- host API ----------------------------------------------------------------------------------

    def batch_size_for(self, n: int, settings: dict | None = None) -> int:
        """The compiled batch size used for n points: a power of two, at most the settings' batch_size."""
        settings = self.settings if settings is None else settings
        return min(_next_pow2(n), _next_pow2(settings["batch_size"]))

    def refine(self, params: dict, steps: int | None = None, batch: int | None = None,
               settings: dict | None = None) -> dict:
        """Refine a batch of points; returns {column: numpy array} with the pipeline's columns at the
        refined parameters plus refine_steps, refine_status, refine_start_loss, refine_loss,
        refine_n_failing, refine_failing. ``batch``: compiled batch size (default
        :meth:`batch_size_for`); points are processed in groups of that size, the last one padded.
        ``settings``: host-side settings (free, phases, batch_size) to use instead of the refiner's.

        refine_start_loss and refine_loss both come from the column kernel (at the start and at the best
        parameters): the loop's value-and-gradient kernel computes the same loss to ~1 ulp only, so with its
        start loss a point whose best iterate is its start could report refine_loss > refine_start_loss."""
        import jax

        settings = self.settings if settings is None else settings
        steps = settings["steps"] if steps is None else int(steps)
        u, fixed = self.encode(params, settings)
        n = u["scalars"].shape[0]
        if n == 0:
            return {}
        size = self.batch_size_for(n, settings) if batch is None else int(batch)
        parts = []
        for start in range(0, n, size):
            stop = min(n, start + size)
            take = np.arange(start, stop)
            take = np.concatenate([take, np.full(size - len(take), start)])  # pad with copies of the first row
            ub = {k: v[take] for k, v in u.items()}
            fb = {k: v[take] for k, v in fixed.items()}
            best_u, diag = self._loop(ub, fb, np.int64(steps))
            columns = self._columns(best_u, fb)
            columns.update(diag)
            columns["start_loss"] = self._columns(ub, fb)["refine_loss"]
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
        u, fixed = self.encode(params, settings)
        loss, viable = self._column_values(u, fixed, ("refine_loss", "viable"), settings)
        return loss, viable.astype(bool)

    def loss_and_grad(self, params: dict, settings: dict | None = None):
        """loss and its gradient w.r.t. the unconstrained variables u (dict of arrays), masked to the
        free ones, for tests and diagnostics. Returns (loss (B,), grad, u, fixed)."""
        import jax

        u, fixed = self.encode(params, settings)
        loss, grad = self._value_and_grad(u, fixed)
        mask = {"logabs": fixed["free_mag"], "phase": fixed["free_phase"], "scalars": fixed["scalar_free"]}
        grad = {k: np.where(mask[k], np.asarray(v), 0.0) for k, v in jax.device_get(grad).items()}
        return np.asarray(loss), grad, u, fixed

    def loss_at(self, u, fixed, settings: dict | None = None):
        """Loss at explicit unconstrained variables (batch), through the compiled column kernel of
        :meth:`refine` (same batch size, no extra compilation); for finite-difference checks."""
        return self._column_values(u, fixed, ("refine_loss",), settings)[0]

    def _column_values(self, u, fixed, names, settings: dict | None = None):
        """The named columns (numpy) at explicit unconstrained variables, through the column kernel, in
        batches of :meth:`batch_size_for` (the last one padded)."""
        import jax

        n = u["scalars"].shape[0]
        size = self.batch_size_for(n, settings)
        out = {name: [] for name in names}
        for start in range(0, n, size):
            take = np.arange(start, min(n, start + size))
            take = np.concatenate([take, np.full(size - len(take), start)])
            columns = self._columns({k: v[take] for k, v in u.items()}, {k: v[take] for k, v in fixed.items()})
            columns = jax.device_get({name: columns[name] for name in names})
            for name in names:
                out[name].append(np.asarray(columns[name])[: min(n, start + size) - start])
        return tuple(np.concatenate(out[name]) for name in names)


_REFINERS: dict = {}
HOST_ONLY_SETTINGS = ("steps", "n_starts", "seed", "start_spread", "mass_spread", "free", "phases", "batch_size")


def refiner_key(card: dict, settings: dict) -> str:
    """What a Refiner's compiled kernels depend on: the physics of the card (model, measurement set,
    constraints, conventions, how m0I0 is given) and the settings other than the step budget and the
    fit's random starts."""
    from flavorscan.scanner.pipeline import conventions
    from flavorscan.scanner.store import canonical_json

    scan = card.get("scan", {}) if "point" not in card else {}
    mode = "dm3l" if scan.get("mass_scale") == "dm3l" else "I0" if "I0" in scan else "m0I0"
    physics = {k: card[k] for k in ("model", "measurements", "constraints")}
    physics.update(conventions(card), mode=mode)
    return canonical_json({"physics": physics,
                           "settings": {k: v for k, v in settings.items() if k not in HOST_ONLY_SETTINGS}})


COLUMN_SETTINGS = ("max_coupling",)
_COLUMN_KERNELS: dict = {}


def column_key(card: dict, settings: dict) -> str:
    """What the column kernel (the columns at given parameters, refine_loss included) depends on: the
    physics of :func:`refiner_key` and max_coupling, not the optimizer or until settings."""
    return refiner_key(card, {k: v for k, v in settings.items() if k in COLUMN_SETTINGS})


def refiner_for(card: dict, settings: dict) -> Refiner:
    """A cached Refiner per :func:`refiner_key`, so repeated calls in one process (refine, fit, bench,
    tests) reuse compiled kernels. The step budget is passed to :meth:`Refiner.refine` separately."""
    key = refiner_key(card, settings)
    if key not in _REFINERS:
        if len(_REFINERS) >= 8:
            _REFINERS.pop(next(iter(_REFINERS)))
        _REFINERS[key] = Refiner(card, settings)
    return _REFINERS[key]


# ---------------------------------------------------------------------------------------------- rows

def params_from_rows(card: dict, rows: dict) -> dict:
    """The params batch (numpy) of stored rows of an LQ run."""
    from flavorscan.kernels.observables import lq_params_from_columns

    columns = {k: np.asarray(v) for k, v in rows.items()}
    params = {k: np.asarray(v) for k, v in lq_params_from_columns(columns).items()}
    scan = card.get("scan", {})
    if "I0" in scan:
        for name in I0_NAMES:
            if name not in columns:
                raise UserError(f"run rows have no column {name!r} (needed to refine an I0 scan)")
            params[name] = columns[name]
    return params


def parameter_column_names():
    from flavorscan.kernels.observables import model

    return [o.name for o in model("lq").parameters]


# ---------------------------------------------------------------------------------------------- fit

def fit_starts(card: dict, settings: dict, refiner: Refiner) -> dict:
    """The card's point followed by n_starts - 1 random starts (numpy Generator(seed)): free
    log10|couplings| and log10|m0I0| shifted by U(-start_spread, start_spread), free log10 masses by
    U(-mass_spread, mass_spread), free phases uniform in [0, 2 pi)."""
    from flavorscan.scanner.pipeline import point_params

    base = {k: np.asarray(v) for k, v in point_params(card, refiner.inputs).items()}
    n = settings["n_starts"]
    params = {k: np.repeat(np.asarray(v)[None], n, axis=0) for k, v in base.items()}
    if n == 1:
        return params
    u, fixed = refiner.encode({k: v[:1] for k, v in params.items()}, settings)
    rng = np.random.default_rng(settings["seed"])
    ln10 = math.log(10.0)
    shift = rng.uniform(-1.0, 1.0, size=(n - 1, 4, 3, 3)) * settings["start_spread"] * ln10
    new_phase = rng.uniform(0.0, 2.0 * math.pi, size=(n - 1, 4, 3, 3))
    scalar_shift = rng.uniform(-1.0, 1.0, size=(n - 1, len(refiner.scalar_names())))
    z0 = params_z = np.stack([params[m][1:] for m in COUPLINGS], axis=1)
    magnitude = np.abs(z0) * np.where(fixed["free_mag"][0], np.exp(shift), 1.0)
    unit = np.where(fixed["free_phase"][0], np.exp(1j * new_phase), fixed["unit"][0])
    z = np.where(fixed["free_mag"][0] | fixed["free_phase"][0], magnitude * unit, params_z)
    for k, m in enumerate(COUPLINGS):
        params[m][1:] = z[:, k]
    for k, name in enumerate(refiner.scalar_names()):
        if not fixed["scalar_free"][0, k] or name not in params:
            continue
        if name in ("theta", "phi"):
            params[name][1:] = params[name][0] + scalar_shift[:, k] * math.pi / 4
            continue
        spread = settings["mass_spread"] if name.startswith("M") else settings["start_spread"]
        params[name][1:] = params[name][0] * np.exp(scalar_shift[:, k] * spread * ln10)
    return params


def check_fit_free(card: dict, settings: dict) -> None:
    """Entries named in free must be non-zero at the card's point (the texture is kept)."""
    free = settings["free"]
    if free == "all":
        return
    point = card["point"]
    for name in free:
        entry = name[: -len("_phase")] if name.endswith("_phase") else name
        if entry in ENTRY_NAMES:
            m, i, j = _entry_index(entry)
            matrix = COUPLINGS[m]
            if point[matrix][i][j] == 0 and point[f"{matrix}_im"][i][j] == 0:
                raise UserError(
                    f"refine.free: {entry} is zero at the card's point (refinement keeps the texture; "
                    f"give it a non-zero starting value)"
                )
        if name in I0_NAMES:
            raise UserError(f"refine.free: {name} is not a parameter of a [point] fit (free m0I0 instead)")


def fit_card(card: dict, settings: dict | None = None, steps: int | None = None) -> dict:
    """Fit the free parameters of a [point] card to its enabled constraints; returns the best start's
    result: {"params", "observables", "chi2_total", "loss", "viable", "steps", "converged", "status",
    "failing", "start", "n_starts", "starts_viable"}."""
    if "point" not in card:
        raise UserError("fit needs a card with a [point] table")
    settings = dict(settings if settings is not None else settings_of(card))
    if steps is not None:
        settings["steps"] = steps
    check_fit_free(card, settings)
    refiner = refiner_for(card, settings)
    params = fit_starts(card, settings, refiner)
    columns = refiner.refine(params, steps=settings["steps"], settings=settings)
    loss = columns["refine_loss"]
    viable = columns["viable"].astype(bool)
    # the best start by the best-step rule of the loop (until = "viable": viable first, then the lowest
    # loss; until = "stalled": the lowest loss); ties by start index (deterministic)
    best = best_index(loss, viable, settings["until"])
    from flavorscan.kernels.observables import model

    lq = model("lq")

    def num(x):
        x = float(x)
        return x if math.isfinite(x) else None

    failing = [n for n in refiner.constraint_names if not bool(columns[f"pass_{n}"][best])]
    constraints = {}
    for constraint in refiner.point_function.constraints.constraints:
        name = constraint.name
        constraints[name] = {
            "value": num(columns[constraint.observable][best]),
            "pass": bool(columns[f"pass_{name}"][best]),
            "chi2": num(columns[f"chi2_{name}"][best]) if refiner.point_function.constraints.has_chi2(name) else None,
        }
    return {
        "params": {o.name: num(columns[o.name][best]) for o in lq.parameters},
        "observables": {o.name: num(columns[o.name][best]) for o in lq.observables},
        "chi2_total": num(columns["chi2_total"][best]),
        "loss": num(loss[best]),
        "start_loss": num(columns["refine_start_loss"][best]),
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


# ---------------------------------------------------------------------------------------------- refine a run

def refine_rows(card: dict, rows: dict, settings: dict, steps: int | None = None) -> dict:
    """Refined rows (the run's columns, recomputed at the refined parameters) of stored rows, plus
    parent_point_id and the diagnostics columns, in the input order."""
    refiner = refiner_for(card, settings)
    params = params_from_rows(card, rows)
    out = refiner.refine(params, steps=settings["steps"] if steps is None else steps, settings=settings)
    if not out:
        return {}
    n = len(rows["point_id"])
    out["parent_point_id"] = np.asarray(rows["point_id"], np.int64)
    out["point_id"] = np.asarray(rows["point_id"], np.int64)
    for name in ("chunk", "candidate"):
        if name in rows:
            out[name] = np.asarray(rows[name])
    for name, value in list(out.items()):
        if len(value) != n:  # pragma: no cover - internal consistency
            raise RuntimeError(f"refined column {name} has {len(value)} rows, expected {n}")
    return out


# ---------------------------------------------------------------------------------------------- yield benchmark

def _rows_and_counts(result):
    """ScanEngine.evaluate_chunks gives (rows, counts) per chunk (older engines: rows only)."""
    if isinstance(result, tuple):
        return result
    return result, None


def poisson_upper_limit(k: int, confidence: float = 0.95) -> float:
    """One-sided upper limit mu on a Poisson mean after observing k events: P(X <= k | mu) = 1 - confidence
    (k = 0: -ln(1 - confidence) = 2.996 at 95 %). Bisection on the CDF, no scipy."""
    k = int(k)
    alpha = 1.0 - confidence

    def cdf(mu):
        # sum_{i<=k} exp(-mu) mu^i / i!, in logs
        terms = [i * math.log(mu) - mu - math.lgamma(i + 1) for i in range(k + 1)]
        top = max(terms)
        return math.exp(top) * sum(math.exp(t - top) for t in terms)

    lo, hi = 0.0, k + 10.0 + 10.0 * math.sqrt(k + 1)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def yield_benchmark(card: dict, n_random: int, seconds_budget: float | None = None) -> dict:
    """Viable points per second: plain random sampling of ``card``'s [scan] vs sampling + refinement of
    the best candidates (best_per_chunk per chunk, default chunk_size // 64), same card, same process.
    Returns the keys of interface.md plus speedup (None without random viable points),
    viable_per_s_random_upper95 and speedup_lower95 (the one-sided Poisson 95% upper limit on the random
    rate from its count, 2.996 / seconds_random for none, and the speedup lower limit it implies),
    seconds_refinement_only.

    Random: the engine evaluates ceil(n_random / chunk_size) chunks; rate = viable points / sampling
    seconds. Refine: the candidate rows of the same sampling pass, refined in batches of the refiner's
    batch size as soon as a batch has accumulated (interleaved with the sampling, so a change of load
    during the run affects both rates alike); rate = refined points that are viable / (sampling +
    refinement seconds). Wall seconds; the same in process CPU seconds as cpu_seconds_random,
    cpu_seconds_refine and speedup_cpu. Compilation is excluded: the engine runs its first chunk(s) and the
    refiner its batch once first. ``seconds_budget`` caps each phase: the run stops after the chunk group
    or batch at which sampling or refinement seconds pass it (counts are then of what was done; candidates
    left unrefined still cost their sampling time, so the refine rate is then conservative).
    """
    from flavorscan.scanner.engine import ScanEngine

    if "scan" not in card:
        raise UserError("yield benchmark needs a card with a [scan] table")
    card = dict(card)
    scan = dict(card["scan"])
    scan["n"] = int(n_random)
    scan["chunk_size"] = min(scan["chunk_size"], int(n_random))
    if not scan.get("best_per_chunk"):
        scan["best_per_chunk"] = max(1, scan["chunk_size"] // 64)
    scan["best_per_chunk"] = min(scan["best_per_chunk"], scan["chunk_size"])  # a small n shrinks the chunk
    card["scan"] = scan
    settings = settings_of(card)
    engine = ScanEngine(card)
    refiner = refiner_for(card, settings)

    chunks = list(range(engine.n_chunks))
    per_step = len(engine.devices)
    expected_candidates = len(chunks) * scan["best_per_chunk"]
    batch = refiner.batch_size_for(expected_candidates, settings)
    # warm-up (compilation excluded from the timings): chunk 0 through the engine, its candidates
    # through the refiner at the batch size used below
    warm = engine.evaluate_chunks(chunks[:per_step])
    warm_rows = [rows for rows, _ in map(_rows_and_counts, warm.values())
                 if len(rows) and np.any(rows["candidate"])]
    if warm_rows:
        rows = warm_rows[0]
        index = np.resize(np.flatnonzero(rows["candidate"]), batch)
        refiner.refine(params_from_rows(card, {k: v[index] for k, v in rows.items()}), steps=2, batch=batch,
                       settings=settings)

    # Sampling and refinement are interleaved (a batch is refined as soon as enough candidates have
    # accumulated), so a change of the machine's load during the run affects both phases alike; their
    # wall and CPU seconds are summed separately.
    random_points = random_viable = refined_points = refined_viable = 0
    pending: list = []
    clock = {"sampling": 0.0, "refinement": 0.0, "sampling_cpu": 0.0, "refinement_cpu": 0.0}

    def timed(phase, function, *args):
        t0, c0 = time.perf_counter(), time.process_time()
        out = function(*args)
        clock[phase] += time.perf_counter() - t0
        clock[phase + "_cpu"] += time.process_time() - c0
        return out

    def refine_batch(part):
        nonlocal refined_points, refined_viable
        out = timed("refinement", lambda: refiner.refine(params_from_rows(card, part), steps=settings["steps"],
                                                          batch=batch, settings=settings))
        refined_points += len(part["point_id"])
        refined_viable += int(np.count_nonzero(out["viable"]))

    def over_budget(phase):
        return seconds_budget is not None and clock[phase] > seconds_budget

    for step in range(0, len(chunks), per_step):
        group = chunks[step: step + per_step]
        for c, result in timed("sampling", engine.evaluate_chunks, group).items():
            rows, counts = _rows_and_counts(result)
            if counts is not None:
                random_points += int(counts["points"])
                random_viable += int(counts["viable"])
            else:  # pragma: no cover - engines without per-chunk counts (keep = "viable" rows only)
                random_points += min(engine.chunk_size, scan["n"] - c * engine.chunk_size)
                random_viable += int(np.count_nonzero(rows["viable"])) if len(rows) else 0
            if len(rows) and len(rows["point_id"]):
                keep = rows["candidate"]
                pending.append({k: v[keep] for k, v in rows.items()})
        while pending and sum(len(r["point_id"]) for r in pending) >= batch and not over_budget("refinement"):
            merged = {k: np.concatenate([r[k] for r in pending]) for k in pending[0]}
            refine_batch({k: v[:batch] for k, v in merged.items()})
            pending = [{k: v[batch:] for k, v in merged.items()}]
        if over_budget("sampling") or over_budget("refinement"):
            break
    if pending and not over_budget("refinement"):
        merged = {k: np.concatenate([r[k] for r in pending]) for k in pending[0]}
        for lo in range(0, len(merged["point_id"]), batch):
            if len(merged["point_id"][lo: lo + batch]):
                refine_batch({k: v[lo: lo + batch] for k, v in merged.items()})
            if over_budget("refinement"):
                break
    seconds_random = clock["sampling"]
    seconds_refinement = clock["refinement"]
    seconds_refine = seconds_random + seconds_refinement
    rate_random = random_viable / seconds_random if seconds_random > 0 else 0.0
    rate_refine = refined_viable / seconds_refine if seconds_refine > 0 else 0.0
    # the one-sided Poisson 95% upper limit on the random rate (0 viable points: 2.996 / seconds_random),
    # and the lower limit on the speedup it implies (the refined count is taken as exact)
    upper = poisson_upper_limit(random_viable) / seconds_random if seconds_random > 0 else None
    return {
        "viable_per_s_random": rate_random,
        "viable_per_s_refine": rate_refine,
        "speedup": rate_refine / rate_random if rate_random > 0 else None,
        "viable_per_s_random_upper95": upper,
        "speedup_lower95": rate_refine / upper if upper else None,
        "random_points": random_points,
        "random_viable": random_viable,
        "refined_points": refined_points,
        "refined_viable": refined_viable,
        "seconds_random": seconds_random,
        "seconds_refine": seconds_refine,
        "seconds_refinement_only": seconds_refinement,
        "cpu_seconds_random": clock["sampling_cpu"],
        "cpu_seconds_refine": clock["sampling_cpu"] + clock["refinement_cpu"],
        # the same ratio in process CPU seconds (all threads): less sensitive to other load on the machine
        "speedup_cpu": (refined_viable * clock["sampling_cpu"]
                        / (random_viable * (clock["sampling_cpu"] + clock["refinement_cpu"])))
        if random_viable and clock["sampling_cpu"] > 0 else None,
        "best_per_chunk": scan["best_per_chunk"],
        "refine_steps": settings["steps"],
        "optimizer": settings["optimizer"],
        "constraints": len(refiner.constraint_names),
    }
