"""Ready-made settings of the Z' model: the benchmark scan, the exclusion plot, report panels."""

from __future__ import annotations

from flavorscan.scanner.models.spec import PlotPreset, Presets

BENCH_SCAN = {
    "seed": 0,
    "keep": "viable",
    "charges": "catalog",
    "mode": "random",
    "g_X": {"range": [1e-5, 1.0], "prior": "log"},
    "m_Zp": {"range": [1e-3, 10.0], "prior": "log"},
    "epsilon": 0.0,
}
"""The fixed [scan] of ``flavorscan bench --model zprime``: every catalog set with a muon assignment (cycled),
g_X log-uniform in [1e-5, 1], m_Zp log-uniform in [1e-3, 10] GeV, no kinetic mixing, paper2022 default
constraints, keep = "viable"."""


def _exclusion(data, out, **options):
    from flavorscan.scanner.models.zprime.plots import exclusion

    return exclusion(data, out, **options)


PRESETS = Presets(
    bench_scan=BENCH_SCAN,
    plots=(
        PlotPreset("zprime", "(m_Zp, g_X) with each constraint's excluded region, the delta_a_mu band and the "
                   "viable points", _exclusion, axes=("m_Zp", "g_X"),
                   report_caption="(m_Z′, g_X): each constraint's excluded region (bins where no stored point "
                                  "passes), the Δa_μ band and the viable points."),
    ),
    report_planes=(("delta_a_mu", "trident_ratio"), ("delta_a_mu", "borexino_ratio")),
    profile_columns=("m_Zp", "g_X", "epsilon"),
)
