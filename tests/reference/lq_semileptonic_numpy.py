"""Independent plain-numpy/Python reference for the leptoquark semileptonic observables and bounds.

Written directly from docs/physics/leptoquark.md sections 5 and 6 (and the letter's Table II), with
explicit index sums, Python complex arithmetic and its own copy of every fit number, without importing
anything from kernels/ other than the input data passed in. Used by tests/test_lq_semileptonic.py only.
"""

from __future__ import annotations

import math

import numpy as np

LEPTONS = ("e", "mu", "tau")
D, S, B = 0, 1, 2


def _fhat(fr, V):
    """fhat_{kl} = sum_i conj(V_ik) f_il."""
    return [[sum(V[i][k].conjugate() * fr[i][l] for i in range(3)) for l in range(3)] for k in range(3)]


def _yhat(yl, V):
    """yhat_{kl} = -sum_i V_ik y_il."""
    return [[-sum(V[i][k] * yl[i][l] for i in range(3)) for l in range(3)] for k in range(3)]


def _as_lists(params, inputs):
    V = [[complex(x) for x in row] for row in np.asarray(inputs["ckm"])]
    mats = {k: [[complex(x) for x in row] for row in np.asarray(params[k])] for k in ("fL", "fR", "yL", "yR")}
    return V, mats


def bsll(params, inputs):
    V, m = _as_lists(params, inputs)
    fh = _fhat(m["fR"], V)
    lam_t = V[2][2] * V[2][1].conjugate()
    alpha = float(inputs["alpha_bsll"])
    v = float(inputs["v"])
    M = float(params["M_R2"])
    out = {}
    c = {}
    for name, (l1, l2) in {"ee": (0, 0), "mumu": (1, 1), "emu": (0, 1), "mue": (1, 0)}.items():
        c[name] = -math.pi * v * v / (2 * alpha * lam_t * M * M) * fh[S][l1] * fh[B][l2].conjugate()
        for wc in ("c9", "c10"):
            out[f"{wc}_{name}"] = c[name].real
            out[f"{wc}_{name}_im"] = c[name].imag
    fits = {
        "r_k": (1.0004, -0.0201, 0.0622),
        "r_kstar": (0.9965, -0.1098, 0.0709),
        "r_k_low": (0.9929, -0.0211, 0.0625),
        "r_kstar_low": (0.9832, -0.0538, 0.0253),
    }
    for name, (rsm, a, b) in fits.items():
        num = 1 + a * c["mumu"].real + b * abs(c["mumu"]) ** 2
        den = 1 + a * c["ee"].real + b * abs(c["ee"]) ** 2
        out[name] = rsm * num / den
    y_s = float(inputs["had_y_s"])
    for lep in ("mumu", "ee"):
        p = 1 + c[lep] / -4.1665  # C10 = C9 for R2; flavio's effective SM C10 of B_s -> l l
        out[f"br_bs_{lep}"] = float(inputs[f"sm_br_bs_{lep}"]) * (abs(p) ** 2 + y_s * (p * p).real) / (1 + y_s)
    return out


_ANCHORS = [
    (1000.0, ((1.603, -0.269), (-0.0039, 0.872))),
    (1500.0, ((1.640, -0.314), (-0.0045, 0.868))),
    (2000.0, ((1.666, -0.347), (-0.0049, 0.865))),
]


# C_VL(mu_b)/(eta_EW C_VL,tree) (wilson 2.5.2): top part, u-c part of y-hat^L
_CVL_ANCHORS = [(1000.0, (1.0518, 1.0410)), (1500.0, (1.0606, 1.0481)), (2000.0, (1.0670, 1.0532))]


def _segment(anchors, scale):
    if scale <= anchors[1][0]:
        (s0, m0), (s1, m1) = anchors[0], anchors[1]
    else:
        (s0, m0), (s1, m1) = anchors[1], anchors[2]
    return m0, m1, (math.log(scale) - math.log(s0)) / (math.log(s1) - math.log(s0))


def running(scale):
    """Running matrix at `scale`: linear in ln(scale) between anchors, nearest segment extended outside."""
    m0, m1, t = _segment(_ANCHORS, scale)
    return [[m0[i][j] + t * (m1[i][j] - m0[i][j]) for j in range(2)] for i in range(2)]


def cvl_running(scale):
    m0, m1, t = _segment(_CVL_ANCHORS, scale)
    return [m0[i] + t * (m1[i] - m0[i]) for i in range(2)]


