"""The Z' [point] and [scan] card tables: charge specifications, vocabulary, validation, defaults.

A charge specification (``charges`` of [point] and [scan]) is one of

- a named benchmark: ``"Lmu-Ltau"``, ``"B-3Lmu"``, ``"Le-Lmu"``, ``"B3-3Lmu"``
  (:data:`flavorscan.kernels.zprime.models.BENCHMARKS`);
- ``"catalog:<index>"``: set ``index`` (from 0) of the N = 10 anomaly-free catalog
  (:func:`flavorscan.kernels.zprime.models.charges_from_catalog`);
- a table ``{q = ..., L = [...], E = [...], N = [...]}``: q a number (universal) or three numbers (per quark
  family), lepton charges per family (e, μ, τ); it must satisfy the six anomaly conditions with
  X_Q = X_U = X_D per family and X_H = 0.

[scan] (the engine keys n, chunk_size, seed, keep, best_per_chunk are generic):

    charges = "Lmu-Ltau"     # one spec, "catalog" (every set of the catalog with a muon assignment,
                             #   condition 13: 273 sets) or a list of specs; the same charges twice is an error
    mode = "random"          # or "grid"
    g_X = { range = [1e-5, 1e-2], prior = "log" }     # required; prior "uniform" (default) or "log"
    m_Zp = { range = [1e-3, 10.0], prior = "log" }    # required, GeV
    epsilon = 0.0            # a number, "loop" (every model must be Lmu-Ltau) or a range table
    g_bs = 0.0               # Z' coupling to s-bar gamma P_L b: a number or a range table

Random mode: g_X, m_Zp (and ranged epsilon, g_bs) are drawn from the chunk key, each from its own
``fold_in(key, k)`` (g_X: 0, m_Zp: 1, epsilon: 2, g_bs: 3). With several models the model is NOT random:
point ``p`` (its point_id) gets model ``p mod len(models)``, so every model gets n/len(models) points (±1).

Grid mode: every ranged quantity needs ``points = K`` (K >= 1) and becomes an axis with the values
``numpy.geomspace(lo, hi, K)`` (prior "log") or ``numpy.linspace(lo, hi, K)`` ("uniform"). The grid is the
product (models x m_Zp x epsilon x g_bs x g_X; the last axis varies fastest), of size G; point ``p`` sits at
the mixed-radix digits of ``p mod G``, so chunks, shards and resumes work as for random scans. ``n`` defaults
to G; a card may ask for n <= G (a prefix of the grid); ``flavorscan run --n`` larger than G repeats the grid.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Mapping

import numpy as np

from flavorscan.kernels import charges as charge_catalog
from flavorscan.kernels.zprime.models import (
    BENCHMARKS,
    CATALOG_MAX_CHARGE,
    Charges,
    anomaly_sums,
    charges_from_catalog,
    is_lmu_ltau,
    make_params,
)
from flavorscan.scanner.cardkeys import (
    REQUIRED,
    CardKey,
    choice,
    echo,
    integer,
    key_text,
    number,
    pair,
    reject_unknown,
    required,
    table,
)
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.sampling import ENGINE_KEYS, MAX_POINTS, PRIORS

MODES = ("random", "grid")
RANGED = ("g_X", "m_Zp", "epsilon", "g_bs")
GRID_AXES = ("m_Zp", "epsilon", "g_bs", "g_X")  # after the model axis; the last varies fastest
CHARGE_KEYS = ("q", "L", "E", "N")

CHARGES_MEANING = ("a named model (\"Lmu-Ltau\", \"B-3Lmu\", \"Le-Lmu\", \"B3-3Lmu\"), \"catalog:<index>\", or a "
                   "table {q, L, E, N} of anomaly-free charges")
POINT_KEYS = (
    CardKey("charges", "string or table", REQUIRED, CHARGES_MEANING),
    CardKey("g_X", "float", REQUIRED, "U(1)_X gauge coupling (> 0)"),
    CardKey("m_Zp", "float", REQUIRED, "Z' mass [GeV]"),
    CardKey("epsilon", "float or \"loop\"", 0.0, "kinetic mixing; \"loop\": loop-induced (L_mu - L_tau only)"),
    CardKey("g_bs", "float", 0.0, "Z' coupling to s-bar gamma P_L b"),
)
SCAN_KEYS = (
    CardKey("charges", "spec, \"catalog\" or list", REQUIRED,
            CHARGES_MEANING + "; \"catalog\" = every catalog set with a muon assignment; or a list of these"),
    CardKey("mode", "string", "random", "\"random\" (priors) or \"grid\" (every ranged quantity gets points = K)"),
    CardKey("g_X", "range table", REQUIRED, "{range, prior, points (grid)}"),
    CardKey("m_Zp", "range table", REQUIRED, "{range, prior, points (grid)} [GeV]"),
    CardKey("epsilon", "float, \"loop\" or range table", 0.0, "kinetic mixing"),
    CardKey("g_bs", "float or range table", 0.0, "Z' coupling to s-bar gamma P_L b"),
)
RANGE_KEYS = (
    CardKey("range", "[lo, hi]", REQUIRED, "the interval"),
    CardKey("prior", "string", "uniform", "\"uniform\" or \"log\""),
    CardKey("points", "int", None, "grid mode: number of grid values (geomspace for log, linspace for uniform)"),
)


# ---------------------------------------------------------------------------------------------- charges

def _charges_from_table(spec: Mapping) -> Charges:
    unknown = sorted(set(spec) - set(CHARGE_KEYS))
    if unknown:
        raise ValueError(f"charges.{key_text(unknown[0])}: unknown key (expected {', '.join(CHARGE_KEYS)})")
    missing = [k for k in CHARGE_KEYS if k not in spec]
    if missing:
        raise ValueError(f"charges.{missing[0]}: missing")
    for key in CHARGE_KEYS:
        value = np.asarray(spec[key], dtype=object)
        shapes = ((), (3,)) if key == "q" else ((3,),)
        if value.shape not in shapes or not all(
            isinstance(x, numbers.Real) and not isinstance(x, bool) and _finite_real(x) for x in value.ravel()
        ):
            raise ValueError(f"charges.{key}: must be {'a number or ' if key == 'q' else ''}three finite numbers")
    q = np.broadcast_to(np.asarray(spec["q"], dtype=np.float64), (3,)).copy()
    c = Charges(q, *(np.asarray(spec[k], dtype=np.float64) for k in ("L", "E", "N")))
    with np.errstate(over="ignore", invalid="ignore"):
        sums = anomaly_sums(c)
        scale = np.float64(max(1.0, max(float(np.max(np.abs(x))) for x in c))) ** 3  # inf, not OverflowError
    if not (np.all(np.isfinite(sums)) and np.isfinite(scale)):
        raise ValueError("charges: too large (the anomaly sums overflow)")
    if np.any(np.abs(sums) > 1e-9 * scale):
        names = ("SU(3)^2 X", "SU(2)^2 X", "Y^2 X", "Y X^2", "X^3", "grav^2 X")
        bad = names[int(np.argmax(np.abs(sums) > 1e-9 * scale))]
        raise ValueError(f"charges: the table is not anomaly free ({bad} = {sums[names.index(bad)]:g})")
    return c


def _finite_real(x) -> bool:
    try:
        return math.isfinite(float(x))
    except OverflowError:  # an integer beyond float64
        return False


def resolve_charges(spec) -> Charges:
    """Charges of a ``charges`` value (module docstring); ValueError with a one-line message otherwise."""
    if isinstance(spec, Mapping):
        return _charges_from_table(spec)
    if isinstance(spec, str):
        if spec in BENCHMARKS:
            return BENCHMARKS[spec]
        match = re.fullmatch(r"catalog:(\d{1,9})", spec)
        if match:
            return charges_from_catalog(int(match.group(1)))
    raise ValueError(
        f"charges: unknown model {echo(spec)} (choose {', '.join(BENCHMARKS)}, catalog:<index> or a table {{q, L, E, N}})"
    )


def catalog_labels() -> list[str]:
    """``catalog:<i>`` for every N = 10 catalog set with a muon assignment (condition 13), in catalog order."""
    cat = charge_catalog.catalog(CATALOG_MAX_CHARGE)
    return [f"catalog:{i}" for i, choices in enumerate(cat.muon_choices) if choices]


# ---------------------------------------------------------------------------------------------- [point]

def resolve_point(point: dict) -> dict:
    """Validated Z' [point] (the charges stay as given; they are checked here)."""
    reject_unknown(point, POINT_KEYS, "point.")
    try:
        charges = resolve_charges(required(point, "charges", "point."))
    except ValueError as exc:
        raise UserError(f"point.charges: {exc}") from None
    out = {
        "charges": point["charges"],
        "g_X": number(required(point, "g_X", "point."), "point.g_X", positive=True),
        "m_Zp": number(required(point, "m_Zp", "point."), "point.m_Zp", positive=True),
        "g_bs": number(point.get("g_bs", 0.0), "point.g_bs"),
    }
    eps = point.get("epsilon", 0.0)
    if isinstance(eps, str):
        if eps != "loop":
            raise UserError(f"point.epsilon: expected a number or \"loop\", got {echo(eps)}")
    else:
        eps = number(eps, "point.epsilon")
    out["epsilon"] = eps
    try:
        make_params(charges, out["g_X"], out["m_Zp"], eps, g_bs_L=out["g_bs"])
    except ValueError as exc:
        raise UserError(f"point.{exc}") from None
    return out


