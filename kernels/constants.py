"""Physical inputs as data: constants, masses, CKM and measurement sets.

The numbers live in versioned TOML files under ``kernels/data`` with a source for every value; this module
only reads them (once, cached) and turns them into the immutable pytrees the kernels take as arguments.
Kernels never read files themselves: they receive an ``inputs`` dict built here.
"""

from __future__ import annotations

import functools
import math
import sys
from importlib import resources
from typing import Any, Mapping

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

MEASUREMENT_SETS = ("paper2022", "current")
NU_QUARK_MASS_CHOICES = ("1TeV", "low")
LOOP_QUARK_MASS_CHOICES = ("letter", "lq_scale")
"""Quark masses in the one-loop leptoquark diagrams (g - 2, l -> l' gamma, Z and W vertices, LFV penguins):
"letter" = m_q(m_q) (m_c = 1.27, m_t = 160 GeV; the letter's numbers), "lq_scale" = MSbar masses at 1 TeV run
with one-loop QCD to the mass of each leptoquark (docs/physics/leptoquark.md sec. 3, the scheme band)."""


def _data_dir():
    return resources.files("flavorscan.kernels") / "data"


@functools.lru_cache(maxsize=None)
def constants_file() -> Mapping[str, Any]:
    """The parsed ``constants.toml`` (values with units and sources)."""
    with (_data_dir() / "constants.toml").open("rb") as handle:
        return tomllib.load(handle)


@functools.lru_cache(maxsize=None)
def measurement_set(name: str) -> Mapping[str, Any]:
    """Merge every TOML file of one measurement set; a constraint may be defined only once."""
    if name not in MEASUREMENT_SETS:
        raise ValueError(f"unknown measurement set {name!r} (choose one of {', '.join(MEASUREMENT_SETS)})")
    merged: dict[str, Any] = {"constraint": {}}
    folder = _data_dir() / "measurements" / name
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        with entry.open("rb") as handle:
            part = tomllib.load(handle)
        for key, value in part.items():
            if key == "constraint":
                clash = set(value) & set(merged["constraint"])
                if clash:
                    raise ValueError(f"measurement set {name}: constraint {sorted(clash)[0]} defined twice")
                merged["constraint"].update(value)
            elif key in merged:
                raise ValueError(f"measurement set {name}: key {key!r} defined in two files")
            else:
                merged[key] = value
    return merged


def value(section: str, key: str):
    """A value from constants.toml as float or float64 array."""
    raw = constants_file()[section][key]["value"]
    return np.asarray(raw, dtype=np.float64) if isinstance(raw, list) else float(raw)


def ckm_matrix(lam: float, A: float, rhobar: float, etabar: float) -> np.ndarray:
    """Exactly unitary CKM matrix from Wolfenstein parameters (PDG 2022 review, Eq. 12.4-12.5).

    s12 = lambda, s23 = A lambda^2, and s13 e^{i delta} = A lambda^3 (rhobar + i etabar) sqrt(1 - A^2 lambda^4)
    / (sqrt(1 - lambda^2) [1 - A^2 lambda^4 (rhobar + i etabar)]), inserted into the standard
    parametrisation, which is unitary to all orders in lambda.
    """
    rho_eta = complex(rhobar, etabar)
    s12 = lam
    s23 = A * lam**2
    s13_phase = (
        A * lam**3 * rho_eta * math.sqrt(1.0 - A**2 * lam**4)
        / (math.sqrt(1.0 - lam**2) * (1.0 - A**2 * lam**4 * rho_eta))
    )
    s13 = abs(s13_phase)
    delta = math.atan2(s13_phase.imag, s13_phase.real)
    c12, c23, c13 = (math.sqrt(1.0 - s**2) for s in (s12, s23, s13))
    e_m = complex(math.cos(delta), -math.sin(delta))  # e^{-i delta}
    e_p = e_m.conjugate()
    return np.array(
        [
            [c12 * c13, s12 * c13, s13 * e_m],
            [-s12 * c23 - c12 * s23 * s13 * e_p, c12 * c23 - s12 * s23 * s13 * e_p, s23 * c13],
            [s12 * s23 - c12 * c23 * s13 * e_p, -c12 * s23 - s12 * c23 * s13 * e_p, c23 * c13],
        ],
        dtype=np.complex128,
    )


def nu_up_masses(choice) -> np.ndarray:
    """Up-quark masses [m_u, m_c, m_t] for the neutrino-mass formula (letter Eq. 3)."""
    if isinstance(choice, str):
        if choice not in NU_QUARK_MASS_CHOICES:
            raise ValueError(f"nu_quark_masses must be one of {NU_QUARK_MASS_CHOICES} or three masses")
        return value("quarks", "nu_1TeV_up" if choice == "1TeV" else "nu_low_up")
    return np.asarray(choice, dtype=np.float64)


def base_inputs(
    measurements: str = "paper2022",
    nu_quark_masses="1TeV",
    loop_quark_masses: str = "letter",
    nu_term_signs=(1.0, -1.0, -1.0),
    ckm: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """The inputs pytree every kernel takes: constants, masses and the CKM of one measurement set (or the
    Wolfenstein parameters ``ckm`` = {lambda, A, rhobar, etabar} given explicitly, e.g. from a card's
    resolved likelihood).

    All leaves are float64/complex128 numpy arrays so the dict can be passed through jit/vmap unchanged
    (as a closed-over constant or an argument) and cast to float32 for benchmarks in one place.
    """
    if loop_quark_masses not in LOOP_QUARK_MASS_CHOICES:
        raise ValueError(f"loop_quark_masses must be one of {LOOP_QUARK_MASS_CHOICES}")
    ckm = measurement_set(measurements)["ckm"] if ckm is None else ckm
    lifetimes = value("leptons", "lifetimes")
    hbar = value("constants", "hbar_GeV_s")
    widths = np.where(lifetimes > 0, hbar / np.where(lifetimes > 0, lifetimes, 1.0), 0.0)
    scalars = {
        "alpha_dipole": value("couplings", "alpha_dipole"),
        "alpha_bsll": value("couplings", "alpha_bsll"),
        "G_F": value("couplings", "G_F"),
        "v": value("couplings", "v"),
        "s_W2": value("couplings", "s_W2"),
        "m_W": value("couplings", "m_W"),
        "m_Z": value("couplings", "m_Z"),
        "g": value("couplings", "g"),
        "hbar": hbar,
    }
    for key in ("eta_EW", "eta_EW_light", "alpha_s_mt", "alpha_s_mb", "alpha_s_2GeV", "alpha_s_4p2", "m_t_pole", "m_b_threshold"):
        scalars[key] = value("couplings", key)
    for key in constants_file()["sm"]:
        scalars[f"sm_{key}"] = value("sm", key)
    for key in constants_file()["hadronic"]:
        scalars[f"had_{key}"] = value("hadronic", key)
    running = loop_quark_masses == "lq_scale"
    scalars["loop_mass_running"] = 1.0 if running else 0.0
    inputs = {k: np.asarray(v, dtype=np.float64) for k, v in scalars.items()}
    inputs.update(
        m_lep=value("leptons", "masses"),
        gamma_lep=widths,
        m_up_loop=value("quarks", "loop_1TeV_up" if running else "loop_letter_up"),
        m_down_loop=value("quarks", "loop_1TeV_down" if running else "loop_letter_down"),
        m_up_nu=nu_up_masses(nu_quark_masses),
        nu_term_signs=np.asarray(nu_term_signs, dtype=np.float64),
        ckm=ckm_matrix(ckm["lambda"], ckm["A"], ckm["rhobar"], ckm["etabar"]),
    )
    return inputs
