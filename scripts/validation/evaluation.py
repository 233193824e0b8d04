"""Evaluation through flavorscan, and the two benchmark cards evaluated once for every section.

Speed: the point function closes over the inputs pytree; here it is traced with the inputs as *arguments*, for
both measurement sets in one program, so a single XLA compilation serves every benchmark, variant (term signs,
quark-mass scale, perturbed couplings) and probe point of the report. Results are in the schema of
``flavorscan point`` (:func:`scanner.pipeline.make_point_function` is the function behind it).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import sys

import numpy as np

import flavorscan.kernels  # noqa: F401  (enables float64 before any JAX array exists)
import jax

from flavorscan.kernels import constants
from flavorscan.scanner import models
from flavorscan.scanner.config import resolve_card
from flavorscan.scanner.constraints import ConstraintSet
from flavorscan.scanner.pipeline import make_point_function, model_inputs, point_params

from . import ROOT
from .published import TEXTURES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_raw(relative: str) -> dict:
    """A TOML card of the repository (path relative to its root) as parsed, not yet resolved."""
    with open(ROOT / relative, "rb") as handle:
        return tomllib.load(handle)


@functools.lru_cache(maxsize=None)
def _program(model: str, constraints_json: str):
    """jit(params, inputs) -> {measurement set: point-function columns}: make_point_function for both sets."""
    from flavorscan.scanner.likelihood import resolve_likelihood

    settings = json.loads(constraints_json)
    spec = models.get(model)
    cards = {
        name: {"model": model, "measurements": name, "point": {}, "constraints": settings,
               "likelihood": resolve_likelihood(spec, name, settings)}
        for name in constants.MEASUREMENT_SETS
    }

    def program(params, inputs):
        return {name: make_point_function(card, inputs)(params) for name, card in cards.items()}

    return jax.jit(program)


def scalar(x) -> float:
    """A 0-d array (or number) as a Python float."""
    return float(np.asarray(x))


def evaluate(card: dict, params: dict | None = None) -> dict:
    """The card's point (or ``params`` with the card's inputs) in the schema of scanner.commands.point:
    {"observables", "constraints", "viable", "chi2_total", "params"}. Same function as ``flavorscan point``."""
    inputs = model_inputs(card)
    if params is None:
        params = point_params(card, inputs)
    program = _program(card["model"], json.dumps(card["constraints"], sort_keys=True))
    columns = program(params, inputs)[card["measurements"]]
    layer = ConstraintSet(card)
    physics = models.get(card["model"])
    result = {
        "observables": {o.name: scalar(columns[o.name]) for o in physics.observables},
        "constraints": {},
        "viable": bool(np.asarray(columns["viable"])),
        "chi2_total": scalar(columns["chi2_total"]),
        "params": params,
        "set": card["measurements"],
        "values": {k: scalar(v) for k, v in columns.items() if np.ndim(v) == 0},
    }
    for c in layer.constraints:
        result["constraints"][c.name] = {
            "value": scalar(columns[c.observable]),
            "pass": bool(np.asarray(columns[f"pass_{c.name}"])),
            "chi2": scalar(columns[f"chi2_{c.name}"]) if layer.has_chi2(c.name) else None,
            "constraint": c,
        }
    return result


def lq_card(point: dict, measurements: str = "paper2022") -> dict:
    """A resolved LQ card from a raw [point] table (validated by scanner.config.resolve_card)."""
    return resolve_card({"model": "lq", "measurements": measurements, "point": point}, "validation")


def with_point(raw: dict, measurements: str | None = None, **changes) -> dict:
    """A resolved card: the raw card with [point] keys replaced (and optionally another measurement set)."""
    raw = copy.deepcopy(raw)
    raw["point"].update(changes)
    if measurements is not None:
        raw["measurements"] = measurements
    return resolve_card(raw, "validation")


def probe(m_r2=1000.0, m_s1=1000.0, measurements="paper2022", **entries) -> dict:
    """A card with only the given coupling entries, e.g. fL={(1, 2): 0.3}; values may be complex."""
    point = {"M_R2": m_r2, "M_S1": m_s1, "m0I0": 1e-6, "nu_term_signs": [1, -1, -1]}
    for name, items in entries.items():
        re = [[0.0] * 3 for _ in range(3)]
        im = [[0.0] * 3 for _ in range(3)]
        for (q, lep), value in items.items():
            re[q][lep] = float(np.real(value))
            im[q][lep] = float(np.imag(value))
        point[name] = re
        point[f"{name}_im"] = im
    return lq_card(point, measurements)


ANGLES = ("delta_cp", "alpha21", "alpha31")


def clean(observables: dict) -> dict:
    """Remove round-off noise that would make the report platform dependent: imaginary parts below 1e-12 of
    the real part, and phases within 1e-9 of 0 or 2 pi (both mean 0)."""
    out = dict(observables)
    for name, value in observables.items():
        if name.endswith("_im"):
            partner = observables.get(name[:-3], 0.0)
            if abs(value) <= 1e-12 * abs(partner) or abs(value) < 1e-300:
                out[name] = 0.0
        if name in ANGLES and (abs(value) < 1e-9 or abs(value - 2.0 * math.pi) < 1e-9):
            out[name] = 0.0
    return out



@dataclasses.dataclass(frozen=True)
class Benchmarks:
    """TX-I (runs/tx1_nh.toml) and TX-II (runs/tx2_ih.toml), evaluated once for every section of the report.

    ``raw1``/``raw2``: the cards as parsed (variants are made from them with :func:`with_point`);
    ``card1``/``card2``: resolved; ``tx1``/``tx2``: :func:`evaluate` under their own set (paper2022),
    ``tx1_current``/``tx2_current``: the same points under the ``current`` set; ``o1``/``o2``: the paper2022
    observables without round-off noise (:func:`clean`); ``tx1_rb``: observables of TX-I with y^R_ce = +0.17
    (the letter's Rb-consistent variant); ``inputs1``: the model inputs of TX-I."""

    raw1: dict
    raw2: dict
    card1: dict
    card2: dict
    tx1: dict
    tx2: dict
    tx1_current: dict
    tx2_current: dict
    o1: dict
    o2: dict
    tx1_rb: dict
    inputs1: dict


def load_benchmarks() -> Benchmarks:
    """Read, resolve and evaluate the two benchmark cards (and the variants every section needs)."""
    raw1, raw2 = read_raw(TEXTURES["TX-I"]["card"]), read_raw(TEXTURES["TX-II"]["card"])
    card1, card2 = resolve_card(copy.deepcopy(raw1), "TX-I"), resolve_card(copy.deepcopy(raw2), "TX-II")
    tx1, tx2 = evaluate(card1), evaluate(card2)
    variant = copy.deepcopy(raw1["point"]["yR"])
    variant[1][0] = 0.17
    return Benchmarks(
        raw1=raw1, raw2=raw2, card1=card1, card2=card2, tx1=tx1, tx2=tx2,
        tx1_current=evaluate(with_point(raw1, measurements="current")),
        tx2_current=evaluate(with_point(raw2, measurements="current")),
        o1=clean(tx1["observables"]), o2=clean(tx2["observables"]),
        tx1_rb=evaluate(with_point(raw1, yR=variant))["observables"],
        inputs1=model_inputs(card1),
    )
