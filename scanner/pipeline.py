"""From a resolved card to the one-point function the engine vmaps: params -> named columns.

The columns of a point are its parameters, every observable of the model and the constraint columns
(pass_/chi2_/penalty_<name>, chi2_total, penalty_total, viable, reason). ``point``, ``run``, ``refine``,
``fit`` and ``bench`` all evaluate points through :func:`make_point_function`, so they cannot disagree.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels import constants
from flavorscan.kernels.neutrino import loop_integral_i0, m0_prefactor, rescale_mass_scale
from flavorscan.kernels.observables import lq_columns_from_params, model as get_model, zprime_columns_from_params
from flavorscan.scanner.constraints import ConstraintSet


def conventions(card: dict) -> dict:
    """The LQ convention keys (signs, quark-mass scales) from [point] or [scan]."""
    section = card.get("point") or card.get("scan")
    return {k: section[k] for k in ("nu_term_signs", "nu_quark_masses", "loop_quark_masses")}


def model_inputs(card: dict) -> dict:
    """The kernels' inputs pytree for a card (float64 numpy leaves)."""
    if card["model"] == "lq":
        return constants.base_inputs(card["measurements"], **conventions(card))
    from flavorscan.kernels.zprime import zprime_inputs

    return zprime_inputs(card["measurements"])


def m0i0_from_masses(theta, phi, masses, inputs):
    """m0 I0 from the scalar mixing angles and masses (letter Eqs. 3-5), with the card's m_t."""
    return m0_prefactor(inputs["g"], inputs["m_up_nu"][2]) * loop_integral_i0(theta, phi, masses, inputs["m_W"])


def lq_point_params(point: dict, inputs: dict) -> dict:
    """The params pytree of a resolved LQ [point]."""
    params = {name: np.asarray(point[name]) + 1j * np.asarray(point[f"{name}_im"]) for name in ("fR", "fL", "yR", "yL")}
    params["M_R2"] = np.float64(point["M_R2"])
    params["M_S1"] = np.float64(point["M_S1"])
    if "m0I0" in point:
        params["m0I0"] = np.float64(point["m0I0"])
    else:
        masses = tuple(point[k] for k in ("M1", "M2", "M3", "M4"))
        params["m0I0"] = np.float64(m0i0_from_masses(point["theta"], point["phi"], masses, inputs))
    return params


def point_params(card: dict, inputs: dict) -> dict:
    """The params pytree of the card's [point] for its model."""
    if card["model"] == "lq":
        return lq_point_params(card["point"], inputs)
    from flavorscan.kernels.zprime.models import make_params

    point = card["point"]
    return make_params(point["charges"], point["g_X"], point["m_Zp"], point["epsilon"], g_bs_L=point["g_bs"])


def parameter_columns(model_name: str, params) -> dict:
    if model_name == "lq":
        return lq_columns_from_params(params)
    return zprime_columns_from_params(params)


I0_PARAMETERS = ("theta", "phi", "M1", "M2", "M3", "M4")


def dm3l_targets(measurements: str) -> tuple[float, float]:
    """Best-fit Delta m^2_3l of the set for (normal, inverted) ordering, used by mass_scale = "dm3l"."""
    spec = constants.measurement_set(measurements)["constraint"]["dm3l_sq"]
    return spec["no_best"], spec["io_best"]


def make_point_function(card: dict, inputs: dict):
    """params -> {column: scalar} for one point (parameters, observables, constraints).

    LQ scans may give (theta, phi, M1..M4) instead of m0I0 (m0I0 is then computed, and the six values
    are kept as columns), or ask for mass_scale = "dm3l": the point is evaluated at m0I0 = 1 and m0I0 is
    set to the factor that puts |dm3l_sq| on the set's best fit for the point's ordering.
    """
    physics = get_model(card["model"])
    constraints = ConstraintSet(card)
    inputs = {k: jnp.asarray(v) for k, v in inputs.items()}
    fix_scale = card["model"] == "lq" and card.get("scan", {}).get("mass_scale") == "dm3l" and "point" not in card
    targets = dm3l_targets(card["measurements"]) if fix_scale else None

    def point_function(params):
        params = dict(params)
        extras = {k: params.pop(k) for k in I0_PARAMETERS if k in params}
        if extras:
            masses = tuple(extras[k] for k in ("M1", "M2", "M3", "M4"))
            params["m0I0"] = m0i0_from_masses(extras["theta"], extras["phi"], masses, inputs)
        if fix_scale:
            params["m0I0"] = jnp.ones_like(params["M_R2"])
        observables = physics.evaluate(params, inputs)
        if fix_scale:
            target = jnp.where(observables["ordering"] > 0.5, abs(targets[1]), abs(targets[0]))
            factor = jnp.sqrt(target / jnp.abs(observables["dm3l_sq"]))
            observables = rescale_mass_scale(observables, factor)
            params["m0I0"] = factor
        columns = dict(parameter_columns(card["model"], params))
        columns.update(extras)
        columns.update(observables)
        columns.update(constraints.evaluate(columns))
        return columns

    point_function.constraints = constraints
    point_function.model = physics
    return point_function