# nu nu coefficients: C_L(mu_low)/C_L,tree (wilson 2.5.2) for 0, 1, 2 factors of y-hat^L from the top row of y^L
_NUNU_ANCHORS = {
    "bs": [(1000.0, (1.04027, 1.05387, 1.02744)), (1500.0, (1.04733, 1.06317, 1.03268)),
           (2000.0, (1.05250, 1.06980, 1.03640))],
    "sd": [(1000.0, (1.01744, 0.99142, 0.96638)), (1500.0, (1.02736, 0.99747, 0.96830)),
           (2000.0, (1.03445, 1.00265, 0.96970))],
}


def nunu_running(scale, sector):
    m0, m1, t = _segment(_NUNU_ANCHORS[sector], scale)
    return [m0[i] + t * (m1[i] - m0[i]) for i in range(3)]


def _nunu_product(yl, V, q_out, b, q_in, a, factors):
    """sum over up rows i, k of r(n_t) (-V_{i q_out} y_{i b})^* (-V_{k q_in} y_{k a}), n_t = [i = t] + [k = t]."""
    total = 0.0
    for i in range(3):
        for k in range(3):
            n_top = (i == 2) + (k == 2)
            total += factors[n_top] * (-V[i][q_out] * yl[i][b]).conjugate() * (-V[k][q_in] * yl[k][a])
    return total


def bctaunu(params, inputs):
    V, m = _as_lists(params, inputs)
    yh = _yhat(m["yL"], V)
    fh = _fhat(m["fR"], V)
    GF = float(inputs["G_F"])
    Vcb = V[1][2]
    ms1, mr2 = float(params["M_S1"]), float(params["M_R2"])
    n1 = 4 * math.sqrt(2) * GF * Vcb * ms1**2
    n2 = 4 * math.sqrt(2) * GF * Vcb * mr2**2
    eta = float(inputs["eta_EW"])
    r1 = [[x / eta for x in row] for row in running(ms1)]
    r2 = [[x / eta for x in row] for row in running(mr2)]
    fvl = cvl_running(ms1)
    cvl, csl, ct = [], [], []
    for a in range(3):
        top = -V[2][B] * m["yL"][2][a]
        light = yh[B][a] - top
        factor_top, factor_light = fvl
        vl = -(factor_top * top + factor_light * light) * m["yL"][1][2].conjugate() / n1
        sl1 = -(-yh[B][a]) * m["yR"][1][2].conjugate() / n1
        t1 = -sl1 / 4
        sl2 = -m["fL"][1][a] * fh[B][2].conjugate() / n2
        t2 = sl2 / 4
        cvl.append(vl)
        csl.append(r1[0][0] * sl1 + r1[0][1] * t1 + r2[0][0] * sl2 + r2[0][1] * t2)
        ct.append(r1[1][0] * sl1 + r1[1][1] * t1 + r2[1][0] * sl2 + r2[1][1] * t2)
    out = {}
    for name, vals in (("c_vl", cvl), ("c_sl", csl), ("c_t", ct)):
        for a, nu in enumerate(("nue", "numu", "nutau")):
            key = name if nu == "nutau" else f"{name}_{nu}"
            out[key] = vals[a].real
            out[key + "_im"] = vals[a].imag
    rd = rds = bc = 0.0
    for a in range(3):
        x = (1.0 if a == 2 else 0.0) + cvl[a]
        s, t = csl[a], ct[a]
        rd += (abs(x) ** 2 + 1.114 * abs(s) ** 2 + 1.559 * (x * s.conjugate()).real
               + 0.658 * abs(t) ** 2 + 0.956 * (x * t.conjugate()).real)
        rds += (abs(x) ** 2 + 0.0531 * abs(s) ** 2 - 0.139 * (x * s.conjugate()).real
                + 17.16 * abs(t) ** 2 - 5.345 * (x * t.conjugate()).real)
        bc += abs(x - 4.436 * s) ** 2
    out["r_d"] = float(inputs["sm_r_d"]) * rd
    out["r_dstar"] = float(inputs["sm_r_dstar"]) * rds
    out["br_bc_taunu"] = float(inputs["sm_br_bc_taunu"]) * bc
    return out


