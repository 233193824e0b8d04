"""S1 + R2 (+ xi) leptoquark model: every observable of one point (Julio, Saad, Thapa 2022).

Params pytree of one point: ``fR``, ``fL``, ``yR``, ``yL`` (complex 3x3, rows u, c, t; columns e, mu, tau; see
:mod:`flavorscan.kernels.names`), ``M_R2``, ``M_S1`` [GeV] and ``m0I0`` [GeV] (the overall scale of the
neutrino mass matrix, letter Eq. 3). Inputs: :func:`flavorscan.kernels.constants.base_inputs`.

The observables come in topic groups (one module each); :data:`GROUPS` lists them with their functions and
:func:`leptoquark_observables` evaluates them all. The one-loop pieces that several groups need (loop functions,
f-hat^R, y-hat^L: :func:`kernels.leptoquark.context.loop_context`; the dipole coefficients:
:func:`kernels.leptoquark.dipoles.dipole_pieces`) are evaluated once there and handed to the groups that use them;
each group function also works on its own, ``function(params, inputs)``.
"""

from __future__ import annotations

from flavorscan.kernels import neutrino
from flavorscan.kernels.leptoquark import (
    bctaunu, bounds, bsll, conversion, dipoles, firstgen, lfv, lhc, mixing, neutral, zdecay,
)
from flavorscan.kernels.leptoquark.context import loop_context

GROUPS = (
    (neutrino.OBSERVABLES, neutrino.neutrino_observables),
    (dipoles.OBSERVABLES, dipoles.dipole_observables),
    (conversion.OBSERVABLES, conversion.conversion_observables),
    (zdecay.OBSERVABLES, zdecay.zdecay_observables),
    (bsll.OBSERVABLES, bsll.bsll_observables),
    (bctaunu.OBSERVABLES, bctaunu.bctaunu_observables),
    (neutral.OBSERVABLES, neutral.neutral_observables),
    (mixing.OBSERVABLES, mixing.mixing_observables),
    (firstgen.OBSERVABLES, firstgen.firstgen_observables),
    (lfv.OBSERVABLES, lfv.lfv_observables),
    (bounds.OBSERVABLES, bounds.bound_observables),
    (lhc.OBSERVABLES, lhc.lhc_observables),
)
"""(observable records, function(params, inputs) -> {name: value}) per topic."""

OBSERVABLES = tuple(o for group, _ in GROUPS for o in group)


def leptoquark_observables(params, inputs) -> dict:
    """Every leptoquark observable of one point, as {name: real scalar}."""
    context = loop_context(params, inputs)
    dipole_pieces = dipoles.dipole_pieces(params, inputs, context)
    shared = {  # the groups that take the shared one-loop pieces (same values as computing them per group)
        dipoles.dipole_observables: {"pieces": dipole_pieces},
        zdecay.zdecay_observables: {"context": context},
        lfv.lfv_observables: {"context": context, "dipoles": dipole_pieces},
    }
    out = {}
    for _, function in GROUPS:
        out.update(function(params, inputs, **shared.get(function, {})))
    return out
