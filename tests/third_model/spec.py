"""The toy model's ModelSpec: card vocabulary, sampler, evaluator, parametrisation and presets."""

from __future__ import annotations

import jax
import numpy as np

from flavorscan.kernels.observable import Observable
from flavorscan.scanner.cardkeys import REQUIRED, CardKey, number, reject_unknown, required
from flavorscan.scanner.models.scalars import Scalar, scalar_parametrisation
from flavorscan.scanner.models.spec import ModelSpec, Presets
from flavorscan.scanner.sampling import ENGINE_KEYS, chunk_key, draw, prior_table
from tests.third_model.kernel import OBSERVABLES, toy_observables

PARAMETERS = (Observable("g", "", "scalar coupling to muons"), Observable("m", "GeV", "scalar mass"))
POINT_KEYS = (CardKey("g", "float", REQUIRED, "coupling"), CardKey("m", "float", REQUIRED, "mass [GeV]"))
SCAN_KEYS = (CardKey("g", "prior table", REQUIRED, "coupling prior"), CardKey("m", "prior table", REQUIRED, "mass prior"))


def resolve_point(point):
    reject_unknown(point, POINT_KEYS, "point.")
    return {"g": number(required(point, "g", "point."), "point.g", positive=True),
            "m": number(required(point, "m", "point."), "point.m", positive=True)}


def resolve_scan(section):
    reject_unknown(section, SCAN_KEYS + ENGINE_KEYS, "scan.")
    return {"g": prior_table(section, "g", positive=True), "m": prior_table(section, "m", positive=True)}


def sample(scan, chunk_index, size):
    key = chunk_key(scan["seed"], chunk_index)
    return {"g": draw(jax.random.fold_in(key, 0), scan["g"], size),
            "m": draw(jax.random.fold_in(key, 1), scan["m"], size)}


def make_evaluator(card, inputs):
    def evaluate(params):
        return {"g": params["g"], "m": params["m"]}, toy_observables(params, inputs)

    return evaluate


def params_from_columns(card, columns):
    return {name: np.asarray(columns[name], dtype=np.float64) for name in ("g", "m")}


def point_from_columns(card, row):
    return {"g": float(row["g"]), "m": float(row["m"])}


SPEC = ModelSpec(
    name="toy",
    description="a real scalar coupling to muons (test model)",
    parameters=PARAMETERS,
    stored_parameters=lambda card: PARAMETERS,
    observables=OBSERVABLES,
    point_keys=POINT_KEYS,
    resolve_point=resolve_point,
    scan_keys=SCAN_KEYS,
    resolve_scan=resolve_scan,
    inputs=lambda card: {"scale": np.float64(1.0)},
    point_params=lambda point, inputs: {"g": np.float64(point["g"]), "m": np.float64(point["m"])},
    sample=sample,
    make_evaluator=make_evaluator,
    params_from_columns=params_from_columns,
    point_from_columns=point_from_columns,
    parametrisation=lambda card: scalar_parametrisation((Scalar("g", "g", coupling=True), Scalar("m", "m"))),
    presets=Presets(bench_scan={"g": {"range": [1e-4, 1e-2], "prior": "log"},
                                "m": {"range": [1e-3, 10.0], "prior": "log"}},
                    report_planes=(("m", "delta_a_mu"),), profile_columns=("g", "m")),
)