# ---------------------------------------------------------------------------------------------- [scan]

def _model_entry(spec, label: str, where: str) -> dict:
    try:
        c = resolve_charges(spec)
    except ValueError as exc:
        raise UserError(f"{where}: {exc}") from None
    return {"label": label, **{k: [float(x) for x in getattr(c, k)] for k in CHARGE_KEYS}}


def resolve_models(spec) -> list[dict]:
    """The models of ``scan.charges`` as [{label, q, L, E, N}] (plain lists, JSON-able)."""
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise UserError("scan.charges: empty list")
    models = []
    for position, item in enumerate(items):
        where = "scan.charges" if not isinstance(spec, list) else f"scan.charges[{position}]"
        if item == "catalog":
            models.extend(_model_entry(label, label, where) for label in catalog_labels())
        elif isinstance(item, str):
            models.append(_model_entry(item, item, where))
        elif isinstance(item, Mapping):
            models.append(_model_entry(item, f"table:{position}", where))
        else:
            raise UserError(f"{where}: expected a model name, \"catalog\", a table {{q, L, E, N}} or a list of these")
    seen = {}
    for m in models:
        key = tuple(tuple(m[k]) for k in CHARGE_KEYS)
        if key in seen:
            raise UserError(f"scan.charges: {m['label']} has the same charges as {seen[key]} (give each model once)")
        seen[key] = m["label"]
    return models


