"""Plots and reports (scanner.plots, scanner.report, ``flavorscan plot`` / ``report``) drawn from small REAL
runs made with the CLI once per session:

- ``lq_run``: tests/cards/plots_lq.toml, 3000 leptoquark points around TX-I, every row kept (viable and
  failing rows, per-chunk counts);
- ``zp_run``: tests/cards/plots_zprime.toml, runs/zprime_lmutau.toml (L_mu - L_tau) on a 48 x 40 (m_Zp, g_X)
  grid, every row kept;
- ``zp_noviable_run``: tests/cards/plots_zprime_noviable.toml, a random L_mu - L_tau scan with delta_a_e
  enabled, which no point passes: a run with no viable row.

Images are checked for content (size, non-blank, colours) and, through the figure objects, for what is drawn
(points per scatter against the rows, the Z' regions against the rows' pass flags).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from flavorscan.scanner import store  # noqa: E402
from flavorscan.scanner.cli import main  # noqa: E402

CARDS = Path(__file__).resolve().parents[1] / "cards"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "postprocessing.md"


def cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _real_run(tmp_path_factory, card, name):
    out = tmp_path_factory.mktemp(name) / "run"
    code = main(["run", str(CARDS / card), "--out", str(out), "--quiet"])
    assert code == 0, f"flavorscan run {card} failed"
    return out


@pytest.fixture(scope="session")
def lq_run(tmp_path_factory):
    return _real_run(tmp_path_factory, "plots_lq.toml", "lq")


@pytest.fixture(scope="session")
def zp_run(tmp_path_factory):
    return _real_run(tmp_path_factory, "plots_zprime.toml", "zp")


@pytest.fixture(scope="session")
def zp_noviable_run(tmp_path_factory):
    return _real_run(tmp_path_factory, "plots_zprime_noviable.toml", "zpnv")


@pytest.fixture
def figures(monkeypatch):
    """Every figure the plots save during the test, in order (the figure objects themselves)."""
    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig

    def savefig(fig, *args, **kwargs):
        saved.append(fig)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return saved


def assert_png(path, min_bytes=8000):
    """A readable PNG with real content: size, several colours, not a blank canvas."""
    from matplotlib import image

    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert len(data) > min_bytes, (path, len(data))
    img = image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 150 and img.shape[1] > 300, img.shape
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05, f"{path} looks blank"
    q = (rgb * 255).astype(np.uint32)
    colours = np.unique(q[:, 0] << 16 | q[:, 1] << 8 | q[:, 2])
    assert colours.size > 50, f"{path} has almost no colours"
    non_white = np.mean(np.any(rgb < 0.95, axis=1))
    assert non_white > 0.03, f"{path}: only {non_white:.1%} of the pixels are drawn"
    return img


def points_drawn(fig) -> int:
    """Number of scatter markers in a figure (all axes)."""
    from matplotlib.collections import PathCollection

    return sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections if isinstance(c, PathCollection))


def labelled_axes(fig):
    """Axes with data (not colour bars) must have both axis labels."""
    out = []
    for ax in fig.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        assert ax.get_xlabel() and ax.get_ylabel(), f"unlabelled axes: {ax.get_title()!r}"
        out.append(ax)
    return out


# --------------------------------------------------------------------------------------------------
# the real runs


def test_real_runs(lq_run, zp_run, zp_noviable_run):
    lq, zp, nv = store.info(lq_run), store.info(zp_run), store.info(zp_noviable_run)
    assert lq["rows"] == 3000 and lq["complete"]
    assert 20 < lq["viable_rows"] < 1500  # viable and failing rows: both kinds of plots have data
    assert zp["rows"] == 48 * 40 and 0 < zp["viable_rows"] < zp["rows"]
    assert nv["rows"] == 1000 and nv["viable_rows"] == 0
    assert nv["counts"]["pass_delta_a_e"] == 0


# --------------------------------------------------------------------------------------------------
# every plot type through the CLI, from the LQ run


@pytest.mark.parametrize(
    "extra, name",
    [
        (["--x", "M_R2", "--y", "abs:yR_ctau"], "scatter_chi2.png"),
        (["--x", "delta_a_mu", "--y", "delta_a_e", "--color", "constraint"], "scatter_constraint.png"),
        (["--x", "abs:fR_ce", "--y", "abs:fR_te", "--color", "M_S1", "--rows", "viable"], "scatter_col.png"),
        (["--x", "M_S1", "--y", "abs:yL_tmu*abs:yR_tmu", "--rows", "viable"], "scatter_product.png"),
    ],
)
def test_scatter_kinds_lq(lq_run, tmp_path, capsys, figures, extra, name):
    from flavorscan.scanner import plots

    out = tmp_path / name
    code, stdout, err = cli(["plot", lq_run, *extra, "-o", out, "--dpi", "80"], capsys)
    assert code == 0, err
    assert str(out) in stdout
    assert_png(out)
    (fig,) = figures
    labelled_axes(fig)
    data = plots.RunData(lq_run)
    rows = "viable" if "viable" in extra else "all"
    assert points_drawn(fig) == int(data.select(rows).sum())  # one marker per selected row, none lost


def test_scatter_constraint_legend_counts(lq_run, tmp_path, figures):
    """--color constraint: the legend's counts are the first failing constraint of every row."""
    from flavorscan.scanner import plots

    data = plots.RunData(lq_run)
    plots.scatter(data, "r_d", "r_dstar", tmp_path / "c.png", color="constraint", dpi=60)
    (fig,) = figures
    legend = fig.axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    counted = [t for t in texts if re.search(r"\((\d+)\)$", t)]
    counts = [int(re.search(r"\((\d+)\)$", t).group(1)) for t in counted]
    assert sum(counts) == data.rows
    cat, names = data.first_failing()
    assert f"viable ({int(data.viable().sum())})" in texts
    assert len(counted) == np.count_nonzero(np.bincount(cat, minlength=len(names)))
    # the R_D-R_D* measurement (correlated: an ellipse) is the one other entry
    assert [t for t in texts if t not in counted] == [
        t for t in texts if "measured (ρ = -0.38)" in t and "95.45 % (2σ)" in t]
    # legend markers have one size, whatever the size of the points drawn
    from flavorscan.scanner.plots.canvas import LEGEND_MARKER_SIZE

    sizes = {h.get_markersize() for h in legend.legend_handles if hasattr(h, "get_markersize")}
    assert sizes == {LEGEND_MARKER_SIZE}
    # the legend sits outside the axes: it never hides points
    fig.canvas.draw()
    legend_box = fig.axes[0].get_legend().get_window_extent()
    assert legend_box.x0 >= fig.axes[0].get_window_extent().x1 - 1


