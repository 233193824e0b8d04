"""The [scan] table of the light Z' model (model = "zprime") and its sampler.

Vocabulary (docs/zprime-scans.md has worked examples; every bad value is a one-line UserError naming the key):

    n = 100_000              # total points; optional in grid mode (default: the grid size)
    chunk_size = 8192        # points per chunk; seed, keep, best_per_chunk as for every model
    charges = "Lmu-Ltau"     # required: one spec as in [point] ("Lmu-Ltau", "B-3Lmu", "Le-Lmu", "B3-3Lmu",
                             #   "catalog:<index>", or a table {q, L, E, N}); "catalog" = every set of the
                             #   N = 10 catalog that has a muon assignment (condition 13, 273 sets); or a list
                             #   of such specs (strings, tables, "catalog"); the same charges twice is an error
    mode = "random"          # or "grid"
    g_X = { range = [1e-5, 1e-2], prior = "log" }     # required; prior "uniform" (default) or "log"
    m_Zp = { range = [1e-3, 10.0], prior = "log" }    # required, GeV
    epsilon = 0.0            # a number (default 0), "loop" (every model must be Lmu-Ltau), or a range table
    g_bs = 0.0               # Z' coupling to s-bar gamma P_L b (g_bs_L): a number (default 0) or a range table

Random mode: g_X, m_Zp (and ranged epsilon, g_bs) are drawn from the chunk key, each quantity from its own
``fold_in(key, k)`` (g_X: 0, m_Zp: 1, epsilon: 2, g_bs: 3), as in scanner.sampling.sample_lq. With several
models the model is NOT random: point ``p`` (its point_id) gets model ``p mod len(models)``, so every model
gets n/len(models) points (±1), whatever the chunk size.

Grid mode: every ranged quantity needs ``points = K`` (K >= 1) in its table and becomes an axis with the
values ``numpy.geomspace(lo, hi, K)`` (prior "log") or ``numpy.linspace(lo, hi, K)`` (prior "uniform"). The
grid is the product (models x m_Zp x epsilon x g_bs x g_X; the last axis varies fastest), of size
G = len(models) * prod(K); point ``p`` sits at the mixed-radix digits of ``p mod G``, so chunks, shards and
resumes work as for random scans. ``n`` defaults to G; a card may ask for n <= G (a prefix of the grid);
``flavorscan run --n`` larger than G repeats the grid.

The engine calls ``sample_zprime(scan, chunk_index, size)``; point ``p`` of the scan is
``chunk_index * chunk_size + index in chunk`` (its point_id), which places it on the grid or picks its model.
"""

from __future__ import annotations

import math
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from flavorscan.scanner.config import PRIORS, choice, integer, number, pair, reject_unknown, required, table
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.sampling import MAX_POINTS, chunk_key, draw, resolve_common

MODES = ("random", "grid")
RANGED = ("g_X", "m_Zp", "epsilon", "g_bs")
GRID_AXES = ("m_Zp", "epsilon", "g_bs", "g_X")  # after the model axis; the last varies fastest
CHARGE_KEYS = ("q", "L", "E", "N")
FOLD = {"g_X": 0, "m_Zp": 1, "epsilon": 2, "g_bs": 3}
ALLOWED = {"n", "chunk_size", "seed", "keep", "best_per_chunk", "charges", "mode", *RANGED}

BENCH_SCAN = {
    "seed": 0,
    "keep": "viable",
    "charges": "catalog",
    "mode": "random",
    "g_X": {"range": [1e-5, 1.0], "prior": "log"},
    "m_Zp": {"range": [1e-3, 10.0], "prior": "log"},
    "epsilon": 0.0,
}
"""The fixed [scan] table of ``flavorscan bench --model zprime`` (n and chunk_size are added per run):
every catalog set with a muon assignment (cycled), g_X log-uniform in [1e-5, 1], m_Zp log-uniform in
[1e-3, 10] GeV, no kinetic mixing, paper2022 default constraints, keep = "viable"."""


# ---------------------------------------------------------------------------------------------- card

def catalog_labels() -> list[str]:
    """``catalog:<i>`` for every N = 10 catalog set with a muon assignment (condition 13), in catalog order."""
    from flavorscan.kernels import charges as charge_catalog
    from flavorscan.kernels.zprime.models import CATALOG_MAX_CHARGE

    cat = charge_catalog.catalog(CATALOG_MAX_CHARGE)
    return [f"catalog:{i}" for i, choices in enumerate(cat.muon_choices) if choices]


def _model_entry(spec, label: str, where: str) -> dict:
    from flavorscan.kernels.zprime.models import resolve_charges

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


def _range(section: dict, key: str, grid: bool) -> dict:
    entry = table(section[key], f"scan.{key}")
    reject_unknown(entry, {"range", "prior", "points"}, f"scan.{key}.")
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


def resolve_zprime_scan(section: dict) -> dict:
    """Validated Z' [scan] table with defaults filled in (module docstring)."""
    reject_unknown(section, ALLOWED, "scan.")
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
            raise UserError(f"scan.epsilon: expected a number, \"loop\" or a range table, got {eps!r}")
        from flavorscan.kernels.zprime.models import is_lmu_ltau, resolve_charges

        for m in models:
            if not is_lmu_ltau(resolve_charges({k: m[k] for k in CHARGE_KEYS})):
                raise UserError(f"scan.epsilon: \"loop\" is defined for the Lmu-Ltau charges only, not {m['label']}")
        out["epsilon"] = "loop"
    elif isinstance(eps, dict):
        out["epsilon"] = _range(section, "epsilon", grid)
    else:
        out["epsilon"] = number(eps, "scan.epsilon")
    g_bs = section.get("g_bs", 0.0)
    out["g_bs"] = _range(section, "g_bs", grid) if isinstance(g_bs, dict) else number(g_bs, "scan.g_bs")
    common = dict(section)
    if grid:
        size = grid_size(out)
        if size > MAX_POINTS:
            raise UserError(f"scan: the grid has {size} points, more than 2^53")
        if "n" in section:
            integer(section["n"], "scan.n", lo=1)
            if section["n"] > size:
                raise UserError(f"scan.n: larger than the grid ({section['n']} > {size} points)")
        else:
            common["n"] = size
        out["grid_size"] = size
    scan = resolve_common(common)
    scan.update(out)
    return scan


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


