"""Regenerate tests/data/reference_rows.npz and reference_points.json: the behaviour reference of tests/cli/test_reference_rows.py.

Runs every card of tests/data/reference_cards/ through ``flavorscan run`` (keep = "all", stored in the .npz as "<card>/<column>") and every [point]
card of runs/ through ``flavorscan point --json``, and stores every column and the JSON bit for bit. Only the
command-line interface is used, so the same script serves any internal layout. A change that deliberately
alters the physics re-makes this file (and says so in its commit message):

    python tests/data/make_reference.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "tests" / "data" / "reference_cards").glob("*.toml"))
POINT_CARDS = ("runs/tx1_nh.toml", "runs/tx2_ih.toml")
ROWS = ROOT / "tests" / "data" / "reference_rows.npz"
POINTS = ROOT / "tests" / "data" / "reference_points.json"


def flavorscan(*args: str) -> str:
    command = [shutil.which("flavorscan") or "flavorscan", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def run_rows(card: Path, work: Path) -> dict[str, np.ndarray]:
    out = work / card.stem
    flavorscan("run", str(card), "--out", str(out), "--quiet")
    merged = work / f"{card.stem}.h5"
    flavorscan("merge", str(out), "-o", str(merged))
    with h5py.File(merged, "r") as f:
        return {str(name): f[name][()] for name in json.loads(f.attrs["columns"])}


def main() -> None:
    arrays = {}
    with tempfile.TemporaryDirectory() as tmp:
        for card in CARDS:
            for name, values in run_rows(card, Path(tmp)).items():
                arrays[f"{card.stem}/{name}"] = values
    np.savez_compressed(ROWS, **arrays)  # plain arrays: read back with allow_pickle=False
    points = {Path(card).stem: json.loads(flavorscan("point", card, "--json")) for card in POINT_CARDS}
    POINTS.write_text(json.dumps(points, indent=1) + "\n")


if __name__ == "__main__":
    main()
