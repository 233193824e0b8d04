#!/usr/bin/env python3
"""Plain numpy baseline of ``flavorscan bench --model lq`` over the 2022 letter's observables and constraints.

Coverage. The baseline evaluates the observables of the 2022 letter (Julio-Saad-Thapa) that it has always computed:
97 observable columns (counting real and imaginary parts) and the 43 default paper2022 constraints on them. The JAX
pipeline evaluates all 153 observable columns and 90 constraints of the set; the 56 columns it adds (B_s -> l l,
l -> 3l and tau -> l + meson, meson mixing, Z -> ee/mumu and the invisible width, Z/W universality ratios, Q_W(Cs),
pi/K -> e nu over mu nu, K_L -> pi nu nu, R(K* nu nu), LHC pair production and the further single-coupling LHC bounds)
and their 47 constraints are left out on purpose. The constraint list is derived, not listed: every default,
lq-applicable constraint of the set whose observable is computed here (``enabled_constraints``), which is exactly
the JAX constraints on those observables; viability is the AND over that subset. So the JAX/numpy throughput ratio
understates JAX's speed-up per unit of physics.

The work, written the way one would write it with numpy on stacked (N, 3, 3) arrays, without JAX:

    sampling      all 36 complex couplings, |entry| log-uniform in [1e-4, 1], phase uniform in [0, 2 pi);
                  M_R2, M_S1 uniform in [1, 3] TeV; m0I0 log-uniform in [1e-8, 1e-5] GeV (numpy PCG64,
                  so the points differ from JAX's, the distribution does not)
    neutrinos     M_nu of letter Eq. (3), signs (+,-,-), 1-TeV quark masses; Takagi through np.linalg.svd
                  on the stack; masses, splittings, ordering, PMNS angles, delta_CP (Jarlskog), Majorana phases
    dipoles       exact one-loop g-2 and l_i -> l_j gamma from R^{5/3}, R^{2/3}, S1 (letter loop quark masses)
    mu-e conv.    Kitano-Koike-Okada vector operators in gold
    Z -> tau tau  one-loop vertex shift (heavy-quark Taylor term + light-quark threshold functions)
    b -> s l l    C9 = C10 of R^{2/3}, R_K and R_K* in both q^2 bins
    b -> c tau nu C_VL (with its SMEFT running factor, top and u-c parts of y-hat^L), C_SL, C_T (wilson matrix
                  over eta_EW) per neutrino flavour at 4.8 GeV; R(D), R(D*), BR(B_c -> tau nu) as ratios times the
                  SM predictions of the inputs ([sm] of constants.toml)
    nu modes      NSI epsilons; B -> K nu nu ratio and K+ -> pi+ nu nu with the SMEFT running factors of C_L
                  (0, 1, 2 top-row factors of y-hat^L), X_t = 1.462
    bounds        kaon table, LHC single couplings of the letter, mass floors
    constraints   the 43 constraints above (pass flags; chi^2 with sigma_theory added in quadrature, asymmetric
                  sigmas and the R(D)-R(D*) correlation; penalties), viability, compaction of the viable rows

Formulas follow docs/physics/leptoquark.md and kernels/leptoquark/*.py, re-written in numpy (nothing is imported
from the JAX kernels); constants and measurement data are read from kernels/data through kernels.constants (a
numpy-only module). It is a performance baseline, not a reference, but tests/scanner/test_bench.py checks on a few
hundred points that every shared column, pass flag and chi^2 agrees with the JAX pipeline (``--check``).

    python scripts/numpy_baseline.py --n 65536 [--chunk-size 16384] [--repeat 3] [--json]
    python scripts/numpy_baseline.py --check 300        # agreement with the JAX pipeline on JAX's points
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flavorscan.kernels.constants import base_inputs, measurement_set  # noqa: E402
from flavorscan.kernels.names import COUPLINGS, LEPTONS, QUARKS  # noqa: E402

MEASUREMENTS = "paper2022"
NU_TERM_SIGNS = (1.0, -1.0, -1.0)
N_C = 3.0
E, MU, TAU = 0, 1, 2


# ================================================================================================ sampling

def sample(rng: np.random.Generator, n: int) -> dict:
    """The fixed benchmark distribution (docs/interface.md, ``flavorscan bench --model lq``)."""
    params = {}
    for name in COUPLINGS:
        magnitude = np.exp(rng.uniform(np.log(1e-4), 0.0, size=(n, 3, 3)))
        phase = rng.uniform(0.0, 2.0 * np.pi, size=(n, 3, 3))
        params[name] = magnitude * np.exp(1j * phase)
    params["M_R2"] = rng.uniform(1000.0, 3000.0, size=n)
    params["M_S1"] = rng.uniform(1000.0, 3000.0, size=n)
    params["m0I0"] = np.exp(rng.uniform(np.log(1e-8), np.log(1e-5), size=n))
    return params


# ================================================================================================ helpers

def T(a):
    """Transpose of every matrix in a stack."""
    return np.swapaxes(a, -1, -2)


def abs2(z):
    return z.real**2 + z.imag**2


def f_hat(f_r, ckm):
    """f-hat^R = V^dagger f^R (rows d, s, b)."""
    return ckm.conj().T @ f_r


def y_hat(y_l, ckm):
    """y-hat^L = -V^T y^L (rows d, s, b)."""
    return -ckm.T @ y_l


# ================================================================================================ neutrinos

def neutrino_mass_matrix(p, c):
    """Letter Eq. (3): M_nu = m0 I0 {s1 2 yL^T D_u fL + s2 (m_tau/m_t) D_l yR^T fL + s3 (m_tau/m_t) D_l fR^T yL} + (.)^T."""
    s1, s2, s3 = NU_TERM_SIGNS
    m_up, m_lep = c["m_up_nu"], c["m_lep"]
    d_up = (m_up / m_up[2])[None, :, None]
    d_lep = (m_lep / m_lep[2])[None, :, None]
    tau_over_top = m_lep[2] / m_up[2]
    core = (2.0 * s1 * T(p["yL"]) @ (d_up * p["fL"])
            + s2 * tau_over_top * d_lep * (T(p["yR"]) @ p["fL"])
            + s3 * tau_over_top * d_lep * (T(p["fR"]) @ p["yL"]))
    return p["m0I0"][:, None, None] * (core + T(core))


def takagi(m):
    """M = Q diag(s) Q^T through the SVD M = U diag(s) V^H: for symmetric M, conj(V) = U D with D a diagonal
    phase matrix, so Q = U D^{1/2}. s descending."""
    u, s, vh = np.linalg.svd(m)
    d = np.sum(u.conj() * T(vh), axis=-2)  # D_kk = sum_i conj(U_ik) conj(V_ik) = sum_i conj(U_ik) Vh_ki
    d = d / np.abs(d)
    return s, u * np.sqrt(d)[:, None, :]


def neutrino_observables(p, c):
    m_nu = neutrino_mass_matrix(p, c)
    sigma, q = takagi(m_nu)
    heavy, mid, light = sigma[:, 0], sigma[:, 1], sigma[:, 2]
    inverted = (mid**2 - light**2) >= (heavy**2 - mid**2)
    u_desc = q.conj()  # PMNS columns: heavy, mid, light
    u = np.where(inverted[:, None, None], u_desc[:, :, [1, 0, 2]], u_desc[:, :, [2, 1, 0]])
    m1 = np.where(inverted, mid, light)
    m2 = np.where(inverted, heavy, mid)
    m3 = np.where(inverted, light, heavy)

    a2 = abs2(u)
    s13 = a2[:, 0, 2]
    c13 = 1.0 - s13
    s12 = a2[:, 0, 1] / c13
    s23 = a2[:, 1, 2] / c13
    c12, c23 = 1.0 - s12, 1.0 - s23
    jarlskog = np.imag(u[:, 1, 2] * u[:, 0, 2].conj() * u[:, 0, 1] * u[:, 1, 1].conj())
    sin_part = 2.0 * jarlskog / c13
    cos_part = a2[:, 1, 0] - s12 * c23 - c12 * s23 * s13
    delta = np.arctan2(sin_part, cos_part)
    alpha21 = 2.0 * np.angle(u[:, 0, 1] * u[:, 0, 0].conj())
    alpha31 = 2.0 * (np.angle(u[:, 0, 2] * u[:, 0, 0].conj()) + delta)

    m1, m2, m3 = 1e9 * m1, 1e9 * m2, 1e9 * m3  # eV
    two_pi = 2.0 * np.pi
    return {
        "m1_eV": m1, "m2_eV": m2, "m3_eV": m3, "sum_m_eV": m1 + m2 + m3,
        "m_bb_eV": 1e9 * np.abs(m_nu[:, 0, 0]),
        "dm21_sq": m2**2 - m1**2,
        "dm3l_sq": np.where(inverted, m3**2 - m2**2, m3**2 - m1**2),
        "ordering": inverted.astype(np.float64),
        "s12_sq": s12, "s23_sq": s23, "s13_sq": s13,
        "delta_cp": np.mod(delta, two_pi), "alpha21": np.mod(alpha21, two_pi), "alpha31": np.mod(alpha31, two_pi),
    }


# ================================================================================================ loop functions

# x = m_q^2/M^2; closed forms (Dorsner et al. 2016, Eq. 118), Taylor series in a = 1 - x for |1 - x| < 0.05
_n = np.arange(14.0)
_SERIES = {"f_S": 1.0 / (2.0 * (_n + 2) * (_n + 3)), "f_F": 1.0 / (2.0 * (_n + 3) * (_n + 4)),
           "g_S": 1.0 / (_n + 2), "g_F": 1.0 / (_n + 3)}


def loop_functions(x, derivative=False):
    """f_S, f_F, g_S, g_F (and d g_F/dx) at x = m_q^2/M^2, closed forms sharing ln x and powers of (x - 1);
    the Taylor series in a = 1 - x replaces them for |1 - x| < 0.05, where the closed forms cancel."""
    near = np.abs(x - 1.0) < 0.05
    xs = np.where(near, 2.0, x) if near.any() else x
    lnx = np.log(xs)
    xlnx = np.where(xs > 0, xs * np.where(xs > 0, lnx, 0.0), 0.0)
    d = xs - 1.0
    d2 = d * d
    d3 = d2 * d
    d4 = d2 * d2
    out = [
        (xs + 1) / (4 * d2) - xlnx / (2 * d3),
        (xs * xs - 5 * xs - 2) / (12 * d3) + xlnx / (2 * d4),
        1 / d - lnx / d2,
        (xs - 3) / (2 * d2) + lnx / d3,
    ]
    series = [_SERIES["f_S"], _SERIES["f_F"], _SERIES["g_S"], _SERIES["g_F"]]
    if derivative:
        out.append((5 - xs) / (2 * d3) + 1 / (xs * d3) - 3 * lnx / d4)
        series.append(-_n[1:] / (_n[1:] + 3))  # d g_F/dx = -sum n a^(n-1)/(n+3)
    if near.any():
        a = 1.0 - x[near]
        for value, coefficients in zip(out, series):
            value[near] = np.polynomial.polynomial.polyval(a, coefficients)
    return out


# ================================================================================================ dipoles

def dipole_coefficients(m_q, charge, l, r, mass, m_lep):
    """(sigma_L, sigma_R)[n, i, j] of one scalar with vertex q-bar (l P_L + r P_R) lepton
    (docs/physics/leptoquark.md sec. 4)."""
    x = (m_q[None, :] / mass[:, None]) ** 2
    fs, ff, gs, gf = loop_functions(x)
    big_f = charge * fs - ff
    big_g = charge * gs - gf
    norm = (-N_C / (16.0 * np.pi**2 * mass**2))[:, None, None]
    m_i, m_j = m_lep[None, None, :], m_lep[None, :, None]
    rr = T(r.conj()) @ (big_f[:, :, None] * r)  # [j, i] = sum_q r*_qj F_q r_qi
    if l is None:  # R^{2/3}: right-handed couplings only
        sigma_r = norm * (m_j * rr)
        sigma_l = norm * (m_i * rr)
    else:
        ll = T(l.conj()) @ (big_f[:, :, None] * l)
        lr = T(l.conj()) @ ((m_q[None, :] * big_g)[:, :, None] * r)
        sigma_r = norm * (m_i * ll + m_j * rr + lr)
        sigma_l = norm * (m_i * rr + m_j * ll + T(lr.conj()))
    return T(sigma_l), T(sigma_r)


def dipole_observables(p, c, fh):
    m_lep = c["m_lep"]
    parts = [
        dipole_coefficients(c["m_up_loop"], 5.0 / 3.0, p["fL"], p["fR"], p["M_R2"], m_lep),
        dipole_coefficients(c["m_down_loop"], 2.0 / 3.0, None, fh, p["M_R2"], m_lep),
        dipole_coefficients(c["m_up_loop"], 1.0 / 3.0, p["yL"], p["yR"], p["M_S1"], m_lep),
    ]
    sigma_l = sum(s[0] for s in parts)
    sigma_r = sum(s[1] for s in parts)
    delta_a = m_lep[None, :] * np.real(np.diagonal(sigma_l, axis1=1, axis2=2) + np.diagonal(sigma_r, axis1=1, axis2=2))
    out = {"delta_a_mu": delta_a[:, MU], "delta_a_e": delta_a[:, E]}
    for name, i, j in (("br_mu_e_gamma", MU, E), ("br_tau_e_gamma", TAU, E), ("br_tau_mu_gamma", TAU, MU)):
        rate = c["alpha_dipole"] * (m_lep[i] ** 2 - m_lep[j] ** 2) ** 3 / (4.0 * m_lep[i] ** 3 * c["gamma_lep"][i])
        out[name] = rate * (abs2(sigma_l[:, i, j]) + abs2(sigma_r[:, i, j]))
    return out


# ================================================================================================ mu -> e conversion

AU_V_P, AU_V_N, AU_CAPTURE = 0.0974, 0.146, 13.07e6


def conversion_observables(p, c, fh):
    norm = 1.0 / (2.0 * np.sqrt(2.0) * c["G_F"])
    r2, s1 = 1.0 / p["M_R2"] ** 2, 1.0 / p["M_S1"] ** 2

    def pair(m):
        return m[:, 0, MU] * m[:, 0, E].conj()

    g_rv_u = norm * (pair(p["fR"]) * r2 - pair(p["yR"]) * s1)
    g_lv_u = norm * (pair(p["fL"]) * r2 - pair(p["yL"]) * s1)
    g_rv_d = norm * pair(fh) * r2

    def gold(g_u, g_d):
        return (2 * g_u + g_d) * AU_V_P + (g_u + 2 * g_d) * AU_V_N

    omega = 2.0 * c["G_F"] ** 2 * c["m_lep"][MU] ** 5 * (abs2(gold(g_lv_u, 0.0)) + abs2(gold(g_rv_u, g_rv_d)))
    return {"cr_mu_e_au": omega / c["hbar"] / AU_CAPTURE}


# ================================================================================================ Z -> tau tau

def threshold_functions(r):
    """h0(r), h1(r) (kernels/leptoquark/zdecay.py) for r = m_q^2/m_Z^2: constants of the quark masses."""
    rc = r + 0j
    beta = np.sqrt(1 - 4 * rc)
    t_plus = 0.5 * (1 + beta)
    t_minus = rc / t_plus

    def log_int(a):
        return (1 - a) * np.log(1 - a) + a * np.log(-a) - 1

    def weighted_log_int(a):
        q = a**2 / 2 - a**3 / 3
        return (1 / 6 - q) * np.log(1 - a) + q * np.log(-a) - 5 / 36 - a / 3 + a**2 / 3

    l0 = np.real(log_int(t_plus) + log_int(t_minus)) - np.log(r)
    l1 = np.real(weighted_log_int(t_plus) + weighted_log_int(t_minus))
    return r * l0 + 1 / 6, np.log(r) / 3 - 2 * l1


def z_shift(coupling_sq, m_q, mass, a_c, a_o, g_lep, m_z, h):
    x = (m_q[None, :] / mass[:, None]) ** 2
    sigma = ((m_z / mass) ** 2)[:, None]
    _, ff, gs, gf, dgf = loop_functions(x, derivative=True)
    taylor = a_c / 3 * (gf - 2 * ff) - a_o / 6 * x * dgf - (a_c - g_lep) / 6 * (1 - (2 + x) * gs + 2 * gf + 2 * ff)
    h0, h1 = h
    per_quark = (a_o - a_c) * x * gs + sigma * (taylor + (a_c - a_o) * h0[None, :] + a_c * h1[None, :])
    return N_C / (16 * np.pi**2) * np.sum(coupling_sq * per_quark, axis=1)


def zdecay_observables(p, c, fh):
    s_w2, m_z = c["s_W2"], c["m_Z"]
    m_up, m_down = c["m_up_loop"], c["m_down_loop"]
    h_up, h_down = c["h_up"], c["h_down"]
    u_l, u_r = 0.5 - 2 / 3 * s_w2, -2 / 3 * s_w2
    d_l, d_r = -0.5 + 1 / 3 * s_w2, 1 / 3 * s_w2
    g_l, g_r = -0.5 + s_w2, s_w2
    tau = lambda m: abs2(m[:, :, TAU])  # noqa: E731
    dgl = (z_shift(tau(p["fL"]), m_up, p["M_R2"], u_r, u_l, g_l, m_z, h_up)
           + z_shift(tau(p["yL"]), m_up, p["M_S1"], -u_l, -u_r, g_l, m_z, h_up))
    dgr = (z_shift(tau(p["fR"]), m_up, p["M_R2"], u_l, u_r, g_r, m_z, h_up)
           + z_shift(tau(fh), m_down, p["M_R2"], d_l, d_r, g_r, m_z, h_down)
           + z_shift(tau(p["yR"]), m_up, p["M_S1"], -u_r, -u_l, g_r, m_z, h_up))
    return {"dgamma_z_tautau_rel": 2 * (g_l * dgl + g_r * dgr) / (g_l**2 + g_r**2)}


# ================================================================================================ b -> s l l

LFU_FITS = {"r_k": (1.0004, -0.0201, 0.0622), "r_kstar": (0.9965, -0.1098, 0.0709),
            "r_k_low": (0.9929, -0.0211, 0.0625), "r_kstar_low": (0.9832, -0.0538, 0.0253)}


def bsll_observables(p, c, fh):
    ckm = c["ckm"]
    lambda_t = ckm[2, 2] * ckm[2, 1].conj()
    norm = -np.pi * c["v"] ** 2 / (2 * c["alpha_bsll"] * lambda_t * p["M_R2"] ** 2)
    c9 = norm[:, None, None] * fh[:, 1, :, None] * fh[:, 2, None, :].conj()  # [l1, l2] = fhat_s,l1 fhat*_b,l2
    out = {}
    for pair, (i, j) in {"ee": (0, 0), "mumu": (1, 1), "emu": (0, 1), "mue": (1, 0)}.items():
        for wc in ("c9", "c10"):
            out[f"{wc}_{pair}"] = c9[:, i, j].real
            out[f"{wc}_{pair}_im"] = c9[:, i, j].imag
    for name, (r_sm, a, b) in LFU_FITS.items():
        mumu, ee = c9[:, 1, 1], c9[:, 0, 0]
        out[name] = r_sm * (1 + a * mumu.real + b * abs2(mumu)) / (1 + a * ee.real + b * abs2(ee))
    return out


# ================================================================================================ b -> c tau nu

RUN_SCALES = np.log(np.array([1000.0, 1500.0, 2000.0]))
RUN_MATRICES = np.array([[[1.603, -0.269], [-0.0039, 0.872]], [[1.640, -0.314], [-0.0045, 0.868]],
                         [[1.666, -0.347], [-0.0049, 0.865]]])
CVL_RUN = np.array([[1.0518, 1.0410], [1.0606, 1.0481], [1.0670, 1.0532]])  # (top part, u-c part) of y-hat_b
R_D_TERMS = (1.114, 1.559, 0.658, 0.956)  # |C_S|^2, Re[vl C_S*], |C_T|^2, Re[vl C_T*]
R_DSTAR_TERMS = (0.0531, -0.139, 17.16, -5.345)
BC_CHIRAL = 4.436


def log_interpolate(table, mass):
    """table[k] (k over the scales 1, 1.5, 2 TeV) at each mass, linear in ln(mass), extended linearly: (n, ...)."""
    x = np.log(mass)
    k = np.clip(np.searchsorted(RUN_SCALES, x) - 1, 0, 1)
    w = (x - RUN_SCALES[k]) / (RUN_SCALES[k + 1] - RUN_SCALES[k])
    w = w.reshape(w.shape + (1,) * (table.ndim - 1))
    return table[k] + w * (table[k + 1] - table[k])


def run_to_mb(c_sl, c_t, mass, eta):
    """(C_SL, C_T) from the leptoquark mass to 4.8 GeV (wilson's flavio-basis matrix over eta_EW)."""
    m = log_interpolate(RUN_MATRICES, mass) / eta
    return m[:, 0, 0, None] * c_sl + m[:, 0, 1, None] * c_t, m[:, 1, 0, None] * c_sl + m[:, 1, 1, None] * c_t


def bctaunu_observables(p, c, fh, yh):
    ckm = c["ckm"]
    norm = 4 * np.sqrt(2) * c["G_F"] * ckm[1, 2]
    s1 = (1 / (norm * p["M_S1"] ** 2))[:, None]
    r2 = (1 / (norm * p["M_R2"] ** 2))[:, None]
    y_b = yh[:, 2, :]
    y_b_top = -ckm[2, 2] * p["yL"][:, 2, :]  # the part of y-hat_b from the top row of y^L
    run = log_interpolate(CVL_RUN, p["M_S1"])  # SMEFT running of C_VL (top part, u-c part)
    y_b_run = run[:, 0, None] * y_b_top + run[:, 1, None] * (y_b - y_b_top)
    c_vl = -s1 * y_b_run * p["yL"][:, 1, 2, None].conj()
    c_sl_s1 = s1 * y_b * p["yR"][:, 1, 2, None].conj()
    c_sl_r2 = -r2 * p["fL"][:, 1, :] * fh[:, 2, 2, None].conj()
    sl_s1, t_s1 = run_to_mb(c_sl_s1, -c_sl_s1 / 4, p["M_S1"], c["eta_EW"])
    sl_r2, t_r2 = run_to_mb(c_sl_r2, c_sl_r2 / 4, p["M_R2"], c["eta_EW"])
    c_sl, c_t = sl_s1 + sl_r2, t_s1 + t_r2
    out = {}
    for wc, values in (("c_vl", c_vl), ("c_sl", c_sl), ("c_t", c_t)):
        for k, nu in enumerate(("nue", "numu", "nutau")):
            base = wc if nu == "nutau" else f"{wc}_{nu}"
            out[base], out[base + "_im"] = values[:, k].real, values[:, k].imag
    vl = c_vl + np.array([0.0, 0.0, 1.0])

    def cross(a, b):
        return np.real(a * b.conj())

    def ratio(terms):
        ss, vs, tt, vt = terms
        return (abs2(vl) + ss * abs2(c_sl) + vs * cross(vl, c_sl) + tt * abs2(c_t) + vt * cross(vl, c_t)).sum(axis=1)

    out["r_d"] = c["sm_r_d"] * ratio(R_D_TERMS)
    out["r_dstar"] = c["sm_r_dstar"] * ratio(R_DSTAR_TERMS)
    out["br_bc_taunu"] = c["sm_br_bc_taunu"] * abs2(vl - BC_CHIRAL * c_sl).sum(axis=1)
    return out


# ================================================================================================ neutral currents

C_L_SM, KAPPA_PLUS, DELTA_EM, X_T, P_C = -6.53, 5.173e-11, -0.003, 1.462, 0.404
NUNU_RUN = {  # C_L(low)/C_L,tree for 0, 1, 2 factors of y-hat from the top row of y^L, at 1, 1.5, 2 TeV
    (2, 1): np.array([[1.04027, 1.05387, 1.02744], [1.04733, 1.06317, 1.03268], [1.05250, 1.06980, 1.03640]]),
    (0, 1): np.array([[1.01744, 0.99142, 0.96638], [1.02736, 0.99747, 0.96830], [1.03445, 1.00265, 0.96970]]),
}


def neutral_observables(p, c, yh):
    ckm, eye = c["ckm"], np.eye(3)
    f_u, y_d = p["fL"][:, 0, :], yh[:, 0, :]
    eps = 3 / (4 * np.sqrt(2) * c["G_F"]) * (
        f_u.conj()[:, :, None] * f_u[:, None, :] / p["M_R2"][:, None, None] ** 2
        - y_d.conj()[:, :, None] * y_d[:, None, :] / p["M_S1"][:, None, None] ** 2)
    out = {}
    for i, a in enumerate(LEPTONS):
        out[f"eps_nsi_{a}{a}"] = eps[:, i, i].real
        for j in range(i + 1, 3):
            out[f"eps_nsi_{a}{LEPTONS[j]}"] = np.abs(eps[:, i, j])
    top = -ckm[2][None, :, None] * p["yL"][:, 2, None, :]  # y-hat^L from the top row of y^L
    parts = ((yh - top, 0), (top, 1))

    def c_l(q_in, q_out):
        """C_L^{ba} [n, b, a] at the low scale: tree level times the running factor of each product of parts."""
        lam_t = ckm[2, q_in] * ckm[2, q_out].conj()
        norm = np.pi * c["v"] ** 2 / (2 * c["alpha_bsll"] * lam_t * p["M_S1"] ** 2)
        run = log_interpolate(NUNU_RUN[q_in, q_out], p["M_S1"])
        total = 0.0
        for y_out, n_out in parts:
            for y_in, n_in in parts:
                product = y_out[:, q_out, :, None].conj() * y_in[:, q_in, None, :]
                total = total + run[:, n_out + n_in, None, None] * product
        return norm[:, None, None] * total

    out["r_nunu_k"] = abs2(eye + c_l(2, 1) / C_L_SM).sum(axis=(1, 2)) / 3
    lam = np.abs(ckm[0, 1])
    lambda_c = ckm[1, 1].conj() * ckm[1, 0]
    top = ckm[2, 0] * ckm[2, 1].conj() * (X_T * eye - c["s_W2"] * c_l(0, 1)) / lam**5
    charm = lambda_c.real * P_C / lam * eye
    kappa = KAPPA_PLUS * (lam / 0.225) ** 8 * (1 + DELTA_EM) / 3
    out["br_kp_pinunu"] = kappa * (top.imag**2 + (charm + top.real) ** 2).sum(axis=(1, 2))
    return out


# ================================================================================================ bounds

def bound_observables(p, fh, yh):
    d, s, b = 0, 1, 2
    f, cf, y = fh, fh.conj(), yh
    ee = f[:, d, E] * cf[:, s, E]
    mue = f[:, d, MU] * cf[:, s, E]
    emu = f[:, s, MU] * cf[:, d, E]
    y_ds = y[:, d, :, None] * y[:, s, None, :].conj()
    off = 1.0 - np.eye(3)
    out = {
        "bound_kl_ee": np.abs(ee), "bound_kl_emu": np.abs(mue + emu), "bound_kl_pi_emu": np.abs(mue - emu),
        "bound_kp_pi_ee": np.abs(ee), "bound_kp_pi_emu": np.abs(mue), "bound_kp_pi_mue": np.abs(f[:, d, E] * cf[:, s, MU]),
        "bound_kk_mixing": np.abs(np.sum(cf[:, d, :] * f[:, s, :], axis=1)),
        "bound_kpinunu_ee": y_ds[:, E, E].real,
        "bound_kpinunu_offdiag": np.sqrt(np.sum(abs2(y_ds) * off, axis=(1, 2))),
        "bound_lhc_fhat_se": np.abs(f[:, s, E]), "bound_lhc_fhat_be": np.abs(f[:, b, E]),
        "bound_lhc_fhat_btau": np.abs(f[:, b, TAU]), "bound_lhc_fl_ctau": np.abs(p["fL"][:, 1, TAU]),
        "bound_lhc_fl_ue": np.abs(p["fL"][:, 0, E]), "bound_lhc_fl_umu": np.abs(p["fL"][:, 0, MU]),
        "bound_lhc_yr_ctau": np.abs(p["yR"][:, 1, TAU]),
        "bound_mass_r2": p["M_R2"], "bound_mass_s1": p["M_S1"],
    }
    for i, a in enumerate(LEPTONS):
        for j, bb in enumerate(LEPTONS):
            out[f"bound_bknunu_{a}{bb}"] = np.real(y[:, b, i] * y[:, s, j].conj())
    return out


# ================================================================================================ all observables

def constants() -> dict:
    c = base_inputs(MEASUREMENTS, nu_quark_masses="1TeV", loop_quark_masses="letter", nu_term_signs=NU_TERM_SIGNS)
    c = {k: (v if np.ndim(v) else float(v)) for k, v in c.items()}
    c["h_up"] = threshold_functions((c["m_up_loop"] / c["m_Z"]) ** 2)
    c["h_down"] = threshold_functions((c["m_down_loop"] / c["m_Z"]) ** 2)
    return c


def observables(p: dict, c: dict) -> dict:
    fh = f_hat(p["fR"], c["ckm"])
    yh = y_hat(p["yL"], c["ckm"])
    out = {}
    out.update(neutrino_observables(p, c))
    out.update(dipole_observables(p, c, fh))
    out.update(conversion_observables(p, c, fh))
    out.update(zdecay_observables(p, c, fh))
    out.update(bsll_observables(p, c, fh))
    out.update(bctaunu_observables(p, c, fh, yh))
    out.update(neutral_observables(p, c, yh))
    out.update(bound_observables(p, fh, yh))
    return out


SUMMARY_COLUMNS = ("chi2_total", "penalty_total", "viable", "reason")


def observable_names(columns) -> list[str]:
    """The observable columns of a column set (no parameters, no constraint or summary columns)."""
    parameters = {"M_R2", "M_S1", "m0I0"} | {k for k in columns if k[:3] in tuple(f"{c}_" for c in COUPLINGS)}
    return [k for k in columns if k not in parameters and k not in SUMMARY_COLUMNS
            and not k.startswith(("pass_", "chi2_", "penalty_"))]


def parameter_columns(p: dict) -> dict:
    columns = {k: p[k] for k in ("M_R2", "M_S1", "m0I0")}
    for name in COUPLINGS:
        for i, q in enumerate(QUARKS):
            for j, lep in enumerate(LEPTONS):
                columns[f"{name}_{q}{lep}"] = p[name][:, i, j].real
                columns[f"{name}_{q}{lep}_im"] = p[name][:, i, j].imag
    return columns


# ================================================================================================ constraints

def enabled_constraints(names) -> dict:
    """Every constraint of the set whose observable this pipeline computes, that applies to the leptoquark model
    and is on by default: the subset of the JAX bench card's constraints that this baseline covers."""
    spec = measurement_set(MEASUREMENTS)["constraint"]
    return {k: v for k, v in spec.items()
            if v["observable"] in names and v.get("default", True) and "lq" in v.get("models", ("lq",))}


def constraint_columns(values: dict, enabled: dict, n_sigma: float = 2.0) -> dict:
    """pass_/chi2_/penalty_<name>, chi2_total, penalty_total, viable (the semantics of the data files'
    README and scanner/constraints.py; a ``mass_scaling`` multiplies limits and both ends of ranges)."""
    out = {}
    n = len(values["M_R2"])
    viable = np.ones(n, bool)
    chi2_total = np.zeros(n)
    penalty_total = np.zeros(n)
    pulls = {}

    def excess(e):
        return (np.maximum(e, 0.0) / 0.1) ** 2

    def scaling(spec):
        s = spec.get("mass_scaling")
        return 1.0 if s is None else (values[s["mass"]] / 1000.0) ** s["power"]

    for name, spec in enabled.items():
        kind = spec["kind"]
        mapping = spec.get("prediction", {})
        x = mapping.get("offset", 0.0) + mapping.get("scale", 1.0) * values[spec["observable"]]
        pull = np.full(n, np.nan)
        if kind == "gaussian":  # experimental sigma (or sigma_lo/sigma_hi) (+) sigma_theory in quadrature
            theory = spec.get("sigma_theory", 0.0)
            lo_s = math.hypot(spec.get("sigma_lo", spec.get("sigma")), theory)
            hi_s = math.hypot(spec.get("sigma_hi", spec.get("sigma")), theory)
            pull = np.where(x >= spec["value"], (x - spec["value"]) / hi_s, (x - spec["value"]) / lo_s)
            passed = np.abs(pull) <= n_sigma
            penalty = np.maximum(np.abs(pull) - n_sigma, 0.0) ** 2
        elif kind == "oscillation":
            inv = values["ordering"] > 0.5

            def sig(o):
                if f"{o}_sigma" in spec:
                    return spec[f"{o}_sigma"]
                lo, hi = spec[f"{o}_range"]
                return [(spec[f"{o}_best"] - lo) / 3, (hi - spec[f"{o}_best"]) / 3]

            best = np.where(inv, spec["io_best"], spec["no_best"])
            lo = np.where(inv, spec["io_range"][0], spec["no_range"][0])
            hi = np.where(inv, spec["io_range"][1], spec["no_range"][1])
            s_lo = np.where(inv, sig("io")[0], sig("no")[0])
            s_hi = np.where(inv, sig("io")[1], sig("no")[1])
            pull = np.where(x >= best, (x - best) / s_hi, (x - best) / s_lo)
            passed = (x >= lo) & (x <= hi)
            penalty = excess((lo - x) / (hi - lo)) + excess((x - hi) / (hi - lo))
        elif kind == "upper_limit":
            limit = spec["value"] * scaling(spec)
            passed, penalty = x <= limit, excess(x / limit - 1)
        elif kind == "lower_limit":
            limit = spec["value"]
            passed, penalty = x >= limit, excess(1 - x / limit)
        elif kind == "range":
            lo, hi = spec["lo"] * scaling(spec), spec["hi"] * scaling(spec)
            passed = (x >= lo) & (x <= hi)
            penalty = excess((lo - x) / (hi - lo)) + excess((x - hi) / (hi - lo))
        elif kind == "mass_dependent_upper_limit":
            masses, limits = np.asarray(spec["masses"]), np.asarray(spec["limits"])
            m = values[spec["mass"]]
            k = np.clip(np.searchsorted(masses, m) - 1, 0, len(masses) - 2)
            limit = limits[k] + (limits[k + 1] - limits[k]) * (m - masses[k]) / (masses[k + 1] - masses[k])
            passed, penalty = x <= limit, excess(x / limit - 1)
        else:
            raise ValueError(f"{name}: unknown constraint kind {kind}")
        out[f"pass_{name}"] = passed
        out[f"chi2_{name}"] = pull * pull
        out[f"penalty_{name}"] = penalty
        viable &= passed
        penalty_total += penalty
        if kind in ("gaussian", "oscillation"):
            chi2_total += pull * pull
            pulls[name] = pull
    for corr in measurement_set(MEASUREMENTS).get("correlation", []):
        if all(o in pulls for o in corr["observables"]):
            a, b = (pulls[o] for o in corr["observables"])
            rho = corr["rho"]
            chi2_total += (a * a + b * b - 2 * rho * a * b) / (1 - rho * rho) - (a * a + b * b)
    finite = np.ones(n, bool)
    for v in values.values():
        finite &= np.isfinite(v)
    out["chi2_total"] = chi2_total
    out["penalty_total"] = penalty_total
    out["viable"] = viable & finite
    out["reason"] = np.where(finite, 0, 1).astype(np.int8)
    return out


# ================================================================================================ pipeline

def evaluate(p: dict, c: dict, enabled: dict | None = None) -> dict:
    """Every column of the points ``p`` (parameters, observables, constraints)."""
    columns = parameter_columns(p)
    columns.update(observables(p, c))
    if enabled is None:
        enabled = enabled_constraints(set(columns))
    columns.update(constraint_columns(columns, enabled))
    return columns


def run_chunk(rng, size, c, enabled):
    """One chunk: sample, evaluate, compact the viable rows."""
    columns = evaluate(sample(rng, size), c, enabled)
    keep = np.flatnonzero(columns["viable"])
    return {k: v[keep] for k, v in columns.items()}


def bench(n: int, chunk_size: int, repeat: int = 1, seed: int = 0) -> dict:
    c = constants()
    with np.errstate(all="ignore"):
        probe = evaluate(sample(np.random.default_rng(seed), 4), c)  # warm-up; fixes the constraint list
    enabled = enabled_constraints(set(probe))
    runs, cpu_runs, kept = [], [], 0
    for _ in range(repeat):
        rng = np.random.default_rng(seed)
        kept = 0
        t0, c0 = time.perf_counter(), time.process_time()
        with np.errstate(all="ignore"):
            for start in range(0, n, chunk_size):
                kept += len(run_chunk(rng, min(chunk_size, n - start), c, enabled)["viable"])
        runs.append(time.perf_counter() - t0)
        cpu_runs.append(time.process_time() - c0)
    seconds = min(runs)
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "model": "lq-numpy", "n": n, "dtype": "float64", "device": "cpu", "compile_seconds": 0.0,
        "seconds": seconds, "evals_per_s": n / seconds, "chunk_size": chunk_size, "repeat": repeat,
        "seconds_runs": runs, "cpu_seconds": cpu_runs[runs.index(seconds)], "viable": kept, "constraints": len(enabled),
        "observables": len(observable_names(probe)), "columns": len(probe),
        "numpy_version": np.__version__, "python": platform.python_version(), "load_average": load,
    }