def test_cl_levels_and_labels(lq_run, tmp_path, capsys, figures):
    """--cl: the 1D profile's lines at chi2.ppf(p, 1), the 2D profile's outlines labelled with chi2.ppf(p, 2),
    both labelled with the level (and nσ where it is one)."""
    from scipy.stats import chi2

    code, _, err = cli(["plot", lq_run, "--x", "M_S1", "--cl", "0.9973,0.6827,0.95", "-o", tmp_path / "p.png",
                        "--dpi", "50"], capsys)
    assert code == 0, err
    ax = figures[-1].axes[0]
    lines = sorted(line.get_ydata()[0] for line in ax.lines if len(line.get_ydata()) == 2)
    assert lines == pytest.approx(sorted(chi2.ppf([0.6827, 0.95, 0.9973], 1)))
    assert {t.get_text() for t in ax.texts} == {"68.27 % (1σ)", "95 %", "99.73 % (3σ)"}
    code, _, err = cli(["plot", lq_run, "--x", "r_d", "--y", "r_dstar", "--kind", "profile", "-o",
                        tmp_path / "q.png", "--dpi", "50"], capsys)
    assert code == 0, err
    texts = [t.get_text() for t in figures[-1].legends[0].get_texts()]
    assert any("95.45 % (2σ) CL, 2 parameters" in t and "6.18" in t for t in texts)
    assert any("measured (ρ = -0.38)" in t for t in texts)  # the R_D, R_D* ellipse on the profile


