"""The S1 + R2 (+ xi) leptoquark model (Julio, Saad, Thapa 2022) as a scanner model: ``model = "lq"``.

Physics: :mod:`flavorscan.kernels.leptoquark` and :mod:`flavorscan.kernels.neutrino`. This package holds the
card vocabulary (:mod:`.card`), the sampler (:mod:`.sampling`), columns and the one-point evaluator
(:mod:`.evaluation`), the refinement parametrisation (:mod:`.parametrisation`), plots (:mod:`.plots`) and
presets (:mod:`.presets`).
"""

from flavorscan.kernels.leptoquark import OBSERVABLES
from flavorscan.kernels.names import ENTRY_NAMES
from flavorscan.scanner.models.lq import card, discovery, evaluation, sampling
from flavorscan.scanner.models.lq.parametrisation import parametrisation
from flavorscan.scanner.models.lq.presets import PRESETS
from flavorscan.scanner.models.lq.wilson import wilson_coefficients
from flavorscan.scanner.models.spec import ModelSpec

SPEC = ModelSpec(
    name="lq",
    description="S1 + R2 scalar leptoquarks: two-loop neutrino masses, g-2, LFV, b-anomalies (Julio, Saad, Thapa 2022)",
    parameters=evaluation.PARAMETERS,
    stored_parameters=evaluation.stored_parameters,
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
    table_keys={"[scan.fR], [scan.fL], [scan.yR], [scan.yL]": card.COUPLING_KEYS},
    texture_columns=tuple(name for entry in ENTRY_NAMES for name in (entry, f"{entry}_im")),
    discovery=discovery.encoding,
    set_entries=("dm3l_sq",),
    wilson_coefficients=wilson_coefficients,
    constraint_aliases={"mass_floor_R2": "bound_mass_r2", "mass_floor_S1": "bound_mass_s1"},
)
