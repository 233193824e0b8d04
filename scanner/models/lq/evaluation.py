"""Leptoquark points as the scanner sees them: kernel inputs, parameter columns, the one-point evaluator.

Parameter columns: ``M_R2``, ``M_S1``, ``m0I0`` and every coupling entry (real part ``fR_ce``, imaginary part
``fR_ce_im``, ...); an I0 scan also stores ``theta``, ``phi``, ``M1``..``M4``. Two ways of fixing m0I0 are
handled here, before and after the kernels:

- I0 scans give (theta, phi, M1..M4); m0I0 = m0 I0 follows from letter Eqs. (3)-(5) with the card's m_t.
- ``mass_scale = "dm3l"``: the texture is evaluated at m0I0 = 1 and m0I0 is then set to the factor that puts
  |dm3l_sq| on the set's best fit for the point's ordering (M_nu is linear in m0I0, so masses scale by the
  factor and squared splittings by its square; angles and phases do not change).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels import constants
from flavorscan.kernels.leptoquark import leptoquark_observables
from flavorscan.kernels.names import COUPLINGS, I0_PARAMETERS, LEPTONS, QUARKS, coupling_entry
from flavorscan.kernels.neutrino import loop_integral_i0, m0_prefactor, rescale_mass_scale
from flavorscan.kernels.observable import Observable
from flavorscan.scanner.errors import UserError

CONVENTIONS = ("nu_term_signs", "nu_quark_masses", "loop_quark_masses")
SCALARS = ("M_R2", "M_S1", "m0I0")


def _parameters() -> tuple[Observable, ...]:
    entries = [
        Observable("M_R2", "GeV", "R2 leptoquark mass"),
        Observable("M_S1", "GeV", "S1 leptoquark mass"),
        Observable("m0I0", "GeV", "overall neutrino-mass scale m0 I0 of letter Eq. (3)"),
    ]
    for matrix in COUPLINGS:
        for i, quark in enumerate(QUARKS):
            for j, lepton in enumerate(LEPTONS):
                name = coupling_entry(matrix, i, j)
                entries.append(Observable(name, "", f"Re {matrix}[{quark},{lepton}]"))
                entries.append(Observable(f"{name}_im", "", f"Im {matrix}[{quark},{lepton}]"))
    return tuple(entries)


PARAMETERS = _parameters()
I0_COLUMNS = (
    Observable("theta", "rad", "charge-1/3 scalar mixing angle (I0 scans)"),
    Observable("phi", "rad", "charge-2/3 scalar mixing angle (I0 scans)"),
    *(Observable(f"M{k}", "GeV", f"scalar mass M{k} of letter Eq. (5) (I0 scans)") for k in range(1, 5)),
)


def stored_parameters(card: dict) -> tuple[Observable, ...]:
    """The parameter columns of the card's rows: an I0 scan adds theta, phi, M1..M4."""
    return PARAMETERS + (I0_COLUMNS if "I0" in card.get("scan", {}) else ())


def conventions(card: dict) -> dict:
    """The convention keys (term signs, quark-mass scales) of the card's [point] or [scan]."""
    section = card.get("point") or card.get("scan")
    return {k: section[k] for k in CONVENTIONS}


def inputs(card: dict) -> dict:
    """The kernels' inputs pytree of a leptoquark card (float64 numpy leaves)."""
    return constants.base_inputs(card["measurements"], ckm=card["likelihood"]["inputs"]["ckm"], **conventions(card))


def m0i0_from_masses(theta, phi, masses, kernel_inputs):
    """m0 I0 from the scalar mixing angles and masses (letter Eqs. 3-5), with the card's m_t."""
    return (m0_prefactor(kernel_inputs["g"], kernel_inputs["m_up_nu"][2])
            * loop_integral_i0(theta, phi, masses, kernel_inputs["m_W"]))


def point_params(point: dict, kernel_inputs: dict) -> dict:
    """The params pytree of a resolved leptoquark [point]."""
    params = {name: np.asarray(point[name]) + 1j * np.asarray(point[f"{name}_im"]) for name in COUPLINGS}
    params["M_R2"] = np.float64(point["M_R2"])
    params["M_S1"] = np.float64(point["M_S1"])
    if "m0I0" in point:
        params["m0I0"] = np.float64(point["m0I0"])
    else:
        masses = tuple(np.float64(point[k]) for k in ("M1", "M2", "M3", "M4"))
        params["m0I0"] = np.float64(m0i0_from_masses(np.float64(point["theta"]), np.float64(point["phi"]), masses,
                                                     kernel_inputs))
    return params


