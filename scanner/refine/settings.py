"""The [refine] card table: optimizer, step budget, convergence, what is free, fit starts.

Vocabulary (all optional)::

    optimizer = "adam"        # adam, adamw, sgd, rmsprop, adabelief, lion, nadam, radam, adamax,
                              # amsgrad, yogi, adagrad, lbfgs (optax)
    learning_rate = 0.05      # default per optimizer (adam family 0.05, sgd 0.01; lbfgs: line search)
    steps = 1000              # step budget per point
    tolerance = 1e-4          # relative improvement that resets the patience counter
    patience = 20             # steps without such improvement before a point counts as converged
    until = "viable"          # "viable": converged = viable and stalled; "stalled": stalled only
    objective = "log"         # "log": minimise log1p(loss); "linear": minimise loss
    free = "all"              # or a list of the model's free names (its parametrisation says which)
    phases = "auto"           # phases of free complex entries: "auto" (free if the entry is complex at the
                              # start), "fixed" (never, unless listed as <entry>_phase), "free" (always)
    max_coupling = 3.5449     # sqrt(4 pi): smooth penalty on free |couplings| above it
    batch_size = 256          # points refined at once (padded to a power of two up to this)
    n_starts = 1              # fit: starts (the card's point first, then random ones)
    seed = 0                  # fit: seed of the random starts
    start_spread = 1.0        # fit: random starts shift free log10|couplings| by U(-s, s)
    mass_spread = 0.1         # fit: ... and free log10 masses by U(-s, s); free phases are drawn uniformly
"""

from __future__ import annotations

import math

from flavorscan.scanner.cardkeys import CardKey, choice, did_you_mean, echo, integer, number, reject_unknown
from flavorscan.scanner.errors import UserError

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adabelief", "lion", "nadam", "radam", "adamax", "amsgrad",
              "yogi", "adagrad", "lbfgs")
DEFAULT_LEARNING_RATE = {"sgd": 0.01, "lion": 0.005, "adagrad": 0.1, "lbfgs": None}
PHASE_MODES = ("auto", "fixed", "free")
UNTIL_CHOICES = ("viable", "stalled")
OBJECTIVES = ("log", "linear")

MAX_STEPS = 10_000_000
MAX_STARTS = 1 << 20
MAX_SEED = 2**63 - 1
MAX_PATIENCE = 1 << 31
MAX_BATCH = 1 << 20
"""Bounds of [refine] integers and of the --steps, --n-starts and --seed options (they must fit the int64 and
int32 counters of the compiled loop)."""

KEYS = (
    CardKey("optimizer", "string", "adam", "optax optimizer: " + ", ".join(OPTIMIZERS)),
    CardKey("learning_rate", "float", None, "learning rate (default per optimizer: adam family 0.05, sgd 0.01, "
                                            "lion 0.005, adagrad 0.1; lbfgs: line search)"),
    CardKey("steps", "int", 1000, f"step budget per point (0..{MAX_STEPS})"),
    CardKey("tolerance", "float", 1e-4, "relative loss improvement that resets the patience counter"),
    CardKey("patience", "int", 20, "steps without such improvement before a point counts as converged"),
    CardKey("until", "string", "viable", "\"viable\": converged = viable and stalled; \"stalled\": stalled only"),
    CardKey("objective", "string", "log", "\"log\": minimise log1p(loss); \"linear\": minimise the loss"),
    CardKey("free", "\"all\" or [string]", "all", "what moves: the model's free names (docs/refinement.md)"),
    CardKey("phases", "string", "auto",
            "complex phases of free entries: \"auto\" (free if complex at the start), \"fixed\", \"free\""),
    CardKey("max_coupling", "float", math.sqrt(4.0 * math.pi), "smooth penalty on free |couplings| above it"),
    CardKey("batch_size", "int", 256, "points refined at once (padded to a power of two up to this)"),
    CardKey("n_starts", "int", 1, "fit: number of starts (the card's point first, then random ones)"),
    CardKey("seed", "int", 0, "fit: seed of the random starts"),
    CardKey("start_spread", "float", 1.0, "fit: random starts shift free log10|couplings| by U(-s, s)"),
    CardKey("mass_spread", "float", 0.1, "fit: ... and free log10 masses by U(-s, s)"),
)
DEFAULTS = {k.name: k.default for k in KEYS}


def resolve_refine(section: dict, free_names: frozenset) -> dict:
    """Validated [refine] table with defaults filled in; ``free_names`` is the model's free vocabulary."""
    reject_unknown(section, KEYS, "refine.")
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
        out["patience"] = integer(section["patience"], "refine.patience", lo=1, hi=MAX_PATIENCE)
    if "until" in section:
        out["until"] = choice(section["until"], "refine.until", UNTIL_CHOICES)
    if "objective" in section:
        out["objective"] = choice(section["objective"], "refine.objective", OBJECTIVES)
    if "free" in section:
        out["free"] = resolve_free(section["free"], free_names)
    if "phases" in section:
        out["phases"] = choice(section["phases"], "refine.phases", PHASE_MODES)
    if "max_coupling" in section:
        out["max_coupling"] = number(section["max_coupling"], "refine.max_coupling", positive=True)
    if "batch_size" in section:
        out["batch_size"] = integer(section["batch_size"], "refine.batch_size", lo=1, hi=MAX_BATCH)
    if "n_starts" in section:
        out["n_starts"] = integer(section["n_starts"], "refine.n_starts", lo=1, hi=MAX_STARTS)
    if "seed" in section:
        out["seed"] = integer(section["seed"], "refine.seed", lo=0, hi=MAX_SEED)
    if "start_spread" in section:
        out["start_spread"] = number(section["start_spread"], "refine.start_spread", nonnegative=True, hi=10.0)
    if "mass_spread" in section:
        out["mass_spread"] = number(section["mass_spread"], "refine.mass_spread", nonnegative=True, hi=3.0)
    return out


def resolve_free(value, free_names: frozenset):
    if value == "all":
        return "all"
    if isinstance(value, str):
        value = [value]
    if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise UserError('refine.free: expected "all" or a non-empty list of parameter names')
    for name in value:
        if name not in free_names:
            raise UserError(f"refine.free: unknown parameter {echo(name)}{did_you_mean(name, free_names)}")
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