def stage_breakdown(n: int, seed: int = 0, repeat: int = 3) -> dict:
    """Wall and CPU seconds (best of ``repeat``) of each stage on one chunk of n points (profiling aid)."""
    c = constants()
    stages = {}

    def timed(name, function):
        wall = cpu = math.inf
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            out = function()
            wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        stages[name] = {"seconds": wall, "cpu_seconds": cpu, "evals_per_s": n / wall}
        return out

    with np.errstate(all="ignore"):
        p = timed("sampling", lambda: sample(np.random.default_rng(seed), n))
        fh, yh = f_hat(p["fR"], c["ckm"]), y_hat(p["yL"], c["ckm"])
        m_nu = neutrino_mass_matrix(p, c)
        timed("takagi (SVD, inside neutrino_observables)", lambda: takagi(m_nu))
        timed("neutrino_observables", lambda: neutrino_observables(p, c))
        timed("dipole_observables", lambda: dipole_observables(p, c, fh))
        timed("conversion_observables", lambda: conversion_observables(p, c, fh))
        timed("zdecay_observables", lambda: zdecay_observables(p, c, fh))
        timed("bsll_observables", lambda: bsll_observables(p, c, fh))
        timed("bctaunu_observables", lambda: bctaunu_observables(p, c, fh, yh))
        timed("neutral_observables", lambda: neutral_observables(p, c, yh))
        timed("bound_observables", lambda: bound_observables(p, fh, yh))
        columns = parameter_columns(p)
        columns.update(observables(p, c))
        enabled = enabled_constraints(set(columns))
        timed("constraints", lambda: constraint_columns(columns, enabled))
        rng = np.random.default_rng(seed)
        timed("whole chunk (sample + evaluate + compact)", lambda: run_chunk(rng, n, c, enabled))
    return {"n": n, "stages": stages}