def test_dense_scatter_is_an_image(zp_run, tmp_path, monkeypatch, figures):
    """More points than DENSE_POINTS (here lowered): min χ² per bin as an image, viable bins outlined, no
    markers (tiny markers on a grid alias into stripes); the colour bar is clipped to min + 25."""
    from matplotlib.collections import LineCollection, QuadMesh

    from flavorscan.scanner import plots
    from flavorscan.scanner.plots import figures as figure_module

    monkeypatch.setattr(figure_module, "DENSE_POINTS", 100)
    data = plots.RunData(zp_run)
    plots.scatter(data, "m_Zp", "g_X", tmp_path / "d.png", dpi=50)
    fig = figures[-1]
    ax = fig.axes[0]
    assert points_drawn(fig) == 0
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert mesh.get_array().shape == (40, 48)  # the grid's own cells (g_X rows, m_Zp columns)
    assert any(isinstance(c, LineCollection) for c in ax.collections)  # the viable bins' outline
    chi2 = data.chi2()
    assert mesh.norm.vmin == pytest.approx(np.nanmin(chi2))
    assert mesh.norm.vmax == pytest.approx(min(np.nanmax(chi2), np.nanmin(chi2) + 25.0))


@pytest.mark.parametrize(
    "extra, name",
    [
        (["--x", "abs:yL_tmu", "--y", "abs:yR_tmu", "--kind", "profile"], "profile2d.png"),
        (["--x", "M_S1"], "profile1d.png"),
        (["--x", "abs:yR_tmu"], "profile1d_log.png"),
        (["--x", "m0I0", "--linx"], "profile1d_lin.png"),
    ],
)
def test_profile_kinds_lq(lq_run, tmp_path, capsys, figures, extra, name):
    out = tmp_path / name
    code, _, err = cli(["plot", lq_run, *extra, "-o", out, "--dpi", "80"], capsys)
    assert code == 0, err
    assert_png(out)
    (fig,) = figures
    ax = labelled_axes(fig)[0]
    assert "chi" in ax.get_ylabel() or "chi" in fig.axes[-1].get_ylabel()
    log_x = ax.get_xscale() == "log"
    assert log_x == ("abs:" in extra[1] and "--linx" not in extra)  # couplings over decades: log axes


def test_lq_couplings_preset(lq_run, tmp_path, capsys, figures):
    """The letter's Figs. 3-4 style: |coupling| planes of the viable points on log axes, the Δa_μ pair
    and its product against M_S1 first, the masses last."""
    from flavorscan.scanner import plots

    out = tmp_path / "lq.png"
    code, _, err = cli(["plot", lq_run, "--preset", "lq-couplings", "-o", out, "--dpi", "80"], capsys)
    assert code == 0, err
    assert_png(out, min_bytes=20000)
    (fig,) = figures
    axes = labelled_axes(fig)
    assert len(axes) == 6
    n_viable = int(plots.RunData(lq_run).viable().sum())
    for ax in axes:
        assert points_drawn_ax(ax) == n_viable
    first, second, last = axes[0], axes[1], axes[-1]
    assert "y^L_{t\\mu}" in first.get_xlabel() and "y^R_{t\\mu}" in first.get_ylabel()
    assert first.get_xscale() == first.get_yscale() == "log"
    assert "M_{S_1}" in second.get_xlabel() and second.get_yscale() == "log"
    assert "y^L_{t\\mu}\\,y^R_{t\\mu}" in second.get_ylabel()
    assert "M_{R_2}" in last.get_xlabel() and last.get_xscale() == "linear"
    for ax in axes:  # titles in mathtext: no raw "_" outside $...$
        assert "_" not in re.sub(r"\$[^$]*\$", "", ax.get_title()), ax.get_title()


def points_drawn_ax(ax) -> int:
    from matplotlib.collections import PathCollection

    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def test_constraint_summary_and_corner(lq_run, tmp_path, figures):
    from flavorscan.scanner import plots

    data = plots.RunData(lq_run)
    assert_png(plots.constraint_summary(data, tmp_path / "cs.png", dpi=70))
    path, shown, left = plots.corner(data, tmp_path / "corner.png", max_params=6, dpi=50)
    assert_png(path)
    assert shown[:2] == ["M_R2", "M_S1"]
    # then the couplings scanned over the most decades (here the Delta a_mu pair)
    assert "abs:yL_tmu" in shown and "abs:yR_tmu" in shown
    assert len(shown) == 6 and left
    corner_fig = figures[-1]
    n_viable = int(data.viable().sum())
    assert len(corner_fig.axes) == 6 * 6  # the corner package's grid (upper triangle hidden)
    below = [ax for ax in corner_fig.axes if any(len(line.get_xdata()) == n_viable for line in ax.lines)]
    assert len(below) == 6 * 5 // 2  # every pair of parameters shows every viable point


# --------------------------------------------------------------------------------------------------
# the Z' (m_Zp, g_X) plot from the real L_mu - L_tau grid


