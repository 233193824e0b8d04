"""Plots and reports (scanner.plots, scanner.report, ``flavorscan plot`` / ``report``) on small run
directories written with scanner.store.RunWriter from synthetic but realistic columns."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from scanner import store  # noqa: E402
from scanner.cli import main  # noqa: E402

QUARKS, LEPTONS = ("u", "c", "t"), ("e", "mu", "tau")
COUPLINGS = [f"{m}_{q}{l}" for m in ("fR", "fL", "yR", "yL") for q in QUARKS for l in LEPTONS]
VARYING = ("yL_tmu", "yR_tmu", "yR_ctau", "fR_ce", "fR_te", "fL_ctau")
LQ_CARD = {"model": "lq", "measurements": "paper2022", "title": "synthetic LQ test scan",
           "scan": {"seed": 11, "n": 4000, "chunk_size": 500}}
ZP_CARD = {"model": "zprime", "measurements": "current", "scan": {"seed": 3, "grid": [40, 40]}}
PROV = {"flavorscan_version": "0.1.0", "jax_version": "0.4.x", "devices": ["cpu:0"], "dtype": "float64",
        "seed": 11, "measurements": "paper2022", "git_commit": "0123abc"}


def _gauss(out, name, value, centre, sigma, n_sigma=2.0):
    pull = (value - centre) / sigma
    out[f"pass_{name}"] = np.abs(pull) <= n_sigma
    out[f"chi2_{name}"] = pull * pull
    return pull * pull


def _limit(out, name, value, limit):
    out[f"pass_{name}"] = value <= limit
    out[f"chi2_{name}"] = np.full(value.shape, np.nan)


def lq_chunk(c: int, n: int = 500, seed: int = 11) -> dict:
    """One chunk of a synthetic LQ scan: parameters as in a real run (36 complex couplings, most fixed
    at zero), toy observables with the right names and scales, constraint columns as scanner.constraints
    writes them."""
    rng = np.random.default_rng([seed, c])
    cols = {"M_R2": rng.uniform(1000, 3000, n), "M_S1": rng.uniform(1000, 3000, n),
            "m0I0": 10 ** rng.uniform(-8, -5, n)}
    for name in COUPLINGS:
        if name in VARYING:
            mag = 10 ** rng.uniform(-3, 0, n)
            phase = rng.choice([0.0, np.pi], n)
            cols[name], cols[f"{name}_im"] = mag * np.cos(phase), mag * np.sin(phase)
        else:
            cols[name], cols[f"{name}_im"] = np.zeros(n), np.zeros(n)
    s1 = (1200.0 / cols["M_S1"]) ** 2
    r2 = (1500.0 / cols["M_R2"]) ** 2
    obs = {
        "dm21_sq": 7.4e-5 * (cols["m0I0"] / 1.73e-6) ** 2 * (1 + 0.1 * rng.normal(size=n)),
        "s12_sq": 0.31 + 0.05 * rng.normal(size=n),
        "delta_a_mu": 2.24e-9 * cols["yL_tmu"] * cols["yR_tmu"] / (1.2 * 0.0025) * s1 * 0.01,
        "delta_a_e": -8.6e-13 * np.abs(cols["yR_ctau"]) * s1,
        "r_d": 0.295 * (1 + 0.3 * np.abs(cols["yR_ctau"] * cols["yL_tmu"]) * s1),
        "r_dstar": 0.2451 * (1 + 0.1 * np.abs(cols["yR_ctau"] * cols["yL_tmu"]) * s1),
        "r_k": 1.0 - 0.3 * cols["fR_ce"] * cols["fR_te"] * r2 * 10,
        "br_mu_e_gamma": 1e-9 * (cols["fR_ce"] * cols["fL_ctau"]) ** 2 * r2 + 1e-16,
        "br_tau_mu_gamma": 1e-6 * (cols["yL_tmu"] * cols["yR_ctau"]) ** 2 * s1 + 1e-12,
    }
    bad = rng.random(n) < 0.01  # a few non-finite rows, as the engine can produce
    obs["dm21_sq"][bad] = np.nan
    gaussian = {"dm21_sq": (7.42e-5, 0.21e-5), "s12_sq": (0.304, 0.012), "delta_a_mu": (2.51e-9, 0.59e-9),
                "r_d": (0.339, 0.030), "r_k": (0.949, 0.05)}
    limits = {"br_mu_e_gamma": 4.2e-13, "br_tau_mu_gamma": 4.4e-8}
    # about 5% of the rows near the measurements, as a targeted scan would find them
    good = ~bad & (rng.random(n) < 0.05)
    for name, (centre, sigma) in gaussian.items():
        obs[name][good] = centre + sigma * rng.uniform(-1.9, 1.9, good.sum())
    for name, limit in limits.items():
        obs[name][good] = limit * 10 ** rng.uniform(-3, -0.05, good.sum())
    cols.update(obs)
    chi2 = np.zeros(n)
    for name, (centre, sigma) in gaussian.items():
        chi2 += _gauss(cols, name, obs[name], centre, sigma)
    for name, limit in limits.items():
        _limit(cols, name, obs[name], limit)
    finite = ~bad
    cols["chi2_total"] = np.where(finite, chi2, np.nan)
    cols["penalty_total"] = np.zeros(n)
    passes = np.logical_and.reduce([cols[k] for k in list(cols) if k.startswith("pass_")])
    cols["viable"] = passes & finite
    cols["reason"] = np.where(finite, 0, 1).astype(np.int8)
    cols["point_id"] = (c * n + np.arange(n)).astype(np.int64)
    cols["chunk"] = np.full(n, c, dtype=np.int64)
    return cols


def zprime_chunk(c: int, ms, gs) -> dict:
    """A row of a (m_Z', g_X) grid scan of L_mu - L_tau with toy but shaped observables."""
    m, g = np.meshgrid(ms, gs[c : c + 1], indexing="ij")
    m, g = m.ravel(), g.ravel()
    n = m.size
    mmu = 0.10566
    cols = {"g_X": g, "m_Zp": m, "epsilon": g / 69.3, "charges_index": np.zeros(n, np.int64)}
    cols["delta_a_mu"] = g**2 / (8 * np.pi**2) / (1 + (2.0 / 3.0) * (m / mmu) ** 2)
    cols["trident_ratio"] = 1 + 2.0e5 * g**2 / (m**2 + 0.8455**2) * 0.05
    cols["borexino_ratio"] = 1 + 3e3 * g**2 / (m**2 + 1e-6) * 1e-3
    cols["eps_nsi_ee"] = g**2 / (m**2 + 1e-12) * 1e-2
    chi2 = _gauss(cols, "delta_a_mu", cols["delta_a_mu"], 2.51e-9, 0.59e-9)
    _limit(cols, "trident_ratio", cols["trident_ratio"], 1.3688)
    _limit(cols, "borexino_ratio", cols["borexino_ratio"], 1.3)
    _limit(cols, "eps_nsi_ee", cols["eps_nsi_ee"], 0.5)
    cols["chi2_total"] = chi2
    cols["penalty_total"] = np.zeros(n)
    cols["viable"] = np.logical_and.reduce([cols[k] for k in list(cols) if k.startswith("pass_")])
    cols["reason"] = np.zeros(n, np.int8)
    cols["point_id"] = (c * n + np.arange(n)).astype(np.int64)
    cols["chunk"] = np.full(n, c, np.int64)
    return cols


def write_lq(directory, chunks=8):
    with store.RunWriter(directory, LQ_CARD, PROV) as w:
        for c in range(chunks):
            cols = lq_chunk(c)
            counts = {"points": 500, "viable": int(cols["viable"].sum())}
            counts.update({k: int(v.sum()) for k, v in cols.items() if k.startswith("pass_")})
            w.add_chunk(c, cols, counts=counts)
    return directory


def write_zprime(directory, n=40):
    ms, gs = np.geomspace(1e-3, 1.0, n), np.geomspace(1e-5, 1e-2, n)
    with store.RunWriter(directory, ZP_CARD, dict(PROV, measurements="current")) as w:
        for c in range(n):
            w.add_chunk(c, zprime_chunk(c, ms, gs))
    return directory


@pytest.fixture(scope="module")
def lq_run(tmp_path_factory):
    return write_lq(tmp_path_factory.mktemp("lq") / "run")


@pytest.fixture(scope="module")
def zp_run(tmp_path_factory):
    return write_zprime(tmp_path_factory.mktemp("zp") / "run")


def assert_png(path, min_bytes=8000):
    """A readable PNG with real content: size, several colours, not a blank canvas."""
    from matplotlib import image

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert len(data) > min_bytes, (path, len(data))
    img = image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05, f"{path} looks blank"
    q = (rgb * 255).astype(np.uint32)
    colours = np.unique(q[:, 0] << 16 | q[:, 1] << 8 | q[:, 2])
    assert colours.size > 50, f"{path} has almost no colours"
    non_white = np.mean(np.any(rgb < 0.95, axis=1))
    assert non_white > 0.03, f"{path}: only {non_white:.1%} of the pixels are drawn"


def cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


# --------------------------------------------------------------------------------------------------
# every plot type through the CLI


@pytest.mark.parametrize(
    "extra, name",
    [
        (["--x", "M_R2", "--y", "abs:yR_ctau"], "scatter_chi2.png"),
        (["--x", "r_d", "--y", "r_k", "--color", "constraint"], "scatter_constraint.png"),
        (["--x", "abs:fR_ce", "--y", "abs:fR_te", "--color", "M_S1", "--rows", "viable"], "scatter_col.png"),
        (["--x", "abs:yL_tmu", "--y", "abs:yR_tmu", "--kind", "profile"], "profile2d.png"),
        (["--x", "M_S1"], "profile1d.png"),
        (["--x", "m0I0", "--linx"], "profile1d_lin.png"),
        (["--preset", "lq-couplings"], "lq_couplings.png"),
    ],
)
def test_plot_kinds_lq(lq_run, tmp_path, capsys, extra, name):
    out = tmp_path / name
    code, stdout, err = cli(["plot", lq_run, *extra, "-o", out, "--dpi", "90"], capsys)
    assert code == 0, err
    assert str(out) in stdout
    assert_png(out)


def test_plot_zprime_preset(zp_run, tmp_path, capsys):
    out = tmp_path / "zprime.png"
    code, _, err = cli(["plot", zp_run, "--preset", "zprime", "-o", out], capsys)
    assert code == 0, err
    assert_png(out)
    # the excluded regions and the band are drawn in colour: many pixels are neither grey nor white
    from matplotlib import image

    rgb = image.imread(out)[..., :3]
    chroma = rgb.max(axis=-1) - rgb.min(axis=-1)
    assert np.mean(chroma > 0.15) > 0.1


def test_auto_log_axes(lq_run, tmp_path):
    from scanner import plots

    data = plots.RunData(lq_run)
    assert plots.auto_log(data.get("abs:yR_ctau"))  # 1e-3 .. 1
    assert not plots.auto_log(data.get("M_R2"))  # 1 - 3 TeV
    assert not plots.auto_log(data.get("yR_ctau"))  # signed
    assert plots.auto_log(data.get("m0I0"))


def test_binning_grid_and_random():
    from scanner import plots

    grid = np.repeat(np.geomspace(1e-3, 1.0, 7), 5)  # a grid axis: values repeat
    edges = plots._grid_edges(grid, True, 20)
    assert edges.size == 8 and np.all(np.diff(plots._bin_index(np.unique(grid), edges)) == 1)
    rand = np.random.default_rng(1).uniform(1000, 3000, 21)  # few random values: regular bins
    edges = plots._grid_edges(rand, False, 8)
    assert edges.size == 9 and np.allclose(np.diff(edges), np.diff(edges)[0])
    assert plots.auto_bins(4000, 2) == 31 and plots.auto_bins(10, 1) == 8


def test_abs_and_labels(lq_run):
    from scanner import plots

    data = plots.RunData(lq_run)
    re_, im = data.get("fR_ce"), data.get("fR_ce_im")
    np.testing.assert_allclose(data.get("abs:fR_ce"), np.hypot(re_, im))
    np.testing.assert_allclose(data.get("arg:fR_ce"), np.arctan2(im, re_))
    assert plots.label("abs:fR_ctau") == r"$|f^R_{c\tau}|$"
    assert plots.label("yL_tmu_im") == r"Im $y^L_{t\mu}$"
    assert "GeV" in plots.label("M_R2", data.registry)
    assert plots.label("some_new_column") == "some_new_column"  # bare names when nothing is known


def test_profile_uses_limits_rows(lq_run):
    from scanner import plots

    data = plots.RunData(lq_run)
    assert set(data.limit_constraints()) == {"br_mu_e_gamma", "br_tau_mu_gamma"}
    mask = data.select("limits")
    assert mask.sum() < data.rows
    assert np.all(np.asarray(data.get("pass_br_mu_e_gamma"))[mask])
    cat, names = data.first_failing()
    assert names[-2:] == ["viable", "non-finite"]
    viable = data.viable()
    assert np.all(cat[viable] == len(names) - 2)


# --------------------------------------------------------------------------------------------------
# report


def test_report_html(lq_run, tmp_path, capsys):
    out = tmp_path / "report"
    code, stdout, err = cli(["report", lq_run, "-o", out, "--dpi", "80"], capsys)
    assert code == 0, err
    index = out / "index.html"
    assert index.is_file() and str(index) in stdout
    html = index.read_text()
    for text in ("synthetic LQ test scan", "0123abc", "cpu:0", "float64", "Pass fractions", "Best points",
                 "r_d", "br_mu_e_gamma", "point_id"):
        assert text in html, text
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) >= 5
    for png in pngs:
        assert png.name in html
        assert_png(png, min_bytes=5000)
    assert (out / "corner.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 4000


def test_report_markdown_zprime(zp_run, tmp_path, capsys):
    out = tmp_path / "zrep"
    code, _, err = cli(["report", zp_run, "-o", out, "--format", "md", "--dpi", "80"], capsys)
    assert code == 0, err
    md = (out / "index.md").read_text()
    assert "![" in md and "zprime.png" in md
    assert_png(out / "zprime.png")


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
    ],
)
def test_option_errors(lq_run, tmp_path, capsys, monkeypatch, extra):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["plot", lq_run, *extra], capsys)
    _one_line_error(code, err)


