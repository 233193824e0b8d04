"""Z' charge sets as physics data -> the params pytree of one point; the Z' kernel inputs.

Named benchmark charge sets (GSSTZ section 3.5; docs/physics/zprime.md section 2):

- ``"Lmu-Ltau"``: X_L = X_E = (0, 1, -1), X_N = (1, -1, 0), X_q = 0 (the only model allowing loop-induced ε).
- ``"B-3Lmu"``: X_q = 1/3, X_L2 = X_E2 = X_N2 = -3, rest 0.
- ``"Le-Lmu"``: X_L = X_E = X_N = (1, -1, 0), X_q = 0 (the electron coupling cancels at ε = g_X/e).
- ``"B3-3Lmu"``: third-family quark variant of B - 3L_μ: X_q per family (0, 0, 1) (X_q12 = 0, X_q3 = 3 X_q
  with X_q = 1/3), leptons as B - 3L_μ. (Its S3 muoquark would have a Q3 Q3 diquark coupling, see
  :mod:`flavorscan.kernels.charges`.)

A catalog set (:func:`charges_from_catalog`) is taken in its integer normalisation. Families: the muon (slot 1)
is the set's default muon assignment (first entry of ``muon_choices``); the remaining L charges go to e and τ
in ascending order, likewise E; X_N ascending.

Errors are ValueError with a one-line message naming the offending quantity (the card layer turns them into
user errors).
"""

from __future__ import annotations

import functools
import sys
from importlib import resources
from typing import Mapping, NamedTuple

import numpy as np

from flavorscan.kernels import charges as charge_catalog
from flavorscan.kernels.constants import base_inputs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


class Charges(NamedTuple):
    """U(1)_X charges as float64 arrays of shape (3,): quarks per family, L, E, N per lepton family."""

    q: np.ndarray
    L: np.ndarray
    E: np.ndarray
    N: np.ndarray


def _charges(q, lep, e, n) -> Charges:
    q = np.broadcast_to(np.asarray(q, dtype=np.float64), (3,)).copy()
    return Charges(q, *(np.asarray(x, dtype=np.float64) for x in (lep, e, n)))


BENCHMARKS = {
    "Lmu-Ltau": _charges(0.0, (0, 1, -1), (0, 1, -1), (1, -1, 0)),
    "B-3Lmu": _charges(1.0 / 3.0, (0, -3, 0), (0, -3, 0), (0, -3, 0)),
    "Le-Lmu": _charges(0.0, (1, -1, 0), (1, -1, 0), (1, -1, 0)),
    "B3-3Lmu": _charges((0.0, 0.0, 1.0), (0, -3, 0), (0, -3, 0), (0, -3, 0)),
}
CATALOG_MAX_CHARGE = 10


def anomaly_sums(c: Charges) -> np.ndarray:
    """The six anomaly sums of docs/physics/zprime.md §1 (SU(3)²X, SU(2)²X, Y²X, YX², X³, grav²X) with
    X_Q = X_U = X_D = q."""
    q, lep, e, n = c
    x_q = x_u = x_d = q  # quark Yukawas with X_H = 0
    return np.array(
        [
            np.sum(2 * x_q - x_u - x_d),
            np.sum(3 * x_q + lep),
            np.sum(x_q + 3 * lep - 8 * x_u - 2 * x_d - 6 * e),
            np.sum(x_q**2 - lep**2 - 2 * x_u**2 + x_d**2 + e**2),
            np.sum(6 * x_q**3 + 2 * lep**3 - 3 * x_u**3 - 3 * x_d**3 - e**3 - n**3),
            np.sum(6 * x_q + 2 * lep - 3 * x_u - 3 * x_d - e - n),
        ]
    )


def charges_from_catalog(index: int) -> Charges:
    """The charges of catalog set ``index`` (module docstring for the family order)."""
    cat = charge_catalog.catalog(CATALOG_MAX_CHARGE)
    if not 0 <= index < len(cat.muon_choices):
        raise ValueError(f"charges: catalog index {index} out of range 0..{len(cat.muon_choices) - 1}")
    if not cat.muon_choices[index]:
        raise ValueError(f"charges: catalog set {index} has no muon assignment (fails condition 13)")
    cols = cat.columns
    lep = np.array([cols[f"X_L{i}"][index] for i in (1, 2, 3)])
    e = np.array([cols[f"X_E{i}"][index] for i in (1, 2, 3)])
    n = np.array([cols[f"X_N{i}"][index] for i in (1, 2, 3)])
    mu_l, mu_e = cat.muon_choices[index][0]

    def families(values, muon):
        rest = list(values)
        rest.remove(muon)
        return (rest[0], muon, rest[1])

    return _charges(cols["X_q"][index], families(lep, mu_l), families(e, mu_e), n)


def is_lmu_ltau(c: Charges) -> bool:
    """Exactly the L_μ - L_τ charges of the ε(q²) loop formula (ν_R charges are irrelevant to it)."""
    lmu_ltau = BENCHMARKS["Lmu-Ltau"]
    return bool(np.all(c.q == 0) and np.array_equal(c.L, lmu_ltau.L) and np.array_equal(c.E, lmu_ltau.E))