def test_zprime_regions_follow_the_rows(zp_run):
    """On a grid (one row per bin) each constraint's excluded bins are exactly the rows failing it, and the
    Δa_μ band exactly the rows passing delta_a_mu; the constraint names are the measurement set's."""
    from flavorscan.scanner import plots
    from flavorscan.scanner.models.zprime.plots import exclusion_regions
    from flavorscan.scanner.plots.binning import bin_index

    data = plots.RunData(zp_run)
    reg = exclusion_regions(data)
    assert reg["logx"] and reg["logy"]
    ex, ey = reg["x_edges"], reg["y_edges"]
    assert (len(ex) - 1, len(ey) - 1) == (48, 40)
    ix = bin_index(data.get("m_Zp"), ex)
    iy = bin_index(data.get("g_X"), ey)
    assert len(set(zip(ix.tolist(), iy.tolist()))) == data.rows  # one row per bin
    assert set(reg["excluded"]) == {"trident_ratio", "borexino_ratio", "bound_babar_4mu", "bound_belle2_inv",
                                    "delta_n_eff"}
    assert set(reg["not_excluding"]) == {"eps_nsi_ee_minus_mumu", "eps_nsi_tautau_minus_mumu", "bound_b_k_inv_babar"}
    for name, bins in reg["excluded"].items():
        np.testing.assert_array_equal(bins[ix, iy], ~np.asarray(data.get(f"pass_{name}"), bool))
    np.testing.assert_array_equal(reg["band"][ix, iy], np.asarray(data.get("pass_delta_a_mu"), bool))
    # the known L_mu - L_tau picture: viable rows inside the band, outside every excluded region,
    # between about 10 and 300 MeV
    viable = data.viable()
    assert np.all(reg["band"][ix[viable], iy[viable]] == 1)
    for bins in reg["excluded"].values():
        assert np.all(bins[ix[viable], iy[viable]] == 0)
    m = data.get("m_Zp")[viable]
    assert 5e-3 < m.min() and m.max() < 0.5


def test_zprime_rows_match_point_evaluation(zp_run, tmp_path, capsys):
    """Two rows of the run (a viable one, one excluded by trident and Borexino) against `flavorscan point`."""
    cols = store.load(zp_run, ["g_X", "m_Zp", "viable", "pass_trident_ratio", "pass_borexino_ratio",
                               "pass_delta_a_mu", "trident_ratio"])
    excluded = ~cols["pass_trident_ratio"] & ~cols["pass_borexino_ratio"]
    for k in (int(np.flatnonzero(cols["viable"])[0]), int(np.flatnonzero(excluded)[0])):
        card = tmp_path / "point.toml"
        card.write_text(
            'model = "zprime"\nmeasurements = "paper2022"\n[point]\ncharges = "Lmu-Ltau"\n'
            f'g_X = {float(cols["g_X"][k])!r}\nm_Zp = {float(cols["m_Zp"][k])!r}\nepsilon = "loop"\n'
            '[constraints]\nenabled = "default"\ndisabled = ["delta_a_e"]\n'
        )
        code, out, err = cli(["point", card, "--json"], capsys)
        assert code == 0, err
        point = json.loads(out)
        assert point["viable"] == bool(cols["viable"][k])
        for name in ("trident_ratio", "borexino_ratio", "delta_a_mu"):
            assert point["constraints"][name]["pass"] == bool(cols[f"pass_{name}"][k]), name
        assert point["observables"]["trident_ratio"] == pytest.approx(cols["trident_ratio"][k], rel=1e-12)


def test_plot_zprime_preset(zp_run, tmp_path, capsys, figures):
    out = tmp_path / "zprime.png"
    code, _, err = cli(["plot", zp_run, "--preset", "zprime", "-o", out, "--dpi", "80"], capsys)
    assert code == 0, err
    img = assert_png(out)
    (fig,) = figures
    ax = labelled_axes(fig)[0]
    assert ax.get_xscale() == ax.get_yscale() == "log" and "GeV" in ax.get_xlabel()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("trident" in t for t in legend) and any("Borexino" in t for t in legend)
    assert any("band" in t for t in legend) and any("viable points" in t for t in legend)
    assert any(t.startswith("no excluded region") for t in legend)
    # shaded regions in colour, and the green band
    rgb = img[..., :3]
    chroma = rgb.max(axis=-1) - rgb.min(axis=-1)
    assert np.mean(chroma > 0.15) > 0.15
    green = (rgb[..., 1] > rgb[..., 0] + 0.1) & (rgb[..., 1] > rgb[..., 2] + 0.1)
    assert np.mean(green) > 0.01
    assert points_drawn(fig) == int(store.info(zp_run)["viable_rows"])


