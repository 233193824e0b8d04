"""Behaviour is unchanged by refactoring: the reference cards give bit-identical rows and point JSON.

tests/data/reference_rows.npz and reference_points.json were made through the command line by
tests/data/make_reference.py. A change that deliberately alters the physics re-makes them and says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CARDS = sorted((DATA / "reference_cards").glob("*.toml"))

pytestmark = pytest.mark.slow


def flavorscan(env, *args):
    result = subprocess.run([sys.executable, "-m", "flavorscan", *args], env=env, capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def reference():
    with np.load(DATA / "reference_rows.npz", allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_rows_are_bit_identical(card, reference, tmp_path, env):
    flavorscan(env, "run", str(card), "--out", str(tmp_path / "run"), "--quiet")
    flavorscan(env, "merge", str(tmp_path / "run"), "-o", str(tmp_path / "merged.h5"))
    expected = {name.split("/", 1)[1]: values for name, values in reference.items() if name.startswith(f"{card.stem}/")}
    with h5py.File(tmp_path / "merged.h5", "r") as f:
        columns = json.loads(f.attrs["columns"])
        assert sorted(columns) == sorted(expected)
        for name in columns:
            got = f[name][()]
            assert got.dtype == expected[name].dtype, name
            # bitwise, NaN included
            assert got.tobytes() == expected[name].tobytes(), name


def test_point_json_is_identical(env):
    """Every key of the stored JSON is reproduced exactly (later versions may add keys, never change these)."""
    expected = json.loads((DATA / "reference_points.json").read_text())
    for stem, result in expected.items():
        got = json.loads(flavorscan(env, "point", f"runs/{stem}.toml", "--json"))
        assert got["observables"] == result["observables"], stem
        assert (got["viable"], got["chi2_total"]) == (result["viable"], result["chi2_total"]), stem
        for name, fields in result["constraints"].items():
            assert {k: got["constraints"][name][k] for k in fields} == fields, (stem, name)
