"""The [discover] card table: population, stages, optimizer, budget and what to keep (docs/discovery.md).

Every key is optional; an empty [discover] table is valid and means the defaults below.
"""

from __future__ import annotations

from flavorscan.scanner.cardkeys import CardKey, choice, integer, number, reject_unknown
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.refine.settings import OPTIMIZERS

KEEP_CHOICES = ("viable", "viable+best")
MAX_POPULATION = 1 << 22
MAX_EVALS = 1 << 62

KEYS = (
    CardKey("population", "int", 1024, "members evolved together in one batch (one restart)"),
    CardKey("generations", "int", 24, "optimizer stages per batch; survivors are resampled between them"),
    CardKey("steps", "int", 150, "optimizer steps per generation"),
    CardKey("record_every", "int", 25,
            "the population is evaluated exactly, and its viable members recorded, every this many steps and at "
            "the end of each generation"),
    CardKey("optimizer", "string", "adam", "optax optimizer of the continuous variables: " + ", ".join(OPTIMIZERS[:-1])),
    CardKey("learning_rate", "float", 0.1, "its learning rate (on log-magnitudes, phases and log-masses)"),
    CardKey("oscillation_from", "int", 8,
            "the generation from which the oscillation constraints enter the loss (ramped in over that generation); "
            "0: from the start"),
    CardKey("keep_fraction", "float", 0.125, "fraction of each generation that survives (the lowest loss)"),
    CardKey("noise", "float", 0.2, "children: Gaussian noise on log10-magnitudes (decades) and phases (rad)"),
    CardKey("mass_noise", "float", 0.05, "children: Gaussian noise on log10-masses (decades)"),
    CardKey("toggle_rate", "float", 0.04, "children: probability per entry of switching it off (or on)"),
    CardKey("flip_rate", "float", 0.015, "children: probability per entry of flipping its sign"),
    CardKey("anomaly_scale", "string", "log",
            "\"log\": a Gaussian constraint far from the Standard Model is scored on a log scale of the new-physics "
            "shift (asinh) while it fails; \"linear\": pull^2 throughout"),
    CardKey("manifold", "bool", False,
            "from oscillation_from on, move members onto the exact oscillation manifold (the model's projection: "
            "couplings solved for a neutrino mass matrix drawn from the oscillation data) before each evaluation"),
    CardKey("evals", "int", None, "budget in point evaluations (default: one batch); rows are a function of (seed, evals)"),
    CardKey("seconds", "float", None, "budget in seconds: batches in order until it is spent (a prefix of the evals run)"),
    CardKey("keep", "string", "viable",
            "\"viable\": every distinct viable point found; \"viable+best\": also the best non-viable member of "
            "each batch, flagged candidate"),
    CardKey("family_threshold", "float", 1e-4, "|coupling| above which an entry counts as non-zero in a family's pattern"),
    CardKey("family_distance", "float", 1.0, "decades in log10|coupling| within which points of one pattern are one family"),
)
DEFAULTS = {k.name: k.default for k in KEYS}
BUDGET_KEYS = ("evals", "seconds")
"""Keys that do not change the rows a batch gives (not part of a run's identity)."""


def resolve_discover(section: dict) -> dict:
    """Validated [discover] table with defaults filled in."""
    reject_unknown(section, KEYS, "discover.")
    out = dict(DEFAULTS)
    ints = {"population": (2, MAX_POPULATION), "generations": (1, 10_000), "steps": (0, 1_000_000),
            "record_every": (1, 1_000_000),
            "oscillation_from": (0, 10_000), "evals": (1, MAX_EVALS)}
    for key, (lo, hi) in ints.items():
        if key in section:
            out[key] = integer(section[key], f"discover.{key}", lo=lo, hi=hi)
    floats = {"learning_rate": dict(positive=True), "keep_fraction": dict(positive=True, hi=1.0),
              "noise": dict(nonnegative=True, hi=10.0), "mass_noise": dict(nonnegative=True, hi=3.0),
              "toggle_rate": dict(nonnegative=True, hi=1.0), "flip_rate": dict(nonnegative=True, hi=1.0),
              "seconds": dict(positive=True, hi=1e9), "family_threshold": dict(positive=True),
              "family_distance": dict(positive=True, hi=100.0)}
    for key, checks in floats.items():
        if key in section:
            out[key] = number(section[key], f"discover.{key}", **checks)
    if "optimizer" in section:
        out["optimizer"] = choice(section["optimizer"], "discover.optimizer", OPTIMIZERS[:-1])
    if "anomaly_scale" in section:
        out["anomaly_scale"] = choice(section["anomaly_scale"], "discover.anomaly_scale", ("log", "linear"))
    if "keep" in section:
        out["keep"] = choice(section["keep"], "discover.keep", KEEP_CHOICES)
    if "manifold" in section:
        if not isinstance(section["manifold"], bool):
            raise UserError("discover.manifold: expected true or false")
        out["manifold"] = section["manifold"]
    if out["keep_fraction"] * out["population"] < 1:
        raise UserError("discover.keep_fraction: keeps no member of the population; raise it or the population")
    return out