@pytest.mark.parametrize("extra", [["--x", "m_Zp", "--y", "g_X", "--color", "constraint"],
                                   ["--x", "m_Zp", "--y", "g_X", "--kind", "profile"],
                                   ["--x", "g_X"]])
def test_plot_kinds_zprime(zp_run, tmp_path, capsys, figures, extra):
    out = tmp_path / "z.png"
    code, _, err = cli(["plot", zp_run, *extra, "-o", out, "--dpi", "70"], capsys)
    assert code == 0, err
    assert_png(out)
    assert labelled_axes(figures[0])[0].get_xscale() == "log"


def test_zprime_random_run_without_viable_points(zp_noviable_run, tmp_path, figures):
    """A random scan is binned; a constraint that excludes every bin (delta_a_e here) is named, not shaded."""
    from flavorscan.scanner import plots
    from flavorscan.scanner.models.zprime.plots import exclusion_regions

    data = plots.RunData(zp_noviable_run)
    reg = exclusion_regions(data)
    assert reg["everywhere"] == ["delta_a_e"]
    assert {"trident_ratio", "borexino_ratio"} <= set(reg["excluded"])
    assert_png(plots.draw_preset(data, "zprime", tmp_path / "z.png", dpi=70))
    legend = [t.get_text() for t in figures[0].legends[0].get_texts()]
    assert any(t.startswith("excluded everywhere") and "a_e" in t for t in legend)
    assert not any(t.startswith("excluded: ") and "a_e" in t for t in legend)


# --------------------------------------------------------------------------------------------------
# runs whose card the plots cannot take at face value


def _copy_run(src, out, **card_changes):
    """A one-chunk run holding the rows of ``src`` under its card changed by ``card_changes``."""
    card = dict(store.info(src)["card"], **card_changes)
    columns = {k: v for k, v in store.load(src).items() if k != "chunk"}
    with store.RunWriter(out, card) as writer:
        writer.add_chunk(0, columns)
    return out


def test_card_title_with_invalid_mathtext(zp_run, tmp_path, capsys, figures):
    """A card title that is not valid mathtext is drawn as plain text (its $ escaped), never a crash."""
    title = r"TX-I, $\foo$ couplings"
    run = _copy_run(zp_run, tmp_path / "run", title=title)
    code, _, err = cli(["plot", run, "--x", "m_Zp", "--y", "g_X", "-o", tmp_path / "p.png", "--dpi", "60"], capsys)
    assert code == 0, err
    assert_png(tmp_path / "p.png")
    assert r"TX-I, \$\foo\$ couplings" in figures[0].axes[0].get_title()
    code, _, err = cli(["plot", run, "--x", "g_X", "--title", title, "-o", tmp_path / "t.png"], capsys)
    assert code == 0, err
    code, _, err = cli(["report", run, "-o", tmp_path / "rep", "--dpi", "50"], capsys)
    assert code == 0, err
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "TX-I, $\\foo$ couplings" in html and "skipped" not in html
    assert_png(tmp_path / "rep" / "zprime.png")


def test_unregistered_model_plain_labels(zp_run, tmp_path, capsys):
    """A run of a model that is not registered: generic figures with bare column names, a one-line note."""
    run = _copy_run(zp_run, tmp_path / "run", model="no_such_model")
    code, out, err = cli(["plot", run, "--x", "m_Zp", "--y", "g_X", "-o", tmp_path / "p.png", "--dpi", "60"], capsys)
    assert code == 0, err
    assert str(tmp_path / "p.png") in out
    assert err.count("\n") == 1 and "no_such_model" in err and "Traceback" not in err
    code, _, err = cli(["plot", run, "--preset", "zprime", "-o", tmp_path / "z.png"], capsys)
    assert "no_such_model" in _one_line_error(code, err)
    code, _, err = cli(["report", run, "-o", tmp_path / "rep", "--dpi", "50"], capsys)
    assert code == 0, err
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "no_such_model" in html and "constraints.png" in html


# --------------------------------------------------------------------------------------------------
# helpers on real columns


