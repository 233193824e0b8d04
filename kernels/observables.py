"""The registry of observables: for each model, every observable's name, unit, description and the
pure function of one point that computes it.

Names are those of shared/physics/interface.md; HDF5 columns, JSON keys, card constraints and plot axes
all use them. A model's ``evaluate(params, inputs)`` returns {name: real scalar} for every registered
observable and is what the scanner vmaps and jits.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from flavorscan.kernels import neutrino
from flavorscan.kernels.leptoquark import bctaunu, bounds, bsll, conversion, dipoles, neutral, zdecay
from flavorscan.kernels.observable import Observable

LQ_GROUPS = (
    (neutrino.OBSERVABLES, neutrino.neutrino_observables),
    (dipoles.OBSERVABLES, dipoles.dipole_observables),
    (conversion.OBSERVABLES, conversion.conversion_observables),
    (zdecay.OBSERVABLES, zdecay.zdecay_observables),
    (bsll.OBSERVABLES, bsll.bsll_observables),
    (bctaunu.OBSERVABLES, bctaunu.bctaunu_observables),
    (neutral.OBSERVABLES, neutral.neutral_observables),
    (bounds.OBSERVABLES, bounds.bound_observables),
)

QUARKS = ("u", "c", "t")
LEPTONS = ("e", "mu", "tau")
COUPLING_MATRICES = ("fR", "fL", "yR", "yL")


class Model(NamedTuple):
    """A physics model: its parameters (stored columns) and observables, and one-point evaluation."""

    name: str
    parameters: tuple[Observable, ...]
    observables: tuple[Observable, ...]
    evaluate: Callable


def coupling_column(matrix: str, quark: int, lepton: int) -> str:
    """Column name of one coupling entry, e.g. fR_ctau (real part; the imaginary part adds _im)."""
    return f"{matrix}_{QUARKS[quark]}{LEPTONS[lepton]}"


def _lq_parameters() -> tuple[Observable, ...]:
    entries = [
        Observable("M_R2", "GeV", "R2 leptoquark mass"),
        Observable("M_S1", "GeV", "S1 leptoquark mass"),
        Observable("m0I0", "GeV", "overall neutrino-mass scale m0 I0 of letter Eq. (3)"),
    ]
    for matrix in COUPLING_MATRICES:
        for i in range(3):
            for j in range(3):
                name = coupling_column(matrix, i, j)
                entries.append(Observable(name, "", f"Re {matrix}[{QUARKS[i]},{LEPTONS[j]}]"))
                entries.append(Observable(f"{name}_im", "", f"Im {matrix}[{QUARKS[i]},{LEPTONS[j]}]"))
    return tuple(entries)


def lq_evaluate(params, inputs) -> dict:
    """Every leptoquark observable of one point: params {fL, fR, yL, yR (3x3 complex), M_R2, M_S1, m0I0}."""
    out = {}
    for _, function in LQ_GROUPS:
        out.update(function(params, inputs))
    return out


ZPRIME_SCALARS = (
    Observable("g_X", "", "U(1)_X gauge coupling"),
    Observable("m_Zp", "GeV", "Z' mass"),
    Observable("epsilon", "", "kinetic mixing given on the card (used when epsilon_loop = 0)"),
    Observable("epsilon_loop", "", "1 = loop-induced L_mu - L_tau kinetic mixing"),
    Observable("g_bs_L", "", "Z' coupling to s-bar gamma P_L b"),
    Observable("g_bs_R", "", "Z' coupling to s-bar gamma P_R b"),
)
ZPRIME_CHARGES = (("X_q", ("1", "2", "3")), ("X_L", LEPTONS), ("X_E", LEPTONS), ("X_N", LEPTONS))


def _zprime_parameters() -> tuple[Observable, ...]:
    charges = tuple(
        Observable(f"{name}_{label}", "", f"U(1)_X charge {name} of family {label}")
        for name, labels in ZPRIME_CHARGES
        for label in labels
    )
    return ZPRIME_SCALARS + charges


def zprime_columns_from_params(params) -> dict:
    """Flatten a (batched) Z' params pytree into named real columns."""
    columns = {o.name: params[o.name] for o in ZPRIME_SCALARS}
    for name, labels in ZPRIME_CHARGES:
        for k, label in enumerate(labels):
            columns[f"{name}_{label}"] = params[name][..., k]
    return columns


def _zprime_model() -> Model:
    from flavorscan.kernels import zprime

    return Model("zprime", _zprime_parameters(), zprime.OBSERVABLES, zprime.zprime_observables)


def model(name: str) -> Model:
    """The registered model called ``name`` ("lq" or "zprime")."""
    if name == "lq":
        return Model("lq", _lq_parameters(), tuple(o for group, _ in LQ_GROUPS for o in group), lq_evaluate)
    if name == "zprime":
        return _zprime_model()
    raise KeyError(name)


def lq_params_from_columns(columns: dict):
    """Inverse of the column naming: rebuild the params pytree (complex matrices) from stored columns."""
    import jax.numpy as jnp

    params = {k: columns[k] for k in ("M_R2", "M_S1", "m0I0")}
    for matrix in COUPLING_MATRICES:
        rows = []
        for i in range(3):
            rows.append(
                jnp.stack(
                    [columns[coupling_column(matrix, i, j)] + 1j * columns[f"{coupling_column(matrix, i, j)}_im"] for j in range(3)],
                    axis=-1,
                )
            )
        params[matrix] = jnp.stack(rows, axis=-2)
    return params


def lq_columns_from_params(params) -> dict:
    """Flatten a (batched) params pytree into named real columns."""
    import jax.numpy as jnp

    columns = {k: params[k] for k in ("M_R2", "M_S1", "m0I0")}
    for matrix in COUPLING_MATRICES:
        values = params[matrix]
        for i in range(3):
            for j in range(3):
                name = coupling_column(matrix, i, j)
                columns[name] = jnp.real(values[..., i, j])
                columns[f"{name}_im"] = jnp.imag(values[..., i, j])
    return columns
