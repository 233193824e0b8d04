"""The numbers behind the figures, on synthetic inputs (no scan): automatic axis scales (symlog for
sign-changing, heavy-tailed values), clipped colour scales, Δχ² levels and their labels, the geometry of
measurement bands and ellipses and the measurements read from a run's card. Figures of real runs:
tests/scanner/test_plots.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots import binning, levels


def test_axis_scale_symlog_for_sign_changing_heavy_tails():
    rng = np.random.default_rng(1)
    # the trident-ratio case: most |values| tiny, a tail of negative ones down to -44
    tail = np.concatenate([rng.uniform(1e-12, 1e-9, 9000), -10.0 ** rng.uniform(-6, math.log10(44), 1000)])
    scale = binning.axis_scale(tail, None)
    assert scale.kind == "symlog"
    low = np.quantile(np.abs(tail), binning.SYMLOG_QUANTILE)
    assert scale.linthresh <= low < 10 * scale.linthresh  # the power of ten at or below the quantile
    assert math.log10(scale.linthresh) == int(math.log10(scale.linthresh))
    # zeros next to values over decades: a log axis cannot show them
    assert binning.axis_scale(np.r_[np.zeros(5), np.logspace(-8, 0, 50)], None).kind == "symlog"
    # sign-changing but no heavy tail, and plain cases
    assert binning.axis_scale(rng.uniform(-1, 1, 1000), None).kind == "linear"
    assert binning.axis_scale(rng.normal(size=1000), None).kind == "linear"
    assert binning.axis_scale(np.logspace(-5, 0, 100), None) == binning.LOG
    assert binning.axis_scale(np.linspace(1, 5, 100), None) == binning.LINEAR
    # --logx / --linx win
    assert binning.axis_scale(tail, False) == binning.LINEAR
    assert binning.axis_scale(tail, True) == binning.LOG


def test_symlog_bin_edges_cover_both_signs():
    values = np.r_[-np.logspace(-3, 1, 50), np.logspace(-9, -1, 50)]
    scale = binning.Scale("symlog", 1e-9)
    edges = binning.scale_edges(values, scale, 40)
    assert len(edges) == 41 and np.all(np.diff(edges) > 0)
    assert edges[0] < values.min() and edges[-1] > values.max()


def test_color_limits_clip_chi2_and_columns():
    chi2 = np.r_[np.linspace(3.0, 40.0, 900), 10.0 ** np.linspace(5, 24, 100)]
    lo, hi, log, extend = binning.color_limits(chi2, chi2=True)
    assert (lo, hi, log, extend) == (3.0, 3.0 + binning.CHI2_COLOR_SPAN, False, "max")
    # a narrow χ² range is shown whole, without arrows
    assert binning.color_limits(np.linspace(2.0, 9.0, 50), chi2=True) == (2.0, 9.0, False, "neither")
    # any other column: between the 1% and 99% quantiles, log when they are a factor > 100 apart
    v = np.r_[-1e6, np.logspace(-3, 3, 998), 1e30]
    lo, hi, log, extend = binning.color_limits(v)
    assert (lo, hi) == tuple(np.quantile(v, binning.COLOR_QUANTILES)) and log and extend == "both"
    assert binning.color_limits(np.full(10, 4.0)) == (3.5, 4.5, False, "neither")
    assert binning.color_limits(np.array([np.nan])) == (0.0, 1.0, False, "neither")


def test_dchi2_levels_are_chi2_quantiles():
    # 2 parameters: P(Δχ² <= x) = 1 - exp(-x/2), so the level of p is -2 ln(1 - p)
    for p in (0.6827, 0.9545, 0.9973, 0.95):
        (two,) = levels.dchi2_levels([p], 2)
        assert two == pytest.approx(-2.0 * math.log(1.0 - p), rel=1e-10)
        # 1 parameter: P(Δχ² <= n²) = erf(n / sqrt 2)
        (one,) = levels.dchi2_levels([p], 1)
        assert math.erf(math.sqrt(one / 2.0)) == pytest.approx(p, abs=1e-12)
    assert levels.dchi2_levels(levels.DEFAULT_CL, 1) == pytest.approx([1.0, 4.0], abs=2e-3)
    assert levels.dchi2_levels(levels.DEFAULT_CL, 2) == pytest.approx([2.30, 6.18], abs=5e-3)


def test_cl_labels_and_parsing():
    assert [levels.cl_label(p) for p in (0.6827, 0.9545, 0.9973)] == ["68.27 % (1σ)", "95.45 % (2σ)", "99.73 % (3σ)"]
    assert levels.cl_label(0.95) == "95 %" and levels.cl_label(0.9) == "90 %"
    # levels close to 1 or 0 keep the digits that tell them from 100 % and 0 % (they once read "100 % (5σ)")
    assert levels.cl_label(0.9999994267) == "99.9999 % (5σ)" and levels.cl_label(0.99999) == "99.999 %"
    assert levels.cl_label(1e-5) == "0.001 %" and levels.cl_label(1e-20) == "1e-18 %"
    assert levels.parse_cl("0.9545, 0.6827,0.9545") == (0.6827, 0.9545)
    for bad in ("1.2", "0", "a,b", "0.5,", "0.1,0.2,0.3,0.4,0.5"):
        with pytest.raises(UserError) as exc:
            levels.parse_cl(bad)
        assert "--cl" in str(exc.value) and "\n" not in str(exc.value)


def test_ellipse_extremes_match_the_covariance():
    from flavorscan.scanner.plots.measurements import ellipse

    cov = np.array([[0.03**2, -0.38 * 0.03 * 0.015], [-0.38 * 0.03 * 0.015, 0.015**2]])
    centre = np.array([0.34, 0.295])
    eigenvalues = np.linalg.eigvalsh(cov)
    for dchi2 in (2.2957, 6.1801):
        pts = ellipse(centre, cov, dchi2, n=4001)
        d = pts - centre
        # every point on the contour Δχ² = dchi2 ...
        q = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
        assert np.allclose(q, dchi2, rtol=1e-9)
        # ... the farthest and nearest points at sqrt(dchi2 x eigenvalue) along the axes
        r = np.hypot(d[:, 0], d[:, 1])
        assert r.max() == pytest.approx(math.sqrt(dchi2 * eigenvalues.max()), rel=1e-6)
        assert r.min() == pytest.approx(math.sqrt(dchi2 * eigenvalues.min()), rel=1e-6)
        # the extent along x is sqrt(dchi2) sigma_x (the 1-parameter projection)
        assert d[:, 0].max() == pytest.approx(math.sqrt(dchi2) * 0.03, rel=1e-6)


class _Run:
    """The part of a RunData that measurements read: the card, the columns."""

    def __init__(self, card, columns):
        self.card, self.columns = card, list(columns)

    def has(self, name):
        return name in self.columns

    def get(self, name):
        return np.zeros(3)


def _lq_card(enabled):
    from flavorscan.scanner import models
    from flavorscan.scanner.likelihood import resolve_likelihood

    settings = {"enabled": enabled, "disabled": []}
    return {"model": "lq", "measurements": "paper2022",
            "likelihood": resolve_likelihood(models.get("lq"), "paper2022", settings)}


def test_measurements_of_the_run_set():
    from flavorscan.scanner.plots.measurements import band, correlation, covariance, measurement

    run = _Run(_lq_card(["r_d", "br_mu_e_gamma", "dgamma_z_tautau_rel"]), ["r_d", "r_dstar", "s12_sq"])
    rd = measurement(run, "r_d")
    assert rd.kind == "gaussian" and rd.centre == 0.34
    assert rd.sigma_lo == rd.sigma_hi == pytest.approx(math.hypot(0.03, 0.003))  # theory in quadrature
    # r_dstar is not enabled in this run: the set's entry, and the set's correlation with r_d
    rds = measurement(run, "r_dstar")
    assert rds.centre == 0.295 and correlation(run, rd, rds) == -0.38
    cov = covariance(rd, rds, -0.38)
    assert cov[0, 1] == pytest.approx(-0.38 * math.hypot(0.03, 0.003) * math.hypot(0.014, 0.005))
    lo, hi = band(rd, 0.9545)
    assert (lo, hi) == pytest.approx((0.34 - 2 * rd.sigma_lo, 0.34 + 2 * rd.sigma_hi), rel=1e-4)
    # an oscillation parameter: the best fit, 3 sigma half-ranges / 3
    s12 = measurement(run, "s12_sq")
    assert (s12.centre, s12.sigma_lo, s12.sigma_hi) == pytest.approx((0.304, 0.035 / 3, 0.039 / 3))
    # a limit; a prediction mapping undone (measured = offset + scale x observable)
    assert measurement(run, "br_mu_e_gamma")[:3] == ("br_mu_e_gamma", "upper", 4.2e-13)
    z = measurement(run, "dgamma_z_tautau_rel")
    assert z.centre == pytest.approx((84.08 - 83.77) / 83.77)
    assert z.sigma_lo == pytest.approx(math.hypot(0.22, 0.015) / 83.77)
    # mass-scaled limits have no single line; unknown observables have nothing
    assert measurement(run, "bound_kl_ee") is None and measurement(run, "M_R2") is None


def test_draw_ellipse_and_bands():
    from flavorscan.scanner.plots.canvas import new_figure
    from flavorscan.scanner.plots.measurements import draw

    run = _Run(_lq_card(["r_d", "r_dstar"]), ["r_d", "r_dstar", "delta_a_mu", "M_R2"])
    fig = new_figure()
    ax = fig.add_subplot()
    handles = draw(ax, run, "r_d", "r_dstar", levels.DEFAULT_CL)
    assert len(handles) == 1 and "ρ = -0.38" in handles[0].get_label()
    fills = [p for p in ax.patches if p.get_path().vertices.shape[0] > 100]
    assert len(fills) == 2  # one ellipse per confidence level
    widest = max(np.ptp(p.get_path().vertices[:, 0]) for p in fills)
    sigma = math.hypot(0.03, 0.003)
    assert widest == pytest.approx(2 * math.sqrt(levels.chi2_ppf(0.9545, 2)) * sigma, rel=1e-3)
    # one measured axis: a band per level; an unmeasured one: nothing
    fig = new_figure()
    ax = fig.add_subplot()
    handles = draw(ax, run, "delta_a_mu", "M_R2", levels.DEFAULT_CL)
    assert len(handles) == 1 and "68.27 % (1σ), 95.45 % (2σ)" in handles[0].get_label()
    spans = sorted(p.get_width() for p in ax.patches)  # axvspan rectangles, in data units along x
    assert spans == pytest.approx([2 * 59e-11, 4 * 59e-11], rel=1e-3)


@pytest.mark.parametrize("fraction, significant, text", [
    (0.9996, 3, "99.96"),        # "%.3g" would say 100 for a constraint that 4 in 10,000 points fail
    (0.000785, 3, "0.0785"),     # three significant digits where they suffice
    (0.0531, 3, "5.31"),
    (1.0, 3, "100"), (0.0, 3, "0"),  # exactly all or none
    (0.6827, None, "68.27"),     # CL labels: at least two decimals
    (0.9999994, None, "99.9999"),
])
def test_percent_is_never_rounded_to_all_or_none(fraction, significant, text):
    assert levels.percent(fraction, significant) == text