# ================================================================================================ agreement check

def jax_points(n: int, seed: int = 0):
    """n points sampled by the JAX benchmark card, the JAX pipeline's columns for them, and its constraints
    (``Constraint`` tuples: name, kind, observable, spec)."""
    import jax

    import flavorscan.kernels  # noqa: F401  (float64)
    from flavorscan.scanner.bench.throughput import bench_card
    from flavorscan.scanner.models.lq.sampling import sample as sample_lq
    from flavorscan.scanner.pipeline import make_point_function, model_inputs

    card = bench_card("lq", n, n, seed)
    params = jax.jit(lambda: sample_lq(card["scan"], 0, n))()
    point_function = make_point_function(card, model_inputs(card))
    columns = jax.jit(jax.vmap(point_function))(params)
    to_np = lambda tree: {k: np.asarray(v) for k, v in tree.items()}  # noqa: E731
    return to_np(params), to_np(columns), list(point_function.constraints.constraints)


ANGLES = ("delta_cp", "alpha21", "alpha31")


def compare(jax_columns: dict, np_columns: dict) -> dict:
    """Max relative difference per shared float column (angles: absolute, on the circle)."""
    report = {}
    for name, ours in np_columns.items():
        if name not in jax_columns or ours.dtype == bool or name.startswith(("pass_", "chi2_", "penalty_")):
            continue
        theirs = jax_columns[name].astype(np.float64)
        ours = ours.astype(np.float64)
        if name in ANGLES:
            diff = np.abs(np.angle(np.exp(1j * (ours - theirs))))
            scale = 1.0
        else:  # relative; a complex quantity (name, name_im) relative to its modulus
            diff = np.abs(ours - theirs)
            partner = name[:-3] if name.endswith("_im") else f"{name}_im"
            modulus = np.hypot(theirs, jax_columns[partner]) if partner in jax_columns else np.abs(theirs)
            scale = np.maximum(modulus, 1e-300)
        report[name] = float(np.nanmax(diff / scale)) if diff.size else 0.0
    return report


