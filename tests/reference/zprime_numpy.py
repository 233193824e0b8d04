"""Independent numpy/scipy implementation of the Z' observables (docs/physics/zprime.md §2-4) for the tests.

Written from the formulas, not from kernels.zprime: adaptive scipy quadrature instead of fixed rules,
no closed forms for the loop integrals, scalar Python code. Inputs are the same ``inputs`` dict.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad

QUAD = dict(epsabs=0.0, epsrel=1e-13, limit=500)


def f_v(z):
    return _split_quad(lambda x, y: x * x * y / (x * x + y * z), z)


def f_a(z):
    return _split_quad(lambda x, y: (x * y * (4 - x) + 2 * x**3 / z) / (x * x + y * z), z)


def _split_quad(integrand, z):
    """∫0^1 integrand(x, 1 - x) dx: [0, 1/2] in x, [1/2, 1] in y = 1 - x (so 1 - x keeps its digits near
    x = 1), with breakpoints at every decade from the integrand's scales x ~ sqrt(z) (small z) and y ~ 1/z
    (large z) up to 1/2."""

    def pieces(scale, f):
        points = sorted({scale * 10.0**k for k in range(-1, 20) if 0 < scale * 10.0**k < 0.5})
        edges = [0.0, *points, 0.5]
        return sum(quad(f, a, b, **QUAD)[0] for a, b in zip(edges[:-1], edges[1:]))

    return pieces(math.sqrt(z), lambda x: integrand(x, 1 - x)) + pieces(1 / z, lambda y: integrand(1 - y, y))


def delta_a(g_v, g_a, m_zp, m_lep):
    z = (m_zp / m_lep) ** 2
    return (g_v**2 * f_v(z) - g_a**2 * f_a(z)) / (4 * math.pi**2)


def _half_interval_quad(integrand, singular):
    """2 ∫0^{1/2} for integrands symmetric under x -> 1 - x, split at the given log singularities."""
    edges = [0.0, *sorted(x for x in singular if 0 < x < 0.5), 0.5]
    # 1e-11: at the logarithmic end-point singularities QUADPACK cannot certify more
    return 2 * sum(quad(integrand, a, b, **(QUAD | {"epsrel": 1e-11}))[0] for a, b in zip(edges[:-1], edges[1:]))


def _threshold_zero(q2, m):
    """The root x0 < 1/2 of m² - x(1-x)q² (q² > 4m²), as 2m²/(q²(1 + β)) to keep its digits."""
    return [2 * m * m / (q2 * (1 + math.sqrt(1 - 4 * m * m / q2)))] if q2 > 4 * m * m else []


def vacuum_polarization(r):
    """Re ∫0^1 x(1-x) ln|1 - x(1-x) r| dx by quadrature."""
    return _half_interval_quad(lambda x: x * (1 - x) * math.log(abs(1 - x * (1 - x) * r)), _threshold_zero(r, 1.0))


def loop_epsilon(g_x, q2, inputs):
    """ε(q²) = (e g_X/2π²) ∫ x(1-x) ln|(m_τ² - x(1-x)q²)/(m_μ² - x(1-x)q²)| dx, one quadrature of the ratio."""
    m_mu, m_tau = float(inputs["m_lep"][1]), float(inputs["m_lep"][2])
    e = math.sqrt(4 * math.pi * float(inputs["alpha_dipole"]))

    def integrand(x):
        y = x * (1 - x) * q2
        return x * (1 - x) * math.log(abs((m_tau**2 - y) / (m_mu**2 - y)))

    integral = _half_interval_quad(integrand, _threshold_zero(q2, m_mu) + _threshold_zero(q2, m_tau))
    return e * g_x * integral / (2 * math.pi**2)


def couplings(params, inputs, q2=None):
    """Couplings with the kinetic mixing at virtuality q2 (default m_Z'^2; t-channel processes use 0)."""
    g = float(params["g_X"])
    e = math.sqrt(4 * math.pi * float(inputs["alpha_dipole"]))
    if float(params["epsilon_loop"]) == 1.0:
        eps = loop_epsilon(g, float(params["m_Zp"]) ** 2 if q2 is None else q2, inputs)
    else:
        eps = float(params["epsilon"])
    xl, xe, xq = (np.asarray(params[k], dtype=float) for k in ("X_L", "X_E", "X_q"))
    return {
        "eps": eps,
        "gv": [g * (xl[i] + xe[i]) / 2 - eps * e for i in range(3)],
        "ga": [g * (xe[i] - xl[i]) / 2 for i in range(3)],
        "gnu": [g * xl[i] for i in range(3)],
        "gu": [g * xq[i] + 2 / 3 * eps * e for i in range(3)],
        "gd": [g * xq[i] - 1 / 3 * eps * e for i in range(3)],
    }


def trident(c, m, inputs, weights):
    """σ/σ_SM from the project's full equivalent-photon calculation (kernels/zprime/trident_epa.py, itself tested
    against tests/reference/trident_direct.py): the Z' propagator summed over the Q² weights directly, with no
    table and no moments."""
    from flavorscan.kernels.zprime.trident_epa import ratio

    v2 = float(inputs["v"]) ** 2
    return float(ratio(weights, c["gnu"][1] * c["gv"][1] * v2, c["gnu"][1] * c["ga"][1] * v2, m, float(inputs["s_W2"])))


def _loglog(m, xs, ys, flat_below=False):
    """(value, inside) of a curve interpolated linearly in (log m, log y); no limit outside or if empty
    (``flat_below``: the first value below the first mass)."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    if xs.size == 0 or m > xs[-1] or (m < xs[0] and not flat_below):
        return math.inf, False
    if m < xs[0]:
        return float(ys[0]), True
    return float(np.exp(np.interp(math.log(m), np.log(xs), np.log(ys)))), True


def bounds(c, w, br, br_b_k_inv, m, inputs):
    """The tabulated-limit observables (docs/physics/zprime.md §3.7, §3.8) written from the formulas."""
    ml = inputs["m_lep"]

    def gamma_ll(mf):
        r = (mf / m) ** 2
        return math.sqrt(1 - 4 * r) * (1 + 2 * r) / (12 * math.pi) if 4 * r < 1 else 0.0

    ref_total = gamma_ll(ml[1]) + gamma_ll(ml[2]) + 2 / (24 * math.pi)
    ref = {"mumu": gamma_ll(ml[1]) / ref_total, "inv": (2 / (24 * math.pi)) / ref_total}
    prod = c["gv"][1] ** 2 + c["ga"][1] ** 2
    out = {}
    for name, prefix, channel in (("bound_babar_4mu", "zp_babar_4mu", "mumu"), ("bound_belle2_inv", "zp_belle2_inv", "inv"),
                                  ("bound_na64mu", "zp_na64mu", "inv")):
        limit, inside = _loglog(m, inputs[f"{prefix}_m"], inputs[f"{prefix}_y"])
        out[name] = math.sqrt(prod * br[channel] / ref[channel]) / limit if inside and ref[channel] > 0 else 0.0
    for name, prefix in (("bound_b_k_inv_belle2", "zp_bk_belle2"), ("bound_b_k_inv_babar", "zp_bk_babar")):
        limit, inside = _loglog(m, inputs[f"{prefix}_m"], inputs[f"{prefix}_y"], flat_below=True)
        out[name] = br_b_k_inv / limit if inside else 0.0
    xs, ys = np.asarray(inputs["zp_neff_m"]), np.asarray(inputs["zp_neff_y"])
    table = ys[0] if m < xs[0] else (0.0 if m > xs[-1] else float(np.interp(math.log(m), np.log(xs), ys)))
    share = w["nunu"] / (w["nunu"] + w["ee"]) if w["nunu"] + w["ee"] > 0 else 0.0
    out["delta_n_eff"] = table * share if max(abs(x) for x in c["gnu"]) > 1e-9 else 0.0
    return out


def nsi(c, m, inputs):
    gf, yn = float(inputs["G_F"]), float(inputs["zp_Y_n"])
    out = []
    for a in range(3):
        eps = [c["gnu"][a] * gv / (math.sqrt(2) * gf * m * m) for gv in (c["gv"][0], c["gu"][0], c["gd"][0])]
        out.append(eps[0] + (2 + yn) * eps[1] + (1 + 2 * yn) * eps[2])
    return out


def borexino(c, m, inputs):
    me, sw, gf = float(inputs["m_lep"][0]), float(inputs["s_W2"]), float(inputs["G_F"])
    enu, pee = float(inputs["zp_E_nu"]), float(inputs["zp_P_ee"])
    tmax = 2 * enu**2 / (me + 2 * enu)
    gle, gre = c["gv"][0] - c["ga"][0], c["gv"][0] + c["ga"][0]

    def rate(with_zp):
        total = 0.0
        for a, p in enumerate((pee, (1 - pee) / 2, (1 - pee) / 2)):
            gl0 = (0.5 if a == 0 else -0.5) + sw

            def dsig(t, a=a, gl0=gl0):
                shift = c["gnu"][a] / (2 * math.sqrt(2) * gf * (2 * me * t + m * m)) if with_zp else 0.0
                gl, gr = gl0 + shift * gle, sw + shift * gre
                return gl**2 + gr**2 * (1 - t / enu) ** 2 - gl * gr * me * t / enu**2

            scale = m * m / (2 * me)  # where the propagator turns over
            edges = [0.0, *sorted({scale * 10.0**k for k in range(-1, 30) if scale * 10.0**k < tmax}), tmax]
            total += p * sum(quad(dsig, lo, hi, **QUAD)[0] for lo, hi in zip(edges[:-1], edges[1:]))
        return total

    return rate(True) / rate(False)


def width_ff(gv, ga, mf, m, nc=1.0):
    r = (mf / m) ** 2
    if 4 * r >= 1:
        return 0.0
    return nc * m / (12 * math.pi) * math.sqrt(1 - 4 * r) * (gv**2 * (1 + 2 * r) + ga**2 * (1 - 4 * r))


def widths(c, m, inputs):
    ml = inputs["m_lep"]
    w = {
        "ee": width_ff(c["gv"][0], c["ga"][0], ml[0], m),
        "mumu": width_ff(c["gv"][1], c["ga"][1], ml[1], m),
        "tautau": width_ff(c["gv"][2], c["ga"][2], ml[2], m),
        "nunu": sum(g**2 for g in c["gnu"]) * m / (24 * math.pi),
    }
    w["quarks"] = sum(width_ff(c["gu"][i], 0.0, inputs["m_up_loop"][i], m, 3) for i in range(3)) + sum(
        width_ff(c["gd"][i], 0.0, inputs["m_down_loop"][i], m, 3) for i in range(3)
    )
    return w


def br_b_k(gl, gr, m, inputs):
    mb, mk = float(inputs["zp_m_B"]), float(inputs["zp_m_K"])
    a, b, cc = 1.0, (mk / mb) ** 2, (m / mb) ** 2
    lam = a * a + b * b + cc * cc - 2 * a * b - 2 * a * cc - 2 * b * cc
    if lam <= 0:
        return 0.0
    pole = 1 - m * m / float(inputs["zp_f_plus_m_fit"]) ** 2
    fp = float(inputs["zp_f_plus_r1"]) / pole + float(inputs["zp_f_plus_r2"]) / pole**2
    gamma = (gl + gr) ** 2 * mb**3 * fp**2 * lam**1.5 / (64 * math.pi * m * m)
    return gamma * float(inputs["zp_tau_B"]) / float(inputs["hbar"])


def c9_c10(gl, gv, ga, m, width, q2, inputs):
    v = inputs["ckm"]
    norm = 4 * float(inputs["G_F"]) / math.sqrt(2) * v[2, 2] * np.conj(v[2, 1])
    norm *= 4 * math.pi * float(inputs["alpha_bsll"]) / (16 * math.pi**2)
    den = norm * (q2 - m * m + 1j * m * width)
    return gl * gv / den, gl * ga / den


def observables(params, inputs, trident_weights):
    """Dict of the kernels.zprime observables (trident from the full calculation's Q² weights, :func:`trident`).
    On-shell processes use the kinetic mixing at m_Z'², t-channel ones (trident, NSI, Borexino) at q² = 0."""
    c = couplings(params, inputs)
    c0 = couplings(params, inputs, q2=0.0)
    m = float(params["m_Zp"])
    ml = inputs["m_lep"]
    w = widths(c, m, inputs)
    gam = sum(w.values())
    br = {k: (v / gam if gam > 0 else 0.0) for k, v in w.items()}
    eps = nsi(c0, m, inputs)
    bk = br_b_k(float(params["g_bs_L"]), float(params["g_bs_R"]), m, inputs)
    out = {
        "delta_a_mu": delta_a(c["gv"][1], c["ga"][1], m, ml[1]),
        "delta_a_e": delta_a(c["gv"][0], c["ga"][0], m, ml[0]),
        "trident_ratio": trident(c0, m, inputs, trident_weights),
        "eps_nsi_ee": eps[0],
        "eps_nsi_mumu": eps[1],
        "eps_nsi_tautau": eps[2],
        "eps_nsi_ee_minus_mumu": eps[0] - eps[1],
        "eps_nsi_tautau_minus_mumu": eps[2] - eps[1],
        "borexino_ratio": borexino(c0, m, inputs),
        "br_b_k_zp": bk,
        "br_b_k_zp_inv": bk * br["nunu"],
        "gamma_zp": gam,
        "br_zp_ee": br["ee"],
        "br_zp_mumu": br["mumu"],
        "br_zp_tautau": br["tautau"],
        "br_zp_inv": br["nunu"],
        "g_v_mu": c["gv"][1],
        "g_a_mu": c["ga"][1],
        "g_nu_mu": c["gnu"][1],
        "epsilon_kin": c["eps"],
        "epsilon_kin_0": c0["eps"],
    }
    out.update(bounds(c, w, {"mumu": br["mumu"], "inv": br["nunu"]}, bk * br["nunu"], m, inputs))
    for name, i in (("mumu", 1), ("ee", 0)):
        c9, c10 = c9_c10(float(params["g_bs_L"]), c["gv"][i], c["ga"][i], m, gam, float(inputs["zp_q2_ref"]), inputs)
        out.update(
            {f"c9_{name}": c9.real, f"c9_{name}_im": c9.imag, f"c10_{name}": c10.real, f"c10_{name}_im": c10.imag}
        )
    return out


def radiative_delta_a_mu(m_sq, mu_sq, m_t, m_mu):
    """2 m_μ² [G(M_+) - G(M_-)]/[f(M_+) - f(M_-)] straight from docs/physics/zprime.md §4 (no series, no limits)."""

    def f(s):
        return (s * math.log(s) - m_t**2 * math.log(m_t**2)) / (s - m_t**2)

    def g(s):
        r = m_t**2 / s
        i_f = (r * r - 4 * r + 3 + 2 * math.log(r)) / (2 * (r - 1) ** 3) / s
        i_p = (r * r - 1 - 2 * r * math.log(r)) / (2 * (r - 1) ** 3) / s
        return -(2 / 3) * i_f + (-5 / 3) * i_p

    return 2 * m_mu**2 * (g(m_sq + mu_sq) - g(m_sq - mu_sq)) / (f(m_sq + mu_sq) - f(m_sq - mu_sq))
