"""Z' points as the scanner sees them: kernel inputs, parameter columns, the one-point evaluator.

Parameter columns: ``g_X``, ``m_Zp``, ``epsilon``, ``epsilon_loop`` (1 = loop-induced L_mu - L_tau mixing),
``g_bs_L``, ``g_bs_R`` and the charges ``X_q_1..3``, ``X_L_e``, ... (:data:`flavorscan.kernels.names.CHARGE_COLUMNS`).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels.names import CHARGE_FIELDS
from flavorscan.kernels.observable import Observable
from flavorscan.kernels.zprime import zprime_observables
from flavorscan.kernels.zprime.models import make_params, zprime_inputs
from flavorscan.scanner.models.zprime.card import resolve_charges

SCALARS = (
    Observable("g_X", "", "U(1)_X gauge coupling"),
    Observable("m_Zp", "GeV", "Z' mass"),
    Observable("epsilon", "", "kinetic mixing given on the card (used when epsilon_loop = 0)"),
    Observable("epsilon_loop", "", "1 = loop-induced L_mu - L_tau kinetic mixing"),
    Observable("g_bs_L", "", "Z' coupling to s-bar gamma P_L b"),
    Observable("g_bs_R", "", "Z' coupling to s-bar gamma P_R b"),
)
PARAMETERS = SCALARS + tuple(
    Observable(f"{field}_{label}", "", f"U(1)_X charge {field} of family {label}")
    for field, labels in CHARGE_FIELDS
    for label in labels
)


def inputs(card: dict) -> dict:
    """The Z' kernels' inputs pytree of a card (float64 numpy leaves)."""
    return zprime_inputs(card["measurements"], ckm=card["likelihood"]["inputs"]["ckm"])


def point_params(point: dict, kernel_inputs: dict) -> dict:
    """The params pytree of a resolved Z' [point]."""
    return make_params(resolve_charges(point["charges"]), point["g_X"], point["m_Zp"], point["epsilon"],
                       g_bs_L=point["g_bs"])


def columns_from_params(params) -> dict:
    """Flatten a (batched) Z' params pytree into named real columns."""
    columns = {o.name: params[o.name] for o in SCALARS}
    for field, labels in CHARGE_FIELDS:
        for k, label in enumerate(labels):
            columns[f"{field}_{label}"] = params[field][..., k]
    return columns


def params_from_columns(card: dict, columns) -> dict:
    """The params (numpy, batch axis first) of stored rows."""
    columns = {k: np.asarray(v) for k, v in columns.items()}
    params = {o.name: columns[o.name].astype(np.float64) for o in SCALARS}
    for field, labels in CHARGE_FIELDS:
        params[field] = np.stack([columns[f"{field}_{label}"] for label in labels], axis=-1).astype(np.float64)
    return params


def point_from_columns(card: dict, row) -> dict:
    """A resolved [point] reproducing one stored row (its charges as a table, its couplings and mass)."""
    charges = {"q": [float(row[f"X_q_{k}"]) for k in ("1", "2", "3")]}
    for field, key in (("X_L", "L"), ("X_E", "E"), ("X_N", "N")):
        charges[key] = [float(row[f"{field}_{lepton}"]) for lepton in ("e", "mu", "tau")]
    loop = float(row["epsilon_loop"]) == 1.0
    return {"charges": charges, "g_X": float(row["g_X"]), "m_Zp": float(row["m_Zp"]),
            "epsilon": "loop" if loop else float(row["epsilon"]), "g_bs": float(row["g_bs_L"])}


def make_evaluator(card: dict, kernel_inputs: dict):
    """Traced f(params) -> (parameter columns, observables) of one Z' point."""
    kernel_inputs = {k: jnp.asarray(v) for k, v in kernel_inputs.items()}

    def evaluate(params):
        return columns_from_params(params), zprime_observables(params, kernel_inputs)

    return evaluate

