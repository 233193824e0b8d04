"""Light Z' of an anomaly-free U(1)_X (Greljo, Soreq, Stangl, Thomsen, Zupan 2021) as a scanner model:
``model = "zprime"``.

Physics: :mod:`flavorscan.kernels.zprime` and the charge catalog :mod:`flavorscan.kernels.charges`. This
package holds the card vocabulary (:mod:`.card`), the sampler (:mod:`.sampling`), columns and the one-point
evaluator (:mod:`.evaluation`), the per-model summary (:mod:`.summary`), plots (:mod:`.plots`) and presets.
Refinement moves g_X and m_Zp in log space and epsilon and g_bs linearly (the charges stay fixed).
"""

from flavorscan.kernels.zprime import OBSERVABLES
from flavorscan.scanner.models.scalars import Scalar, scalar_parametrisation
from flavorscan.scanner.models.spec import ModelSpec
from flavorscan.scanner.models.zprime import card, evaluation, sampling
from flavorscan.scanner.models.zprime.presets import PRESETS

SCALARS = (
    Scalar("g_X", "g_X", log=True, coupling=True),
    Scalar("m_Zp", "m_Zp", log=True),
    Scalar("epsilon", "epsilon", log=False),
    Scalar("g_bs_L", "g_bs", log=False),
)


def parametrisation(resolved_card: dict):
    return scalar_parametrisation(SCALARS, groups={"couplings": ("g_X", "epsilon", "g_bs"), "masses": ("m_Zp",)},
                                  frozen={"epsilon": "epsilon_loop"})


NOT_DEFAULT = frozenset({"delta_a_e"})
"""Constraints of the sets that apply to a Z' but are left out of ``enabled = "default"``: Δa_e (Cs) is a
Gaussian whose 2σ window excludes zero in both sets, so no muonic force passes it (a card can still enable it by
name). docs/zprime-scans.md lists the default set."""

SPEC = ModelSpec(
    name="zprime",
    description="light Z' of an anomaly-free U(1)_X: g-2, trident, BaBar/Belle II/NA64mu, Delta N_eff, NSI, Borexino, B -> K Z' (Greljo et al. 2021)",
    parameters=evaluation.PARAMETERS,
    stored_parameters=lambda resolved_card: evaluation.PARAMETERS,
    observables=OBSERVABLES,
    point_keys=card.POINT_KEYS,
    resolve_point=card.resolve_point,
    scan_keys=card.SCAN_KEYS,
    resolve_scan=card.resolve_scan,
    inputs=evaluation.inputs,
    point_params=evaluation.point_params,
    sample=sampling.sample,
    make_evaluator=evaluation.make_evaluator,
    params_from_columns=evaluation.params_from_columns,
    point_from_columns=evaluation.point_from_columns,
    parametrisation=parametrisation,
    presets=PRESETS,
    table_keys={"range tables of [scan] g_X, m_Zp, epsilon, g_bs": card.RANGE_KEYS},
    not_default=NOT_DEFAULT,
)