def model_charges(model: dict) -> Charges:
    """The Charges of one resolved [scan] model entry."""
    return Charges(*(np.asarray(model[k], dtype=np.float64) for k in CHARGE_KEYS))


def _range(section: dict, key: str, grid: bool) -> dict:
    entry = table(section[key], f"scan.{key}")
    reject_unknown(entry, RANGE_KEYS, f"scan.{key}.")
    prior = choice(entry.get("prior", "uniform"), f"scan.{key}.prior", PRIORS)
    positive = prior == "log" or key == "m_Zp"
    lo, hi = pair(required(entry, "range", f"scan.{key}."), f"scan.{key}.range", positive=positive)
    if key == "g_X" and lo < 0:
        raise UserError(f"scan.g_X.range: must be >= 0, got {lo!r}")
    out = {"range": [lo, hi], "prior": prior}
    if grid:
        out["points"] = integer(required(entry, "points", f"scan.{key}."), f"scan.{key}.points", lo=1, hi=1 << 24)
    elif "points" in entry:
        raise UserError(f"scan.{key}.points: only used with mode = \"grid\"")
    return out


def grid_axes(scan: dict) -> list[tuple[str, np.ndarray]]:
    """The grid axes in mixed-radix order (slowest first): ("model", indices) then the ranged quantities."""
    axes = [("model", np.arange(len(scan["models"]), dtype=np.int64))]
    for key in GRID_AXES:
        spec = scan[key]
        if isinstance(spec, dict):
            lo, hi = spec["range"]
            k = spec["points"]
            values = np.geomspace(lo, hi, k) if spec["prior"] == "log" else np.linspace(lo, hi, k)
            axes.append((key, values))
    return axes


def grid_size(scan: dict) -> int:
    return math.prod(len(values) for _, values in grid_axes(scan))


def resolve_scan(section: dict) -> dict:
    """The Z' keys of a [scan] table; a grid scan gets ``grid_size`` (the default of n)."""
    reject_unknown(section, SCAN_KEYS + ENGINE_KEYS, "scan.")
    mode = choice(section.get("mode", "random"), "scan.mode", MODES)
    grid = mode == "grid"
    models = resolve_models(required(section, "charges", "scan."))
    out = {"mode": mode, "models": models}
    for key in ("g_X", "m_Zp"):
        required(section, key, "scan.")
        out[key] = _range(section, key, grid)
    eps = section.get("epsilon", 0.0)
    if isinstance(eps, str):
        if eps != "loop":
            raise UserError(f"scan.epsilon: expected a number, \"loop\" or a range table, got {echo(eps)}")
        for m in models:
            if not is_lmu_ltau(model_charges(m)):
                raise UserError(f"scan.epsilon: \"loop\" is defined for the Lmu-Ltau charges only, not {m['label']}")
        out["epsilon"] = "loop"
    elif isinstance(eps, dict):
        out["epsilon"] = _range(section, "epsilon", grid)
    else:
        out["epsilon"] = number(eps, "scan.epsilon")
    g_bs = section.get("g_bs", 0.0)
    out["g_bs"] = _range(section, "g_bs", grid) if isinstance(g_bs, dict) else number(g_bs, "scan.g_bs")
    if grid:
        size = grid_size(out)
        if size > MAX_POINTS:
            raise UserError(f"scan: the grid has {size} points, more than 2^53")
        if "n" in section:
            integer(section["n"], "scan.n", lo=1)
            if section["n"] > size:
                raise UserError(f"scan.n: larger than the grid ({section['n']} > {size} points)")
        out["grid_size"] = size
    return out

