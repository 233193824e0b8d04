"""flavorscan export: Parquet, CSV and getdist files equal to what store.load reads (synthetic rows, no JAX run)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import flavorscan
from flavorscan.scanner import store
from flavorscan.scanner.commands import export as command
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.store import export

# A Z' card: the getdist export takes the parameter columns from the model's spec (stored_parameters).
CARD = {"model": "zprime", "measurements": "paper2022", "scan": {"seed": 3, "n": 400, "chunk_size": 100}}
PROV = {"seed": 3, "git_commit": "abc123", "dtype": "float64"}
PARAMS = ("g_X", "m_Zp", "epsilon")


def chunk_rows(c: int) -> dict:
    """Synthetic rows of chunk c, every dtype the format allows, awkward floats (tiny, huge, nan, inf)."""
    rng = np.random.default_rng([3, c])
    n = 7 + c
    pid = c * 100 + np.sort(rng.choice(100, n, replace=False)).astype(np.int64)
    chi2 = rng.chisquare(3, n)
    chi2[0] = np.inf if c == 1 else chi2[0]  # one row the getdist export must leave out
    return {
        "point_id": pid,
        "chunk": np.full(n, c, dtype=np.int64),
        "g_X": 10.0 ** rng.uniform(-5, 0, n),
        "m_Zp": rng.uniform(1e-3, 1e3, n),
        "epsilon": rng.normal(size=n) * 1e-300,
        "delta_a_mu": np.where(np.arange(n) == 2, np.nan, rng.normal(size=n) / 3.0),
        "chi2_total": chi2,
        "reason": rng.integers(0, 3, n).astype(np.int8),
        "flags": rng.integers(0, 2**40, n).astype(np.uint64),
        "pass_a": rng.random(n) < 0.7,
        "viable": rng.random(n) < 0.5,
    }


@pytest.fixture
def run_dir(tmp_path) -> Path:
    run = tmp_path / "runs" / "scan1"
    with store.RunWriter(run, CARD, PROV, rows_per_segment=15) as w:
        for c in (2, 0, 3, 1):  # out of order: the exports must sort by point_id like load
            w.add_chunk(c, chunk_rows(c))
    return run


def args(directory, fmt, output=None, columns=None, viable_only=False, force=False):
    return argparse.Namespace(directory=str(directory), format=fmt, output=output and str(output),
                              columns=columns, viable_only=viable_only, force=force)


def test_parquet_equals_load(run_dir, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    assert command.run(args(run_dir, "parquet")) == 0
    out = run_dir.parent / "scan1.parquet"  # the default output: beside the run directory
    frame = pd.read_parquet(out)
    data = store.load(run_dir)
    assert list(frame.columns) == list(data) and len(frame) == len(data["point_id"]) > 0
    for name, values in data.items():
        assert frame[name].to_numpy().dtype == values.dtype, name
        np.testing.assert_array_equal(frame[name].to_numpy(), values, err_msg=name)  # exact, nan == nan
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]

    picked = tmp_path / "viable.parquet"
    export.export_table(run_dir, picked, "parquet", ["point_id", "m_Zp"], viable_only=True)
    frame = pd.read_parquet(picked)
    assert list(frame.columns) == ["point_id", "m_Zp"]
    np.testing.assert_array_equal(frame["point_id"].to_numpy(), data["point_id"][data["viable"]])


def test_csv_equals_load(run_dir, tmp_path):
    out = tmp_path / "rows.csv"
    assert command.run(args(run_dir, "csv", out)) == 0
    data = store.load(run_dir)
    with open(out) as f:
        assert f.readline().strip().split(",") == list(data)
    text = np.loadtxt(out, delimiter=",", skiprows=1, dtype=str)
    for i, (name, values) in enumerate(data.items()):
        read = text[:, i] == "True" if values.dtype == bool else text[:, i].astype(values.dtype)
        np.testing.assert_array_equal(read, values, err_msg=name)  # bit for bit, 1e-300 and 2**40 included

    merged = tmp_path / "merged.h5"  # a merged file exports the same rows, by default to merged.csv beside it
    store.merge(run_dir, merged)
    command.run(args(merged, "csv"))
    assert (tmp_path / "merged.csv").read_text() == out.read_text()


def test_overwrite_refused_unless_force(run_dir, tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("keep me")
    with pytest.raises(UserError, match="exists; pass --force"):
        command.run(args(run_dir, "csv", out))
    assert out.read_text() == "keep me"
    command.run(args(run_dir, "csv", out, force=True))
    assert out.read_text().startswith("point_id,")
    (tmp_path / "chain.paramnames").write_text("keep me")
    with pytest.raises(UserError, match="chain.paramnames exists"):
        command.run(args(run_dir, "getdist", tmp_path / "chain"))
    assert not (tmp_path / "chain.txt").exists()


def test_missing_pyarrow_is_one_line(run_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(UserError, match=r'needs pyarrow: pip install -e "\.\[export\]"'):
        command.run(args(run_dir, "parquet", tmp_path / "x.parquet"))
    assert not (tmp_path / "x.parquet").exists()


def test_missing_pandas_is_one_line(run_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UserError, match=r'needs pandas: pip install -e "\.\[pandas\]"'):
        flavorscan.load_dataframe(run_dir)  # the public function, through the store's


def test_getdist_chains_read_by_getdist(run_dir, tmp_path):
    loadMCSamples = pytest.importorskip("getdist").loadMCSamples
    root = tmp_path / "chain"
    command.run(args(run_dir, "getdist", root, columns="delta_a_mu,m_Zp"))
    names = (tmp_path / "chain.paramnames").read_text().splitlines()
    assert [line.split("\t")[0] for line in names][:3] == list(PARAMS)
    assert "delta_a_mu*\t\\Delta a_\\mu" in names  # an observable: derived, LaTeX label of the plots
    assert "m_Zp\tm_{Z'}\\mathrm{\\ [GeV]}" in names  # asked for, but a parameter: not derived

    samples = loadMCSamples(str(root), settings={"ignore_rows": 0})
    data = store.load(run_dir)
    finite = np.isfinite(data["chi2_total"]) & np.isfinite(data["delta_a_mu"])
    assert 0 < finite.sum() < len(finite)
    np.testing.assert_array_equal(samples.weights, np.ones(finite.sum()))
    np.testing.assert_allclose(samples.loglikes, data["chi2_total"][finite] / 2, rtol=1e-15)
    for name in PARAMS + ("delta_a_mu",):
        np.testing.assert_array_equal(samples[name], data[name][finite], err_msg=name)
        assert samples.getMeans()[samples.index[name]] == pytest.approx(data[name][finite].mean(), rel=1e-12)
    assert samples.paramNames.parWithName("delta_a_mu").isDerived
    assert not samples.paramNames.parWithName("g_X").isDerived


def test_getdist_viable_only(run_dir, tmp_path):
    command.run(args(run_dir, "getdist", tmp_path / "v", viable_only=True))
    data = store.load(run_dir)
    keep = data["viable"] & np.isfinite(data["chi2_total"])
    table = np.loadtxt(tmp_path / "v.txt", ndmin=2)
    np.testing.assert_array_equal(table[:, 3], data["m_Zp"][keep])  # weight, -loglike, g_X, m_Zp, ...


def test_getdist_label():
    assert export.getdist_label(r"BR($\mu\to e\gamma$)") == r"\mathrm{BR(}\mu\to e\gamma\mathrm{)}"
    assert export.getdist_label("chi2_b") == r"\mathrm{chi2\_b}"
    assert export.getdist_label(r"$M_{R_2}$ [GeV]") == r"M_{R_2}\mathrm{\ [GeV]}"


def test_getdist_leaves_out_constant_columns_and_refuses_odd_names(tmp_path):
    params = {"a": np.array([1.0, 2.0, np.nan]), "fixed": np.array([3.0, 3.0, 4.0]), "flag": np.array([1, 0, 1])}
    dropped, constant = export.write_getdist(tmp_path / "c", params, {}, {"flag"}, np.array([0.5, 1.0, 2.0]))
    assert (dropped, constant) == (1, ["fixed"])  # 3.0 in both finite rows
    assert (tmp_path / "c.paramnames").read_text() == "a\ta\nflag*\tflag\n"
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "c.txt"), [[1, 0.5, 1, 1], [1, 1, 2, 0]])
    with pytest.raises(UserError, match="cannot be a getdist parameter name"):
        export.write_getdist(tmp_path / "d", {"a b": np.ones(2)}, {}, set(), None)


def test_getdist_refuses_a_chain_without_rows_or_varying_columns(run_dir, tmp_path):
    """getdist cannot read a chain with no rows (none viable, or all non-finite) or no varying column (one row):
    these were written as files getdist fails on; now a UserError line, and no file is written."""
    with pytest.raises(UserError, match=r"nothing to write to .*e\.txt .*: all 2 rows have a non-finite value"):
        export.write_getdist(tmp_path / "e", {"a": np.array([1.0, np.nan])}, {}, set(), np.array([np.inf, 1.0]))
    with pytest.raises(UserError, match="no rows were selected"):
        export.write_getdist(tmp_path / "e", {"a": np.empty(0)}, {}, set(), np.empty(0))
    with pytest.raises(UserError, match=r"no column of .*e varies over the 1 rows left"):
        export.write_getdist(tmp_path / "e", {"a": np.array([1.0]), "b": np.array([2.0])}, {}, set(), None)
    assert not list(tmp_path.glob("e*")) and not list(tmp_path.glob(".e*"))

    empty = tmp_path / "empty"  # a run whose viable selection is empty, through the command
    with store.RunWriter(empty, CARD, PROV) as w:
        w.add_chunk(0, {**chunk_rows(0), "viable": np.zeros(7, dtype=bool)})
    with pytest.raises(UserError, match="no rows were selected"):
        command.run(args(empty, "getdist", tmp_path / "v", viable_only=True))
    assert not (tmp_path / "v.txt").exists() and not (tmp_path / "v.paramnames").exists()
    assert command.run(args(empty, "csv", tmp_path / "v.csv", viable_only=True)) == 0  # a header-only CSV is fine
    assert (tmp_path / "v.csv").read_text().count("\n") == 1


def test_empty_columns_and_directory_outputs_are_refused(run_dir, tmp_path):
    """--columns "," once wrote a file with no columns; a directory output once suggested --force, which
    then failed too; -o "" is that directory (".")."""
    for columns in (",", "", " , "):
        with pytest.raises(UserError, match="--columns: no column names"):
            command.run(args(run_dir, "csv", tmp_path / "a.csv", columns=columns))
    assert not (tmp_path / "a.csv").exists()
    (tmp_path / "d").mkdir()
    for force in (False, True):
        with pytest.raises(UserError, match=r"d is a directory; choose another output"):
            command.run(args(run_dir, "csv", tmp_path / "d", force=force))
    empty = args(run_dir, "csv")
    empty.output = ""  # -o "$UNSET" once wrote the default output beside the run
    with pytest.raises(UserError, match=r"^\. is a directory"):
        command.run(empty)
    assert not (run_dir.parent / "scan1.csv").exists()


def test_symlink_out_of_run_is_not_followed(run_dir, tmp_path):
    segment = sorted(run_dir.glob("seg-*.h5"))[0]
    outside = tmp_path / "outside.h5"
    segment.rename(outside)
    os.symlink(outside, segment)
    with pytest.raises(UserError, match="symbolic link"):
        command.run(args(run_dir, "csv", tmp_path / "rows.csv"))
    assert not (tmp_path / "rows.csv").exists()


@pytest.mark.slow
def test_cli(run_dir, tmp_path):
    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "flavorscan.scanner.cli", *map(str, argv)],
                              capture_output=True, text=True, timeout=120)

    done = cli("export", run_dir, "--format", "csv", "-o", tmp_path / "a.csv", "--columns", "point_id,m_Zp")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and (tmp_path / "a.csv").read_text().startswith("point_id,m_Zp\n")
    again = cli("export", run_dir, "--format", "csv", "-o", tmp_path / "a.csv")
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "--force" in again.stderr