def make_params(charges: Charges, g_X, m_Zp, epsilon=0.0, g_bs_L=0.0, g_bs_R=0.0) -> dict:
    """The params pytree of :mod:`flavorscan.kernels.zprime` for one point; ``epsilon`` a number or
    ``"loop"`` (loop-induced kinetic mixing, L_μ - L_τ only)."""
    c = charges
    if isinstance(epsilon, str):
        if epsilon != "loop":
            raise ValueError(f'epsilon: must be a number or "loop", got {epsilon!r}')
        if not is_lmu_ltau(c):
            raise ValueError('epsilon: "loop" (loop-induced mixing) is defined for the Lmu-Ltau charges only')
        epsilon_loop, epsilon = 1.0, 0.0
    else:
        epsilon_loop = 0.0
    for name, value in (("g_X", g_X), ("m_Zp", m_Zp)):
        if not np.isfinite(value) or (name == "m_Zp" and value <= 0) or (name == "g_X" and value < 0):
            raise ValueError(f"{name}: must be {'positive' if name == 'm_Zp' else 'non-negative'}, got {value!r}")
    scalars = dict(g_X=g_X, m_Zp=m_Zp, epsilon=epsilon, epsilon_loop=epsilon_loop, g_bs_L=g_bs_L, g_bs_R=g_bs_R)
    params = {k: np.asarray(v, dtype=np.float64) for k, v in scalars.items()}
    params.update(X_q=c.q, X_L=c.L, X_E=c.E, X_N=c.N)
    return params


def _data_file(name: str) -> Mapping:
    with (resources.files("flavorscan.kernels") / "data" / name).open("rb") as handle:
        return tomllib.load(handle)


@functools.lru_cache(maxsize=None)
def zprime_file() -> Mapping:
    """The parsed kernels/data/zprime.toml (values with units and sources)."""
    return _data_file("zprime.toml")


@functools.lru_cache(maxsize=None)
def trident_table() -> Mapping:
    """The parsed kernels/data/zprime_trident.toml (generated by scripts/trident_table.py)."""
    return _data_file("zprime_trident.toml")


@functools.lru_cache(maxsize=None)
def limits_file() -> Mapping:
    """The parsed kernels/data/zprime_limits.toml (limit curves and the ΔN_eff table, with sources)."""
    return _data_file("zprime_limits.toml")


_INPUT_KEYS = {
    "zp_Y_n": ("nsi", "Y_n"),
    "zp_E_nu": ("borexino", "E_nu"),
    "zp_P_ee": ("borexino", "P_ee"),
    "zp_m_B": ("bdecay", "m_B"),
    "zp_m_K": ("bdecay", "m_K"),
    "zp_tau_B": ("bdecay", "tau_B"),
    "zp_f_plus_r1": ("bdecay", "f_plus_r1"),
    "zp_f_plus_r2": ("bdecay", "f_plus_r2"),
    "zp_f_plus_m_fit": ("bdecay", "f_plus_m_fit"),
    "zp_q2_ref": ("bdecay", "q2_ref"),
}
TRIDENT_VARIANT = "nominal"
"""The block of zprime_trident.toml the kernel uses (the others quantify the beam and form-factor spread)."""
LIMIT_CURVES = {
    # inputs key prefix -> (table of zprime_limits.toml, x column, y column)
    "zp_babar_4mu": ("babar_4mu", "m", "g"),
    "zp_na64mu": ("na64mu", "m", "g"),
    "zp_belle2_inv": ("belle2_invisible", "m", "g"),
    "zp_bk_belle2": ("b_k_invisible_belle2", "m", "br"),
    "zp_bk_babar": ("b_k_invisible_babar", "m", "br"),
}


@functools.lru_cache(maxsize=None)
def neff_table() -> Mapping:
    """The parsed kernels/data/zprime_neff.toml (generated by scripts/neff_table.py)."""
    return _data_file("zprime_neff.toml")


def limit_arrays() -> dict:
    """The tabulated curves of zprime_limits.toml and the ΔN_eff table as inputs entries ``<prefix>_m`` and
    ``<prefix>_y`` (float64 arrays; an empty curve stays empty: no limit)."""
    data = limits_file()
    out = {}
    for prefix, (table, x, y) in LIMIT_CURVES.items():
        out[f"{prefix}_m"] = np.asarray(data[table][x], dtype=np.float64).reshape(-1)
        out[f"{prefix}_y"] = np.asarray(data[table][y], dtype=np.float64).reshape(-1)
    neff = neff_table()
    out["zp_neff_m"] = np.asarray(neff["m"], dtype=np.float64)
    out["zp_neff_y"] = np.asarray(neff["delta_n_eff"], dtype=np.float64)
    return out


def zprime_inputs(measurements: str = "paper2022", **base_kwargs) -> dict:
    """kernels.constants.base_inputs extended by the Z' constants of zprime.toml (keys ``zp_*``), the trident
    moment table and the limit curves (docs/physics/zprime.md §3)."""
    inputs = base_inputs(measurements, **base_kwargs)
    data = zprime_file()
    inputs.update(
        {
            key: np.asarray(data[section][name]["value"], dtype=np.float64)
            for key, (section, name) in _INPUT_KEYS.items()
        }
    )
    table = trident_table()
    block = table[TRIDENT_VARIANT]
    inputs["zp_trident_log10_m"] = np.asarray(table["log10_m"], dtype=np.float64)
    inputs["zp_trident_log_moments"] = np.log(np.asarray([block[k] for k in ("P1_V", "P2_V", "P1_A", "P2_A")],
                                                        dtype=np.float64))
    inputs["zp_trident_rho"] = np.asarray(block["rho"], dtype=np.float64)
    inputs.update(limit_arrays())
    return inputs