def test_auto_log_axes(lq_run):
    from flavorscan.scanner import plots

    data = plots.RunData(lq_run)
    assert plots.auto_log(data.get("abs:yR_tmu"), "abs:yR_tmu")  # 1e-4 .. 3e-2
    assert plots.auto_log(data.get("abs:fR_ce"), "abs:fR_ce")  # a decade: |coupling| axes log from 1/2
    assert not plots.auto_log(data.get("M_R2"), "M_R2")  # 1 - 3 TeV
    assert not plots.auto_log(data.get("yR_ce"), "yR_ce")  # negative
    assert plots.auto_log(data.get("m0I0"), "m0I0")


def test_binning_grid_and_random():
    from flavorscan.scanner.plots import binning

    grid = np.repeat(np.geomspace(1e-3, 1.0, 7), 5)  # a grid axis: values repeat
    edges = binning.grid_edges(grid, True, 20)
    assert edges.size == 8 and np.all(np.diff(binning.bin_index(np.unique(grid), edges)) == 1)
    rand = np.random.default_rng(1).uniform(1000, 3000, 21)  # few random values: regular bins
    edges = binning.grid_edges(rand, False, 8)
    assert edges.size == 9 and np.allclose(np.diff(edges), np.diff(edges)[0])
    assert binning.auto_bins(4000, 2) == 31 and binning.auto_bins(10, 1) == 8


def test_expressions_and_labels(lq_run):
    from flavorscan.scanner import plots

    data = plots.RunData(lq_run)
    re_, im = data.get("yR_ctau"), data.get("yR_ctau_im")
    np.testing.assert_allclose(data.get("abs:yR_ctau"), np.hypot(re_, im))
    np.testing.assert_allclose(data.get("arg:yR_ce"), np.arctan2(data.get("yR_ce_im"), data.get("yR_ce")))
    np.testing.assert_allclose(data.get("abs:yL_tmu*abs:yR_tmu"),
                               np.abs(data.get("yL_tmu")) * np.abs(data.get("yR_tmu")))
    assert plots.label("abs:fR_ctau") == r"$|f^R_{c\tau}|$"
    assert plots.label("abs:yL_tmu*abs:yR_tmu") == r"$|y^L_{t\mu}\,y^R_{t\mu}|$"
    assert plots.label("yL_tmu_im") == r"Im $y^L_{t\mu}$"
    assert "GeV" in plots.label("M_R2", data.registry)
    assert plots.label("some_new_column") == "some_new_column"  # bare names when nothing is known


def test_profile_uses_limits_rows(lq_run):
    from flavorscan.scanner import plots

    data = plots.RunData(lq_run)
    limits = set(data.limit_constraints())
    assert {"br_mu_e_gamma", "cr_mu_e_au", "bound_mass_s1"} <= limits
    assert not limits & {"delta_a_mu", "r_d", "dm3l_sq"}  # Gaussian: they have a chi2
    mask = data.select("limits")
    assert 0 < mask.sum() < data.rows
    for name in limits:
        assert np.all(np.asarray(data.get(f"pass_{name}"))[mask])
    cat, names = data.first_failing()
    assert names[-2:] == ["viable", "non-finite"]
    assert np.all(cat[data.viable()] == len(names) - 2)


# --------------------------------------------------------------------------------------------------
# report


def _local_refs(html):
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_report_html(lq_run, tmp_path, capsys):
    out = tmp_path / "report"
    code, stdout, err = cli(["report", lq_run, "-o", out, "--dpi", "60"], capsys)
    assert code == 0, err
    index = out / "index.html"
    assert index.is_file() and str(index) in stdout
    html = index.read_text()
    info = store.info(lq_run)
    prov = info["provenance"]
    for text in ("plots test: scan around TX-I", prov["git_commit"], prov["jax_version"], "float64",
                 info["card_hash"], "Pass fractions", "Best points", "point_id", "3000",
                 f"{info['viable_rows']} (", "viable stored rows"):
        assert text in html, text
    for name in info["pass_fractions"]:
        assert f"<td>{name}</td>" in html, name
    # self-contained: every reference is a file next to index.html
    refs = _local_refs(html)
    assert refs and all("/" not in r and (out / r).is_file() for r in refs), refs
    pngs = sorted(out.glob("*.png"))
    names = {p.name for p in pngs}
    assert {"constraints.png", "lq_couplings.png", "profiles.png", "corner.png", "obs_r_d_r_dstar.png"} <= names
    for png in pngs:
        assert png.name in html
        assert_png(png, min_bytes=5000)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 3000 and summary["card"]["model"] == "lq"