def test_empty_run(tmp_path, capsys):
    empty = tmp_path / "empty"
    with store.RunWriter(empty, LQ_CARD, PROV):
        pass
    code, _, err = cli(["plot", empty, "--x", "M_R2", "-o", tmp_path / "e.png"], capsys)
    assert "no rows" in _one_line_error(code, err)
    code, _, err = cli(["report", empty, "-o", tmp_path / "rep"], capsys)
    assert "no rows" in _one_line_error(code, err)
    code, _, err = cli(["plot", tmp_path / "missing", "--x", "M_R2"], capsys)
    _one_line_error(code, err)


def test_no_viable_points(tmp_path, capsys):
    run = tmp_path / "noviable"
    with store.RunWriter(run, LQ_CARD, PROV) as w:
        cols = lq_chunk(0)
        cols["viable"][:] = False
        w.add_chunk(0, cols)
    code, _, err = cli(["plot", run, "--preset", "lq-couplings", "-o", tmp_path / "p.png"], capsys)
    assert "no viable points" in _one_line_error(code, err)
    # the report still renders, noting what it had to skip
    code, _, err = cli(["report", run, "-o", tmp_path / "rep"], capsys)
    assert code == 0, err
    assert "no viable points" in (tmp_path / "rep" / "index.html").read_text()


def test_missing_matplotlib(lq_run, tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # "import matplotlib" raises ImportError
    for args in (["plot", lq_run, "--x", "M_R2", "-o", tmp_path / "m.png"], ["report", lq_run, "-o", tmp_path / "r"]):
        code, _, err = cli(args, capsys)
        line = _one_line_error(code, err)
        assert "matplotlib is needed for plots: pip install 'flavorscan[plot]'" in line
    assert not (tmp_path / "m.png").exists()
    assert not (tmp_path / "r").exists()


def test_help_lists_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plot", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--x", "--y", "--color", "--kind", "--preset", "--logx", "--liny", "abs:NAME"):
        assert opt in text