def columns_from_params(params) -> dict:
    """Flatten a (batched) params pytree into the named real parameter columns."""
    columns = {k: params[k] for k in SCALARS}
    for matrix in COUPLINGS:
        values = params[matrix]
        for i in range(3):
            for j in range(3):
                name = coupling_entry(matrix, i, j)
                columns[name] = jnp.real(values[..., i, j])
                columns[f"{name}_im"] = jnp.imag(values[..., i, j])
    return columns


def params_from_columns(card: dict, columns) -> dict:
    """The params (numpy, batch axis first) of stored rows; an I0 scan's rows also give theta..M4."""
    columns = {k: np.asarray(v) for k, v in columns.items()}
    params = {k: columns[k] for k in SCALARS}
    for matrix in COUPLINGS:
        entries = [[columns[coupling_entry(matrix, i, j)] + 1j * columns[f"{coupling_entry(matrix, i, j)}_im"]
                    for j in range(3)] for i in range(3)]
        params[matrix] = np.stack([np.stack(row, axis=-1) for row in entries], axis=-2)
    if "I0" in card.get("scan", {}):
        for name in I0_PARAMETERS:
            if name not in columns:
                raise UserError(f"run rows have no column {name!r} (needed to refine an I0 scan)")
            params[name] = columns[name]
    return params


def point_from_columns(card: dict, row) -> dict:
    """A resolved [point] reproducing one stored row: its masses, stored m0I0 and couplings, the card's
    conventions (the row's m0I0 is the value its observables were computed with, however the scan set it)."""
    point = {k: float(row[k]) for k in SCALARS}
    point.update(conventions(card))
    for matrix in COUPLINGS:
        point[matrix] = [[float(row[coupling_entry(matrix, i, j)]) for j in range(3)] for i in range(3)]
        point[f"{matrix}_im"] = [[float(row[f"{coupling_entry(matrix, i, j)}_im"]) for j in range(3)] for i in range(3)]
    return point


def dm3l_targets(card: dict) -> tuple[float, float]:
    """Best-fit Delta m^2_3l of the card's likelihood for (normal, inverted) ordering, used by
    mass_scale = "dm3l" (the dm3l_sq entry of the set, or of the user's measurement file)."""
    spec = card["likelihood"]["inputs"]["entries"]["dm3l_sq"]
    return spec["no_best"], spec["io_best"]


def fixes_mass_scale(card: dict) -> bool:
    """Whether the card's scan fixes m0I0 from |dm3l_sq| (mass_scale = "dm3l")."""
    return "point" not in card and card.get("scan", {}).get("mass_scale") == "dm3l"


def make_evaluator(card: dict, kernel_inputs: dict):
    """Traced f(params) -> (parameter columns, observables) of one leptoquark point (module docstring)."""
    kernel_inputs = {k: jnp.asarray(v) for k, v in kernel_inputs.items()}
    fix_scale = fixes_mass_scale(card)
    targets = dm3l_targets(card) if fix_scale else None

    def evaluate(params):
        params = dict(params)
        extras = {k: params.pop(k) for k in I0_PARAMETERS if k in params}
        if extras:
            masses = tuple(extras[k] for k in ("M1", "M2", "M3", "M4"))
            params["m0I0"] = m0i0_from_masses(extras["theta"], extras["phi"], masses, kernel_inputs)
        if fix_scale:
            params["m0I0"] = jnp.ones_like(params["M_R2"])
        observables = leptoquark_observables(params, kernel_inputs)
        if fix_scale:
            target = jnp.where(observables["ordering"] > 0.5, abs(targets[1]), abs(targets[0]))
            factor = jnp.sqrt(target / jnp.abs(observables["dm3l_sq"]))
            observables = rescale_mass_scale(observables, factor)
            params["m0I0"] = factor
        columns = columns_from_params(params)
        columns.update(extras)
        return columns, observables

    return evaluate