# ---------------------------------------------------------------------------------------------- sampling

def charge_table(scan: dict) -> dict:
    """{q, L, E, N}: float64 arrays of shape (len(models), 3)."""
    return {k: np.array([m[k] for m in scan["models"]], dtype=np.float64).reshape(-1, 3) for k in CHARGE_KEYS}


def point_indices(scan: dict, chunk_index, size: int):
    """point_id of the chunk's points (chunk × chunk_size + index)."""
    return jnp.asarray(chunk_index, jnp.int64) * scan["chunk_size"] + jnp.arange(size, dtype=jnp.int64)


def _fixed(value, size):
    return jnp.full((size,), value, dtype=jnp.float64)


def sample_zprime(scan: dict, chunk_index, size: int) -> dict:
    """The Z' params of chunk ``chunk_index`` (leading axis ``size``): the pytree of
    kernels.zprime.models.make_params with scalars of shape (size,) and charges X_q, X_L, X_E, X_N of shape
    (size, 3)."""
    key = chunk_key(scan["seed"], chunk_index)
    charges = {k: jnp.asarray(v) for k, v in charge_table(scan).items()}
    n_models = len(scan["models"])
    values = {}
    if scan["mode"] == "grid":
        axes = grid_axes(scan)
        total = math.prod(len(v) for _, v in axes)
        g = point_indices(scan, chunk_index, size) % total
        stride = total
        for name, axis_values in axes:
            stride //= len(axis_values)
            digit = (g // stride) % len(axis_values)
            values[name] = jnp.asarray(axis_values)[digit]
        model = values.pop("model")
    else:
        if n_models > 1:
            model = point_indices(scan, chunk_index, size) % n_models
        else:
            model = jnp.zeros((size,), jnp.int64)
        for name in RANGED:
            if isinstance(scan[name], dict):
                values[name] = draw(jax.random.fold_in(key, FOLD[name]), scan[name], size).astype(jnp.float64)
    loop = scan["epsilon"] == "loop"
    for name in RANGED:
        if name not in values:
            fixed = 0.0 if (name == "epsilon" and loop) else scan[name]
            values[name] = _fixed(fixed, size)
    return {
        "g_X": values["g_X"],
        "m_Zp": values["m_Zp"],
        "epsilon": values["epsilon"],
        "epsilon_loop": _fixed(1.0 if loop else 0.0, size),
        "g_bs_L": values["g_bs"],
        "g_bs_R": _fixed(0.0, size),
        "X_q": charges["q"][model],
        "X_L": charges["L"][model],
        "X_E": charges["E"][model],
        "X_N": charges["N"][model],
    }


# ---------------------------------------------------------------------------------------------- summary

CHARGE_COLUMNS = tuple(f"X_{s}_{f}" for s, fams in (("q", ("1", "2", "3")), ("L", ("e", "mu", "tau")),
                                                     ("E", ("e", "mu", "tau")), ("N", ("e", "mu", "tau")))
                       for f in fams)
G2_CONSTRAINT = "delta_a_mu"


def summarize(columns: dict, card: dict) -> dict:
    """Per model of a Z' run: points, rows passing the Δa_μ constraint, viable rows, g_X and m_Zp ranges of
    the viable rows. ``columns`` from scanner.store.load, ``card`` the run's resolved card.

    Rows are attributed to a model by their charge columns. ``points`` and ``pass_delta_a_mu`` count the
    stored rows, i.e. every point only for keep = "all" (``complete`` says which)."""
    scan = card["scan"]
    models = scan["models"]
    complete = scan["keep"] == "all"
    keys = np.stack([np.asarray(columns[c], dtype=np.float64) for c in CHARGE_COLUMNS], axis=1) if columns else np.empty((0, 21))
    table_ = np.array([[*m["q"], *m["L"], *m["E"], *m["N"]] for m in models], dtype=np.float64)
    has_g2 = f"pass_{G2_CONSTRAINT}" in columns
    per_model = []
    for index, m in enumerate(models):
        mine = np.all(keys == table_[index][None, :], axis=1)
        viable = mine & columns["viable"].astype(bool) if columns else mine
        entry = {
            "model": m["label"],
            "points": int(mine.sum()),
            "pass_delta_a_mu": int((mine & columns[f"pass_{G2_CONSTRAINT}"].astype(bool)).sum()) if has_g2 else None,
            "viable": int(viable.sum()),
        }
        for col in ("g_X", "m_Zp"):
            vals = columns[col][viable] if columns else np.empty(0)
            entry[f"{col}_min"] = float(vals.min()) if vals.size else None
            entry[f"{col}_max"] = float(vals.max()) if vals.size else None
        per_model.append(entry)
    return {"measurements": card["measurements"], "keep": scan["keep"], "complete": complete,
            "delta_a_mu_enabled": has_g2, "rows": int(len(columns.get("point_id", []))), "models": per_model}
