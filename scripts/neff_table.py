#!/usr/bin/env python3
"""Regenerate the ΔN_eff table kernels/data/zprime_neff.toml: the extra radiation at the CMB from a Z' that is
in thermal equilibrium with the neutrinos and decays to them after neutrino decoupling (docs/physics/zprime.md
§3.8).

    python3 scripts/neff_table.py          # writes the table (about 2 s per mass, ~1 min)
    python3 scripts/neff_table.py 10 20    # print ΔN_eff at these masses [MeV], write nothing

Method (Escudero, JCAP 02 (2019) 007, arXiv:1812.05605; applied to L_μ - L_τ by Escudero, Hooper, Krnjaic,
Pierre, JHEP 03 (2019) 071, arXiv:1901.02010): the temperature equations of photons + e± (T_γ) and of the
three neutrino flavours at a common T_ν, with the SM ν-e energy-transfer rates (Maxwell-Boltzmann collision
terms with the Fermi-Dirac factors 0.884, 0.829 of arXiv:1812.05605, as coded in its public NUDEC_BSM
WIMP_nu.py, GitHub MiguelEA/nudec_BSM), plus a massive vector (g = 3, Bose-Einstein, zero chemical potential) in
equilibrium with the neutrinos; integrated from T = 20 MeV to t = 5e4 s. Simplifications against NUDEC_BSM:
no finite-temperature QED corrections, no m_e suppression of the rates, one common neutrino temperature. This
code gives N_eff(SM) = 3.039 (3.035 is the standard result without QED corrections), so the table holds
ΔN_eff = N_eff(m) - N_eff(SM, same code), to be added to 3.044. Valid for a Z' thermalised with the
neutrinos (g_ν ≳ 1e-9 at these masses, arXiv:1901.02010) that decays to neutrinos.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.integrate import quad, solve_ivp

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "kernels" / "data" / "zprime_neff.toml"
MASSES_MEV = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0,
              20.0, 22.0, 25.0, 30.0, 35.0, 40.0, 50.0, 60.0, 80.0, 100.0)

G_F = 1.1663787e-5  # GeV⁻²
M_E = 0.51099895e-3  # GeV
M_PLANCK = 1.22091e19  # GeV
PER_SECOND = 1.0 / 6.582119569e-25  # GeV -> s⁻¹
GL_E, GR, GL_MU = 0.727, 0.233, -0.273  # ν-e couplings g_L(ν_e), g_R, g_L(ν_μ,τ) as in NUDEC_BSM (PDG EW review)
F_FD, F_FD_MB = 0.884, 0.829  # Fermi-Dirac corrections to the Maxwell-Boltzmann collision terms (arXiv:1812.05605)


def thermo(temperature, mass, dof, fermion):
    """(ρ, p, dρ/dT) of a species in equilibrium at zero chemical potential [GeV⁴, GeV⁴, GeV³]."""
    if temperature < mass / 30.0:
        return 0.0, 0.0, 0.0
    x = mass / temperature
    sign = 1.0 if fermion else -1.0
    rho = quad(lambda e: e * e * np.sqrt(e * e - x * x) / (np.exp(e) + sign), x, x + 100.0)[0]
    pressure = quad(lambda e: (e * e - x * x) ** 1.5 / (np.exp(e) + sign), x, x + 100.0)[0]
    if fermion:
        kernel = lambda e: 0.25 * e**3 * np.sqrt(e * e - x * x) / np.cosh(e / 2.0) ** 2  # noqa: E731
    else:
        kernel = lambda e: 0.25 * e**3 * np.sqrt(e * e - x * x) / np.sinh(e / 2.0) ** 2  # noqa: E731
    drho = quad(kernel, x, x + 100.0)[0]
    t4 = temperature**4
    return (dof / (2 * np.pi**2) * t4 * rho, dof / (6 * np.pi**2) * t4 * pressure,
            dof / (2 * np.pi**2) * temperature**3 * drho)


def rho_nu(t):  # one flavour, ν + ν̄
    return 2 * 7 / 8 * np.pi**2 / 30 * t**4


def rho_gamma(t):
    return 2 * np.pi**2 / 30 * t**4


def n_eff(mass):
    """N_eff at late times with a vector of mass ``mass`` [GeV] in equilibrium with the neutrinos (0: none)."""

    def rhs(_, y):
        t_g, t_n = y
        rho_e, p_e, drho_e = thermo(t_g, M_E, 4, True)
        rho_x, p_x, drho_x = thermo(t_n, mass, 3, False) if mass > 0 else (0.0, 0.0, 0.0)
        rho = rho_gamma(t_g) + rho_e + 3 * rho_nu(t_n) + rho_x
        hubble = PER_SECOND * np.sqrt(rho * 8 * np.pi / (3 * M_PLANCK**2))
        transfer = 32 * F_FD * (t_g**9 - t_n**9) + 56 * F_FD_MB * t_g**4 * t_n**4 * (t_g - t_n)
        d_e = PER_SECOND * 4 * G_F**2 * (GL_E**2 + GR**2) / np.pi**5 * transfer
        d_mu = PER_SECOND * 4 * G_F**2 * (GL_MU**2 + GR**2) / np.pi**5 * transfer
        d_tn = -(hubble * (12 * rho_nu(t_n) + 3 * (rho_x + p_x)) - (2 * d_mu + d_e)) / (12 * rho_nu(t_n) / t_n + drho_x)
        d_tg = -(hubble * (4 * rho_gamma(t_g) + 3 * (rho_e + p_e)) + d_e + 2 * d_mu) / (4 * rho_gamma(t_g) / t_g + drho_e)
        return [d_tg, d_tn]

    t0 = 20e-3
    rho_e0 = thermo(t0, M_E, 4, True)[0]
    rho_x0 = thermo(t0, mass, 3, False)[0] if mass > 0 else 0.0
    hubble0 = PER_SECOND * np.sqrt((rho_gamma(t0) + rho_e0 + 3 * rho_nu(t0) + rho_x0) * 8 * np.pi / (3 * M_PLANCK**2))
    sol = solve_ivp(rhs, (1.0 / (2.0 * hubble0), 5e4), [t0, t0], method="LSODA", rtol=1e-10, atol=1e-14)
    t_g, t_n = sol.y[:, -1]
    return 8 / 7 * (11 / 4) ** (4 / 3) * 3 * rho_nu(t_n) / rho_gamma(t_g)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sm = n_eff(0.0)
    if argv:
        for text in argv:
            print(f"m = {text} MeV: Delta N_eff = {n_eff(float(text) * 1e-3) - sm:.4f} (N_eff(SM, this code) = {sm:.4f})")
        return 0
    delta = [n_eff(m * 1e-3) - sm for m in MASSES_MEV]
    lines = [
        "# Delta N_eff of a Z' in equilibrium with the neutrinos: GENERATED by scripts/neff_table.py (do not edit).",
        "# Method and validity: the script's docstring and docs/physics/zprime.md sec. 3.8. Read by",
        "# kernels.zprime.models.zprime_inputs; the kernel interpolates linearly in log m and uses 0 above the last mass.",
        'version = "2026.12-1"',
        'source = { text = "computed by the project: temperature equations and rates of Escudero 2019 (NUDEC_BSM, WIMP_nu) with a thermalised vector (g = 3) coupled to the neutrinos", arxiv = "1812.05605", where = "method of Secs. 2-3; applied to L_mu - L_tau in arXiv:1901.02010" }',
        f"n_eff_sm_this_code = {sm:.6f}",
        "m = [" + ", ".join(f"{m * 1e-3:.4g}" for m in MASSES_MEV) + "]",
        "delta_n_eff = [" + ", ".join(f"{d:.6f}" for d in delta) + "]",
        "",
    ]
    TABLE.write_text("\n".join(lines), encoding="utf-8")
    for m, d in zip(MASSES_MEV, delta):
        print(f"{m:6.1f} MeV  {d:.4f}")
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