def check(n: int, seed: int = 0) -> dict:
    """Agreement of this baseline with the JAX pipeline on the JAX benchmark's first n points, over the constraints
    both evaluate (JAX's constraints whose observable the baseline computes; viability over that subset)."""
    params, jax_columns, jax_constraints = jax_points(n, seed)
    c = constants()
    with np.errstate(all="ignore"):
        ours = evaluate(params, c)
    enabled = [k[len("pass_"):] for k in ours if k.startswith("pass_")]
    covered = [con.name for con in jax_constraints if con.observable in ours]
    flags = {name: int(np.sum(ours[f"pass_{name}"] != jax_columns[f"pass_{name}"])) for name in enabled}
    viable_subset = (np.logical_and.reduce([jax_columns[f"pass_{name}"] for name in covered])
                     & (jax_columns["reason"] == 0))
    relative = compare(jax_columns, ours)
    return {
        "n": n,
        "constraints": len(enabled), "jax_constraints": len(jax_constraints),
        "observables": len(observable_names(ours)), "jax_observables": len(observable_names(jax_columns)),
        "same_constraints": sorted(enabled) == sorted(covered),
        "viable_mismatches": int(np.sum(ours["viable"] != viable_subset)),
        "viable_jax_subset": int(np.sum(viable_subset)), "viable_jax": int(np.sum(jax_columns["viable"])),
        "pass_mismatches": {k: v for k, v in flags.items() if v},
        "max_relative_difference": dict(sorted(relative.items(), key=lambda kv: -kv[1])),
    }