def test_report_markdown_zprime(zp_run, tmp_path, capsys):
    out = tmp_path / "zrep"
    code, _, err = cli(["report", zp_run, "-o", out, "--format", "md", "--dpi", "60"], capsys)
    assert code == 0, err
    md = (out / "index.md").read_text()
    figs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert "zprime.png" in figs and "corner.png" in figs and "profiles.png" in figs
    assert all((out / f).is_file() for f in figs)
    assert "| trident_ratio | χ² |" in md and "| bound_b_k_inv_babar | limit |" in md
    assert_png(out / "zprime.png")


def test_report_run_without_viable_points(zp_noviable_run, tmp_path, capsys):
    out = tmp_path / "rep"
    code, _, err = cli(["report", zp_noviable_run, "-o", out, "--dpi", "60"], capsys)
    assert code == 0, err
    html = (out / "index.html").read_text()
    assert "No viable point: none of the 1000 stored rows" in html
    assert "No stored row passes delta_a_e" in html
    assert "all rows (no viable row)" in html  # best points: the lowest chi2 rows instead
    assert "corner.png skipped: no viable points" in html
    assert not (out / "corner.png").exists()
    assert_png(out / "zprime.png")
    assert_png(out / "constraints.png")


# --------------------------------------------------------------------------------------------------
# docs/postprocessing.md: its reading examples run


def _doc_blocks():
    text = DOCS.read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_docs_reading_examples_run(lq_run, tmp_path, monkeypatch):
    pytest.importorskip("pandas")
    import matplotlib

    matplotlib.use("Agg")
    blocks = _doc_blocks()
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run1").symlink_to(lq_run)
    env = {}
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), env)  # noqa: S102 - our own documentation
    # the h5py example rebuilt the columns exactly as store.load reads them
    ref = store.load(lq_run, ["point_id", "M_R2", "chi2_total", "viable"])
    for name, values in ref.items():
        np.testing.assert_array_equal(env["data"][name], values)
    assert len(env["best"]) == 10 and env["best"]["viable"].all()
    assert env["card"]["model"] == "lq"
    # "flavorscan merge DIR -o run1.h5 ... h5py.File("run1.h5")["chi2_total"][:] reads a whole column"
    import h5py

    assert main(["merge", "run1", "-o", "run1.h5"]) == 0
    with h5py.File("run1.h5", "r") as f:
        np.testing.assert_array_equal(f["chi2_total"][:], ref["chi2_total"])


# --------------------------------------------------------------------------------------------------
# errors: one line, exit status 2


def _one_line_error(code, err):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flavorscan: error:"), err
    assert "Traceback" not in err
    return lines[0]


def test_unknown_column_names_close_matches(lq_run, tmp_path, capsys):
    code, _, err = cli(["plot", lq_run, "--x", "M_R3", "--y", "r_d", "-o", tmp_path / "x.png"], capsys)
    line = _one_line_error(code, err)
    assert "M_R3" in line and "M_R2" in line
    code, _, err = cli(["plot", lq_run, "--x", "abs:fR_ctua", "-o", tmp_path / "x.png"], capsys)
    line = _one_line_error(code, err)
    assert "abs:fR_ctau" in line
    code, _, err = cli(["plot", lq_run, "--x", "M_S1", "--y", "abs:yL_tmu*", "-o", tmp_path / "x.png"], capsys)
    assert "empty factor" in _one_line_error(code, err)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "extra",
    [
        ["--y", "r_d"],
        [],
        ["--x", "r_d", "--kind", "scatter"],
        ["--x", "r_d", "--color", "chi2"],
        ["--preset", "lq-couplings", "--x", "r_d"],
        ["--x", "r_d", "--y", "r_k", "--color", "nonexistent"],
        ["--x", "r_d", "--y", "r_k", "-o", "plot.xyz"],
        ["--preset", "zprime"],  # not a preset of the lq model
        ["--x", "M_S1", "--cl", "95"],
        ["--x", "M_S1", "--cl", "0.68,x"],
        ["--preset", "lq-couplings", "--cl", "0.9"],
    ],
)
def test_option_errors(lq_run, tmp_path, capsys, monkeypatch, extra):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["plot", lq_run, *extra], capsys)
    _one_line_error(code, err)


