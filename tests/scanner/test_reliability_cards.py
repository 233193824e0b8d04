"""Issue 17, classes 1 and 9 through the command line (in process): refused cards give one line and exit 2
before JAX starts or anything is written; a title with invalid mathtext is drawn; a scan with no enabled
constraint is refused. (The loader's reproducers and the fuzzing: test_card_fuzz.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from flavorscan.scanner import store
from flavorscan.scanner.cli import main

from tests.scanner.test_card_fuzz import ROOT


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, phrase):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flavorscan: error: "), err
    assert phrase in lines[0], lines[0]


QUICKSTART = (ROOT / "runs" / "quickstart.toml").read_text()
TX1 = (ROOT / "runs" / "tx1_nh.toml").read_text()


def test_point_and_scan_together_are_refused(tmp_path, capsys):
    """Before: `run --n 64` raised KeyError: 'm0I0' for a card with [point] and [scan] (mass_scale dm3l)."""
    card = tmp_path / "card.toml"
    card.write_text(QUICKSTART + "\n[point]\nM_R2 = 1500.0\nM_S1 = 1200.0\n")
    assert_one_line(*cli(capsys, "run", card, "--n", "64", "--out", tmp_path / "out")[::2], "not both")
    assert not (tmp_path / "out").exists()


def test_huge_card_is_refused_before_parsing(tmp_path, capsys):
    """Before: a 50 MB card took ~6.5 GB of memory, then MemoryError."""
    card = tmp_path / "card.toml"
    with open(card, "w") as handle:
        handle.write(TX1)
        handle.write("# " + "x" * (50 * 2**20) + "\n")
    assert_one_line(*cli(capsys, "point", card)[::2], "more than the 1048576")


@pytest.mark.parametrize("command", ["point", "fit"])
def test_i0_masses_near_float_max(tmp_path, capsys, command):
    """Before: OverflowError in neutrino.loop_function (a Python-float path) for I0 masses near 1e300."""
    point = TX1.replace("m0I0 = 1.73e-6", "theta = 0.1\nphi = 0.2\nM1 = 1e300\nM2 = 2e300\nM3 = 1e3\nM4 = 2e3")
    card = tmp_path / "card.toml"
    card.write_text(point)
    assert_one_line(*cli(capsys, command, card)[::2], "point.M1")


def test_integer_beyond_float64_through_run(tmp_path, capsys):
    card = tmp_path / "card.toml"
    card.write_text(QUICKSTART.replace("M_R2 = { range = [1300.0, 1700.0] }",
                                       "M_R2 = { range = [1300.0, 1" + "0" * 309 + "] }"))
    assert_one_line(*cli(capsys, "run", card, "--out", tmp_path / "out")[::2], "310 digits")
    assert not (tmp_path / "out").exists()


def test_no_enabled_constraint_is_refused(tmp_path, capsys):
    """Class 9: `enabled = []` made every point viable. `run` refuses it before the engine starts."""
    text = QUICKSTART.split("[constraints]")[0] + "[constraints]\nenabled = []\n"
    card = tmp_path / "card.toml"
    card.write_text(text)
    code, _, err = cli(capsys, "run", card, "--n", "64", "--out", tmp_path / "out")
    assert_one_line(code, err, "no constraint is enabled: every point would be viable; enable at least one")
    assert not (tmp_path / "out").exists()


def test_title_with_invalid_mathtext_is_drawn(tmp_path, capsys):
    """Before: `title = 'TX-I, $\\foo$ couplings'` crashed plot and report (matplotlib's mathtext parser)."""
    pytest.importorskip("matplotlib")
    card = {"model": "lq", "measurements": "paper2022", "title": "TX-I, $\\foo$ couplings",
            "scan": {"seed": 1, "n": 1000, "chunk_size": 100}}
    rng = np.random.default_rng(1)
    run = tmp_path / "run"
    with store.RunWriter(run, card, {}) as writer:
        for c in range(5):
            n = 20
            writer.add_chunk(c, {"point_id": c * 100 + np.arange(n, dtype=np.int64),
                                 "chunk": np.full(n, c, np.int64), "M_R2": rng.uniform(1e3, 2e3, n),
                                 "M_S1": rng.uniform(1e3, 2e3, n), "chi2_total": rng.random(n),
                                 "viable": rng.random(n) < 0.5, "pass_a": rng.random(n) < 0.5})
    code, _, err = cli(capsys, "plot", run, "--x", "M_R2", "--y", "M_S1", "-o", tmp_path / "p.png")
    assert code == 0, err
    code, _, err = cli(capsys, "report", run, "-o", tmp_path / "report")
    assert code == 0, err
    assert (tmp_path / "p.png").stat().st_size > 0 and (tmp_path / "report" / "index.html").exists()
