"""Ready-made settings of the leptoquark model: benchmark cards, plots, report panels, profiling stages."""

from __future__ import annotations

from flavorscan.scanner.models.spec import Benchmark, PlotPreset, Presets

LQ_COUPLING = {"probability": 1.0, "magnitude": [1e-4, 1.0], "phase": "uniform"}
BENCH_SCAN = {
    "seed": 0,
    "keep": "viable",
    "nu_term_signs": [1, -1, -1],
    "M_R2": {"range": [1000.0, 3000.0], "prior": "uniform"},
    "M_S1": {"range": [1000.0, 3000.0], "prior": "uniform"},
    "m0I0": {"range": [1e-8, 1e-5], "prior": "log"},
    "fR": dict(LQ_COUPLING),
    "fL": dict(LQ_COUPLING),
    "yR": dict(LQ_COUPLING),
    "yL": dict(LQ_COUPLING),
}
"""The fixed [scan] of ``flavorscan bench --model lq``: the work is fixed so that figures compare across
versions, machines and against the plain numpy implementation in scripts/numpy_baseline.py: all 36 complex
coupling entries sampled (|entry| log-uniform in [1e-4, 1], phase uniform), M_R2, M_S1 uniform in [1, 3] TeV,
m0I0 log-uniform in [1e-8, 1e-5] GeV, nu_term_signs = (+1, -1, -1), measurement set "paper2022" with all its
default constraints, keep = "viable"."""

YIELD_CARD = "flavorscan.scanner.models.lq/yield_lq_paper2022.toml"
"""Default card of ``flavorscan bench --model lq-yield`` (models/lq/cards/ in the package): the full
default paper2022 constraint set; a box prior around one viable real texture (TX-I zero pattern plus yL_ctau,
yL_ttau), each non-zero |coupling| and m0I0 log-uniform within a factor 1.18 of the centre, signs fixed,
M_R2 and M_S1 within +-4 %; 128 refinement seeds per 8192-point chunk, at most 100 Adam steps. Plain random
sampling finds viable points here at a small but measurable rate (~2e-5 of the points), so both rates are
measured; for the wide lq bench prior neither method finds any (docs/refinement.md)."""


def _yield(options) -> dict:
    from flavorscan.scanner.bench.yields import bench_yield

    return bench_yield(options, model="lq", default_card=YIELD_CARD)


DISCOVER_CARD = "flavorscan.scanner.models.lq/discover_wide.toml"
"""The wide prior of ``flavorscan bench --model lq-discover`` (models/lq/cards/ in the package)."""


def _discovery(options) -> dict:
    from flavorscan.scanner.bench.discovery import bench_discovery

    return bench_discovery(options, model="lq", default_card=DISCOVER_CARD)


def _coupling_planes(data, out, **options):
    from flavorscan.scanner.models.lq.plots import coupling_planes

    return coupling_planes(data, out, **options)


def _takagi(params, kernel_inputs):
    from flavorscan.kernels import linalg, neutrino

    return linalg.takagi(neutrino.mass_matrix(params, kernel_inputs))


def _profile_stages() -> dict:
    """Every observable group of the kernels on its own, and the Takagi factorisation inside the neutrino group."""
    from flavorscan.kernels.leptoquark import GROUPS

    stages = {function.__name__: function for _, function in GROUPS}
    stages["takagi (inside neutrino_observables)"] = _takagi
    return stages


PRESETS = Presets(
    bench_scan=BENCH_SCAN,
    plots=(
        PlotPreset("lq-couplings", "|coupling| planes of the viable points, coloured by chi2_total (the letter's "
                   "Figs. 3-4)", _coupling_planes, axes=None,
                   report_caption="|coupling| planes of the viable points, coloured by chi2_total."),
    ),
    report_planes=(("r_d", "r_dstar"), ("r_k", "r_kstar"), ("delta_a_mu", "delta_a_e"), ("dm21_sq", "s12_sq")),
    profile_columns=("M_R2", "M_S1", "m0I0"),
    benchmarks=(
        Benchmark("lq-yield", "viable points per second: random sampling vs sampling + refinement, same card",
                  _yield, frozenset({"card", "seconds_budget"})),
        Benchmark("lq-discover", "discovery from the wide prior: time to the first viable point, viable points and "
                  "families per CPU-minute, for each measurement set", _discovery,
                  frozenset({"card", "seconds_budget"})),
    ),
    profile_stages=_profile_stages(),
)