def test_empty_run(tmp_path, capsys):
    empty = tmp_path / "empty"
    card = {"model": "lq", "measurements": "paper2022", "scan": {"seed": 1, "n": 10, "chunk_size": 10}}
    with store.RunWriter(empty, card, {"seed": 1}):
        pass
    code, _, err = cli(["plot", empty, "--x", "M_R2", "-o", tmp_path / "e.png"], capsys)
    assert "no rows" in _one_line_error(code, err)
    code, _, err = cli(["report", empty, "-o", tmp_path / "rep"], capsys)
    assert "no rows" in _one_line_error(code, err)
    code, _, err = cli(["plot", tmp_path / "missing", "--x", "M_R2"], capsys)
    _one_line_error(code, err)


def test_log_axis_without_positive_values_says_so(tmp_path, capsys):
    """--logx on a column with only values <= 0 said "no finite ... values", though they were finite."""
    run = tmp_path / "signed"
    card = {"model": "zprime", "measurements": "paper2022", "scan": {"seed": 1, "n": 10, "chunk_size": 10}}
    rows = {"point_id": np.arange(5), "chunk": np.zeros(5, dtype=np.int64), "x": -np.arange(1.0, 6.0),
            "g_X": np.geomspace(1e-4, 1e-1, 5), "chi2_total": np.arange(5.0)}
    with store.RunWriter(run, card, {"seed": 1}) as w:
        w.add_chunk(0, rows)
    for extra in (["--y", "g_X"], ["--y", "g_X", "--kind", "profile"], ["--kind", "profile"]):
        code, _, err = cli(["plot", run, "--x", "x", "--logx", "--rows", "all", *extra, "-o", tmp_path / "x.png"],
                           capsys)
        assert "a log axis leaves out values <= 0" in _one_line_error(code, err), extra
    code, _, err = cli(["plot", run, "--x", "x", "--y", "g_X", "-o", tmp_path / "x.png"], capsys)
    assert code == 0 and (tmp_path / "x.png").exists()  # automatic axes: drawn


def test_quiet_plot_writes_no_note(tmp_path, capsys):
    """-q means errors only on stderr: plot's note (here: an unregistered model) was printed anyway."""
    run = tmp_path / "run"
    with store.RunWriter(run, {"model": "no_such_model", "scan": {"n": 5}}, {"seed": 1}) as w:
        w.add_chunk(0, {"point_id": np.arange(5), "chunk": np.zeros(5, dtype=np.int64), "x": np.arange(5.0),
                        "chi2_total": np.arange(5.0)})
    code, _, err = cli(["plot", run, "--x", "x", "-o", tmp_path / "a.png"], capsys)
    assert code == 0 and "note:" in err and "no_such_model" in err
    code, out, err = cli(["-q", "plot", run, "--x", "x", "-o", tmp_path / "b.png"], capsys)
    assert code == 0 and err == "" and "b.png" in out


def test_lq_couplings_needs_viable_points(zp_noviable_run, tmp_path, capsys):
    from flavorscan.scanner import models, plots
    from flavorscan.scanner.errors import UserError

    draw = next(p.draw for p in models.get("lq").presets.plots if p.name == "lq-couplings")
    with pytest.raises(UserError, match="no viable points"):
        draw(plots.RunData(zp_noviable_run), tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()
    # through the command, a preset of another model is a one-line error naming the run's presets
    code, _, err = cli(["plot", zp_noviable_run, "--preset", "lq-couplings", "-o", tmp_path / "p.png"], capsys)
    line = _one_line_error(code, err)
    assert "'zprime'" in line and "its presets: zprime" in line


def test_missing_matplotlib(lq_run, tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # "import matplotlib" raises ImportError
    for args in (["plot", lq_run, "--x", "M_R2", "-o", tmp_path / "m.png"], ["report", lq_run, "-o", tmp_path / "r"]):
        code, _, err = cli(args, capsys)
        line = _one_line_error(code, err)
        assert "matplotlib is needed for plots: pip install matplotlib (the plot extra: pip install -e '.[plot]' in a checkout)" in line
    assert not (tmp_path / "m.png").exists()
    assert not (tmp_path / "r").exists()


def test_help_lists_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plot", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--x", "--y", "--color", "--kind", "--preset", "--logx", "--liny", "abs:NAME", "--cl"):
        assert opt in text