# ================================================================================================ command line

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=65536)
    parser.add_argument("--chunk-size", type=int, default=16384)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--breakdown", action="store_true", help="time each stage on one chunk")
    parser.add_argument("--check", type=int, metavar="N", help="compare with the JAX pipeline on N points")
    args = parser.parse_args(argv)
    if args.n < 1 or args.chunk_size < 1 or args.repeat < 1:
        parser.error("--n, --chunk-size and --repeat must be >= 1")
    if args.check:
        result = check(args.check, args.seed)
    elif args.breakdown:
        result = stage_breakdown(args.chunk_size, args.seed, args.repeat)
    else:
        result = bench(args.n, args.chunk_size, args.repeat, args.seed)
    if args.json or args.check:
        print(json.dumps(result, indent=None if args.json else 1))
    elif args.breakdown:
        print(f"{'stage (chunk of ' + str(result['n']) + ')':<44} {'ms':>9} {'cpu ms':>9} {'evals/s':>11}")
        for name, s in result["stages"].items():
            print(f"{name:<44} {1e3 * s['seconds']:9.1f} {1e3 * s['cpu_seconds']:9.1f} {s['evals_per_s']:11.4g}")
    else:
        print(f"numpy baseline: {result['n']:,d} points in {result['seconds']:.3f} s = {result['evals_per_s']:,.0f} evals/s "
              f"(chunk {result['chunk_size']}, {result['constraints']} constraints, {result['viable']} viable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