def neutral(params, inputs):
    V, m = _as_lists(params, inputs)
    yh = _yhat(m["yL"], V)
    GF = float(inputs["G_F"])
    mr2, ms1 = float(params["M_R2"]), float(params["M_S1"])
    out = {}
    pref = 3 / (4 * math.sqrt(2) * GF)
    for i in range(3):
        for j in range(i, 3):
            eps = pref * (m["fL"][0][i].conjugate() * m["fL"][0][j] / mr2**2
                          - yh[D][i].conjugate() * yh[D][j] / ms1**2)
            key = f"eps_nsi_{LEPTONS[i]}{LEPTONS[j]}"
            out[key] = eps.real if i == j else abs(eps)
    alpha, v = float(inputs["alpha_bsll"]), float(inputs["v"])
    lt_bs = V[2][2] * V[2][1].conjugate()
    r_bs, r_sd = nunu_running(ms1, "bs"), nunu_running(ms1, "sd")
    total = 0.0
    for a in range(3):
        for b in range(3):
            cl = math.pi * v * v / (2 * alpha * lt_bs * ms1**2) * _nunu_product(m["yL"], V, S, b, B, a, r_bs)
            total += abs((1.0 if a == b else 0.0) + cl / -6.53) ** 2
    out["r_nunu_k"] = total / 3
    out["r_nunu_kstar"] = total / 3  # S1: left-handed quark current only
    lt = V[2][1].conjugate() * V[2][0]
    lc = V[1][1].conjugate() * V[1][0]
    lam = abs(V[0][1])
    sw2 = float(inputs["s_W2"])
    br = 0.0
    for a in range(3):
        for b in range(3):
            cl = math.pi * v * v / (2 * alpha * lt * ms1**2) * _nunu_product(m["yL"], V, S, b, D, a, r_sd)
            X = (1.462 if a == b else 0.0) - sw2 * cl
            charm = lc.real * 0.404 / lam if a == b else 0.0
            br += ((lt * X).imag / lam**5) ** 2 + (charm + (lt * X).real / lam**5) ** 2
    out["br_kp_pinunu"] = 5.173e-11 * (lam / 0.225) ** 8 * (1 - 0.003) / 3 * br
    br_l = 0.0
    for a in range(3):
        for b in range(3):
            cl = math.pi * v * v / (2 * alpha * lt * ms1**2) * _nunu_product(m["yL"], V, S, b, D, a, r_sd)
            X = (1.462 if a == b else 0.0) - sw2 * cl
            br_l += ((lt * X).imag / lam**5) ** 2
    out["br_kl_pinunu"] = 2.231e-10 * (lam / 0.225) ** 8 / 3 * br_l
    return out


def bounds(params, inputs):
    V, m = _as_lists(params, inputs)
    f = _fhat(m["fR"], V)
    y = _yhat(m["yL"], V)
    e, mu, tau = 0, 1, 2
    out = {
        "bound_kl_ee": abs(f[D][e] * f[S][e].conjugate()),
        "bound_kl_emu": abs(f[D][mu] * f[S][e].conjugate() + f[S][mu] * f[D][e].conjugate()),
        "bound_kl_pi_emu": abs(f[D][mu] * f[S][e].conjugate() - f[S][mu] * f[D][e].conjugate()),
        "bound_kp_pi_ee": abs(f[D][e] * f[S][e].conjugate()),
        "bound_kp_pi_emu": abs(f[D][mu] * f[S][e].conjugate()),
        "bound_kp_pi_mue": abs(f[D][e] * f[S][mu].conjugate()),
        "bound_kk_mixing": abs(sum(f[D][a].conjugate() * f[S][a] for a in range(3))),
        "bound_kpinunu_ee": (y[D][e] * y[S][e].conjugate()).real,
        "bound_kpinunu_offdiag": math.sqrt(
            sum(abs(y[D][i] * y[S][j].conjugate()) ** 2 for i in range(3) for j in range(3) if i != j)
        ),
        "bound_lhc_fhat_se": abs(f[S][e]),
        "bound_lhc_fhat_be": abs(f[B][e]),
        "bound_lhc_fhat_btau": abs(f[B][tau]),
        "bound_lhc_fl_ctau": abs(m["fL"][1][tau]),
        "bound_lhc_fl_ue": abs(m["fL"][0][e]),
        "bound_lhc_fl_umu": abs(m["fL"][0][mu]),
        "bound_lhc_yr_ctau": abs(m["yR"][1][tau]),
        "bound_mass_r2": float(params["M_R2"]),
        **{f"bound_lhc_r2_u{l}": math.hypot(abs(m["fL"][0][i]), abs(m["fR"][0][i])) for i, l in enumerate(LEPTONS)},
        **{f"bound_lhc_r2_d{l}": abs(f[D][i]) for i, l in enumerate(LEPTONS)},
        **{f"bound_lhc_s1_u{l}": math.hypot(abs(m["yL"][0][i]), abs(m["yR"][0][i])) for i, l in enumerate(LEPTONS)},
        "bound_mass_s1": float(params["M_S1"]),
    }
    for i, a in enumerate(LEPTONS):
        for j, b in enumerate(LEPTONS):
            out[f"bound_bknunu_{a}{b}"] = (y[B][i] * y[S][j].conjugate()).real
    return out


def all_observables(params, inputs):
    out = {}
    for fn in (bsll, bctaunu, neutral, bounds):
        out.update(fn(params, inputs))
    return out
