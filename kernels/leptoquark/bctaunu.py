"""b -> c tau nu: S1 and R2 tree-level matching, running to mu_b, R(D), R(D*), BR(B_c -> tau nu).

Effective Hamiltonian (flavio/WCxf "flavio" basis, docs/physics/leptoquark.md sec. 5), one copy per neutrino
flavour nu_a:

    H_eff = (4 G_F/sqrt2) V_cb [ (delta_{a tau} + C_VL^a) O_VL + C_SL^a O_SL + C_SR^a O_SR + C_T^a O_T ] + h.c.
    O_VL = (c-bar gamma^mu P_L b)(tau-bar gamma_mu P_L nu_a),   O_SL = (c-bar P_L b)(tau-bar P_L nu_a),
    O_SR = (c-bar P_R b)(tau-bar P_L nu_a),   O_T = (c-bar sigma^{mu nu} P_L b)(tau-bar sigma_{mu nu} P_L nu_a).

Tree-level matching at Lambda = the mass of the exchanged leptoquark (sec. 5; N = 4 sqrt2 G_F V_cb):

    S1:  C_VL^a = -y-hat^L_{b a} y^{L*}_{c tau} / (N M_S1^2),
         C_SL^a = -(V^T y^L)_{b a} y^{R*}_{c tau} / (N M_S1^2) = +y-hat^L_{b a} y^{R*}_{c tau} / (N M_S1^2),
         C_T^a  = -C_SL^a/4
    R2:  C_SL^a = -f^L_{c a} f-hat^{R*}_{b tau} / (N M_R2^2),  C_T^a = +C_SL^a/4

Neither leptoquark generates C_SR or C_VR at tree level. C_VL does not run (conserved current); (C_SL, C_T)
run with the one-loop SMEFT -> WET matrix of wilson 2.5.2 from Lambda to mu_b = 4.8 GeV, tabulated at
Lambda = 1, 1.5, 2 TeV (RUNNING_MATRICES) and interpolated linearly in ln Lambda; outside [1, 2] TeV the
nearest segment is extended linearly in ln Lambda (leading-log running is linear in ln Lambda). Against
wilson this is accurate to 0.2% (0.7 TeV), 0.05% (3 TeV), 0.4% (5 TeV) in the three large entries and to
2.5e-4 absolute in the small C_SL -> C_T entry (~ -0.005). The S1 and R2 pieces are run each from its own
mass and then added.

Observables (flavio 2.7.1 parametrisations, sec. 5; C_S+- = C_SL +- C_SR, "vl" = delta_{a tau} + C_VL^a):

    R_D /R_D^SM  = sum_a |vl|^2 + 1.114 |C_S+|^2 + 1.559 Re[vl C_S+^*] + 0.658 |C_T|^2 + 0.956 Re[vl C_T^*]
    R_D*/R_D*^SM = sum_a |vl|^2 + 0.0531|C_S-|^2 - 0.139 Re[vl C_S-^*] + 17.16 |C_T|^2 - 5.345 Re[vl C_T^*]
    BR(B_c -> tau nu)/SM = sum_a |vl + 4.436 (C_SR - C_SL)|^2

The neutrino flavour is not observed, so the flavours add incoherently; only nu_tau interferes with the SM.
The coefficients are relative to an SM coefficient of exactly 1; flavio normalises the SM to
eta_EW = 1 + alpha/pi ln(M_Z/mu_b) = 1.00709 instead, so a flavio coefficient C_flavio corresponds to
C = C_flavio/eta_EW here (see tests/test_flavio_crosscheck.py).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels.leptoquark.couplings import f_r_hat, y_l_hat
from flavorscan.kernels.observable import Observable

R_D_SM = 0.2950
R_DSTAR_SM = 0.2451
BR_BC_TAUNU_SM = 0.0236
"""SM predictions of flavio 2.7.1 (docs/physics/leptoquark.md sec. 5); the ratios below multiply these."""

RUNNING_SCALES = np.array([1000.0, 1500.0, 2000.0])
RUNNING_MATRICES = np.array(
    [
        [[1.603, -0.269], [-0.0039, 0.872]],
        [[1.640, -0.314], [-0.0045, 0.868]],
        [[1.666, -0.347], [-0.0049, 0.865]],
    ]
)
"""(C_SL, C_T)(4.8 GeV) = M (C_SL, C_T)(Lambda) for each Lambda of RUNNING_SCALES [GeV] (wilson 2.5.2, sec. 5)."""

NEUTRINOS = ("nue", "numu", "nutau")

# Coefficients of |C_S|^2 (ss), Re[vl C_S^*] (vs), |C_T|^2 (tt), Re[vl C_T^*] (vt) in the ratios above.
_R_D = {"ss": 1.114, "vs": 1.559, "tt": 0.658, "vt": 0.956}
_R_DSTAR = {"ss": 0.0531, "vs": -0.139, "tt": 17.16, "vt": -5.345}
_BC_SCALAR = 4.436


def _column(wc, nu):
    """Observable name of one coefficient: the nu_tau one is unsuffixed (docs/interface.md)."""
    return wc if nu == "nutau" else f"{wc}_{nu}"


def _names():
    for wc in ("c_vl", "c_sl", "c_t"):
        for nu in NEUTRINOS:
            for part in ("", "_im"):
                text = f"{'Im' if part else 'Re'} {wc.upper()} (b -> c tau {nu}) at mu_b = 4.8 GeV"
                yield Observable(_column(wc, nu) + part, "", text)


OBSERVABLES = tuple(_names()) + (
    Observable("r_d", "", "R(D) = BR(B -> D tau nu)/BR(B -> D l nu)"),
    Observable("r_dstar", "", "R(D*) = BR(B -> D* tau nu)/BR(B -> D* l nu)"),
    Observable("br_bc_taunu", "", "BR(B_c -> tau nu), summed over neutrino flavours"),
)


def running_matrix(scale):
    """2x2 matrix running (C_SL, C_T) from `scale` [GeV] to 4.8 GeV, piecewise linear in ln(scale)."""
    log_anchors = jnp.log(RUNNING_SCALES)
    x = jnp.log(scale)
    segment = jnp.clip(jnp.searchsorted(log_anchors, x) - 1, 0, len(RUNNING_SCALES) - 2)
    x0, x1 = log_anchors[segment], log_anchors[segment + 1]
    m0, m1 = jnp.asarray(RUNNING_MATRICES)[segment], jnp.asarray(RUNNING_MATRICES)[segment + 1]
    return m0 + (x - x0) / (x1 - x0) * (m1 - m0)


def _run(c_sl, c_t, scale):
    m = running_matrix(scale)
    return m[0, 0] * c_sl + m[0, 1] * c_t, m[1, 0] * c_sl + m[1, 1] * c_t


def wet_coefficients(params, inputs):
    """(C_VL, C_SL, C_T) at mu_b = 4.8 GeV, each a complex array over the neutrino flavour (e, mu, tau)."""
    ckm = inputs["ckm"]
    norm = 4.0 * jnp.sqrt(2.0) * inputs["G_F"] * ckm[1, 2]
    y_hat_b = y_l_hat(params["yL"], ckm)[2]
    s1 = 1.0 / (norm * params["M_S1"] ** 2)
    c_vl = -s1 * y_hat_b * jnp.conj(params["yL"][1, 2])
    c_sl_s1 = s1 * y_hat_b * jnp.conj(params["yR"][1, 2])
    c_sl_r2 = -params["fL"][1] * jnp.conj(f_r_hat(params["fR"], ckm)[2, 2]) / (norm * params["M_R2"] ** 2)
    sl_s1, t_s1 = _run(c_sl_s1, -c_sl_s1 / 4.0, params["M_S1"])
    sl_r2, t_r2 = _run(c_sl_r2, c_sl_r2 / 4.0, params["M_R2"])
    return c_vl, sl_s1 + sl_r2, t_s1 + t_r2


def _with_sm(c_vl):
    """delta_{a tau} + C_VL^a: the SM amplitude exists only for nu_tau."""
    return c_vl + jnp.array([0.0, 0.0, 1.0])


def _cross(a, b):
    return jnp.real(a * jnp.conj(b))


def _abs2(z):
    return jnp.real(z) ** 2 + jnp.imag(z) ** 2


def _semileptonic_ratio(coefficients, c_vl, c_s, c_t):
    vl = _with_sm(c_vl)
    return jnp.sum(
        _abs2(vl)
        + coefficients["ss"] * _abs2(c_s)
        + coefficients["vs"] * _cross(vl, c_s)
        + coefficients["tt"] * _abs2(c_t)
        + coefficients["vt"] * _cross(vl, c_t)
    )


def r_d_ratio(c_vl, c_sl, c_t, c_sr=0.0):
    """R_D/R_D^SM from NP coefficients at mu_b (arrays over neutrino flavour e, mu, tau)."""
    return _semileptonic_ratio(_R_D, c_vl, c_sl + c_sr, c_t)


def r_dstar_ratio(c_vl, c_sl, c_t, c_sr=0.0):
    """R_D*/R_D*^SM from NP coefficients at mu_b (arrays over neutrino flavour e, mu, tau)."""
    return _semileptonic_ratio(_R_DSTAR, c_vl, c_sl - c_sr, c_t)


def bc_taunu_ratio(c_vl, c_sl, c_sr=0.0):
    """BR(B_c -> tau nu)/SM from NP coefficients at mu_b (arrays over neutrino flavour e, mu, tau)."""
    return jnp.sum(_abs2(_with_sm(c_vl) + _BC_SCALAR * (c_sr - c_sl)))


def bctaunu_observables(params, inputs):
    """Wilson coefficients at mu_b for every neutrino flavour, R(D), R(D*) and BR(B_c -> tau nu)."""
    c_vl, c_sl, c_t = wet_coefficients(params, inputs)
    out = {}
    for wc, values in (("c_vl", c_vl), ("c_sl", c_sl), ("c_t", c_t)):
        for k, nu in enumerate(NEUTRINOS):
            out[_column(wc, nu)] = jnp.real(values[k])
            out[_column(wc, nu) + "_im"] = jnp.imag(values[k])
    out["r_d"] = R_D_SM * r_d_ratio(c_vl, c_sl, c_t)
    out["r_dstar"] = R_DSTAR_SM * r_dstar_ratio(c_vl, c_sl, c_t)
    out["br_bc_taunu"] = BR_BC_TAUNU_SM * bc_taunu_ratio(c_vl, c_sl)
    return out
