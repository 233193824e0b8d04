"""One namespace: flavorscan installs exactly one top-level package, from a wheel as from a checkout.

The wheel test builds the wheel (pip, with build isolation, as a user's ``pip install`` does), installs it
without dependencies into a fresh virtual environment that sees this environment's JAX and h5py
(--system-site-packages) and runs ``flavorscan point`` on a shipped card from a directory outside the
repository. Both installs must leave ``import kernels`` / ``import scanner`` failing there.
"""

from __future__ import annotations

import json
import subprocess
import sys
try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

PROBE = """
import importlib, json, sys
found = {}
for name in ("kernels", "scanner"):
    try:
        importlib.import_module(name)
        found[name] = True
    except ImportError:
        found[name] = False
import flavorscan, flavorscan.kernels, flavorscan.scanner
found["flavorscan"] = flavorscan.__file__
found["jax_at_import"] = "jax" in sys.modules
print(json.dumps(found))
"""


def test_package_list_covers_every_folder():
    """pyproject's explicit package list names every package folder under flavorscan/, kernels/, scanner/."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {"flavorscan": ROOT / "flavorscan", "flavorscan.kernels": ROOT / "kernels",
               "flavorscan.scanner": ROOT / "scanner"}
    found = set()
    for package, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            found.add(".".join((package, *parts)))
    assert found == listed


def test_checkout_install_exposes_one_top_level_name(tmp_path):
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["kernels"] is False and found["scanner"] is False
    # "import flavorscan" plus its two subpackages imports no JAX until something computes (the scanner
    # package and the public API load lazily; flavorscan.kernels does import it, for float64)
    lazy = subprocess.run([sys.executable, "-c", "import sys, flavorscan, flavorscan.scanner, flavorscan.scanner.cli; "
                           "print('jax' in sys.modules)"], cwd=tmp_path, capture_output=True, text=True)
    assert lazy.stdout.strip() == "False", lazy.stderr


def test_wheel_installs_and_runs_a_shipped_card(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(wheels.glob("flavorscan-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    probe = subprocess.run([str(python), "-c", PROBE], cwd=work, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert found["kernels"] is False and found["scanner"] is False
    assert Path(found["flavorscan"]).is_relative_to(env_dir)  # the wheel, not the checkout
    point = subprocess.run([str(env_dir / "bin" / "flavorscan"), "point", str(ROOT / "runs" / "tx1_nh.toml"), "--json"],
                           cwd=work, capture_output=True, text=True)
    assert point.returncode == 0, point.stderr
    assert json.loads(point.stdout)["observables"]["dm21_sq"] == pytest.approx(7.606e-5, rel=1e-3)
    # the lq-yield default card is package data: the wheel carries it
    listing = subprocess.run([str(python), "-c", "from importlib import resources; print((resources.files("
                              "'flavorscan.scanner.models.lq') / 'cards' / 'yield_lq_paper2022.toml').is_file())"],
                             cwd=work, capture_output=True, text=True)
    assert listing.stdout.strip() == "True"
