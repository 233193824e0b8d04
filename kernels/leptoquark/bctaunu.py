"""Charged currents d_j -> u_i l nu: S1 and R2 tree-level matching with SMEFT and QCD running; R(D), R(D*),
BR(B_c -> tau nu) (docs/physics/leptoquark.md sec. 5). The same matching serves pi and K decays (kernels/leptoquark/
firstgen.py).

Effective Hamiltonian (flavio/WCxf "flavio" basis), one copy per neutrino flavour nu_a:

    H_eff = (4 G_F/sqrt2) V_ij [ (delta_{a l} + C_VL^a) O_VL + C_SL^a O_SL + C_SR^a O_SR + C_T^a O_T ] + h.c.
    O_VL = (u-bar_i gamma^mu P_L d_j)(l-bar gamma_mu P_L nu_a),   O_SL = (u-bar_i P_L d_j)(l-bar P_L nu_a),
    O_SR = (u-bar_i P_R d_j)(l-bar P_L nu_a),   O_T = (u-bar_i sigma^{mu nu} P_L d_j)(l-bar sigma_{mu nu} P_L nu_a),

with the coefficients relative to an SM coefficient of exactly 1. Tree-level matching at Lambda = the mass of the
exchanged leptoquark (N = 4 sqrt2 G_F V_ij; b -> c tau: i = c, j = b, l = tau):

    S1:  C_VL^a = -y-hat^L_{j a} y^{L*}_{i l} / (N M_S1^2),
         C_SL^a = -(V^T y^L)_{j a} y^{R*}_{i l} / (N M_S1^2) = +y-hat^L_{j a} y^{R*}_{i l} / (N M_S1^2),   C_T^a = -C_SL^a/4
    R2:  C_SL^a = -f^L_{i a} f-hat^{R*}_{j l} / (N M_R2^2),  C_T^a = +C_SL^a/4

Neither leptoquark generates C_SR or C_VR at tree level.

Running (docs/physics-notes.md B11, resolved). (C_SL, C_T) run with the one-loop SMEFT -> WET matrix of wilson 2.5.2,
tabulated at Lambda = 1, 1.5, 2 TeV and interpolated linearly in ln Lambda (extended linearly outside): to
mu_b = 4.8 GeV for b -> c (RUNNING_MATRICES) and to 2 GeV for u -> d, s (LIGHT_RUNNING_MATRICES). The tables are
wilson's C_flavio(mu)/C(Lambda); flavio normalises the SM coefficient to eta_EW (1.00709 at 4.8 GeV, 1.01153 =
sqrt(1.0232) for K and pi), so the kernel's coefficients are C_flavio/eta_EW: the tables are divided by the input
eta_EW (eta_EW_light). C_VL has no QCD running, but SMEFT gauge and Yukawa running (and O_lq^(1) -> O_lq^(3) mixing)
between Lambda and the weak scale raise it by 4-7%; the ratio wilson C_VL(mu_b)/(eta_EW C_VL,tree) is tabulated in
CVL_RUNNING for the part of y-hat^L_{j a} = -sum_k V_kj y^L_{k a} that comes from the top row (k = t, with top-Yukawa
running) and for the part from u, c, and interpolated the same way. This is exact (to 1e-3) for the interfering
lepton-diagonal coefficient (a = l) of textures with one up-quark coupling to l and one to nu_a; with all couplings
O(1) wilson's flavour-mixing running (e.g. of the large (l l)(q_3 q_3) operators into (q_3 q_2) through the CKM)
adds up to 3%, and the lepton-flavour-off-diagonal coefficients (which enter R(D(*)) only at O(|C_VL|^2)) run by up
to 4% more than the diagonal factor (tests/kernels/test_lq_semileptonic.py). The S1 and R2 pieces are run each from
its own mass and then added.

Observables (flavio 2.7.1 parametrisations, sec. 5; C_S+- = C_SL +- C_SR, "vl" = delta_{a tau} + C_VL^a):

    R_D /R_D^SM  = sum_a |vl|^2 + 1.114 |C_S+|^2 + 1.559 Re[vl C_S+^*] + 0.658 |C_T|^2 + 0.956 Re[vl C_T^*]
    R_D*/R_D*^SM = sum_a |vl|^2 + 0.0531|C_S-|^2 - 0.139 Re[vl C_S-^*] + 17.16 |C_T|^2 - 5.345 Re[vl C_T^*]
    BR(B_c -> tau nu)/SM = sum_a |vl + 4.436 (C_SR - C_SL)|^2

The neutrino flavour is not observed, so the flavours add incoherently; only nu_tau interferes with the SM. The
ratios multiply the SM predictions of the inputs (sm_r_d, sm_r_dstar, sm_br_bc_taunu; constants.toml [sm]), whose
errors are the sigma_theory of the R(D(*)) constraints.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from flavorscan.kernels.interpolation import piecewise_linear
from flavorscan.kernels.leptoquark.couplings import f_r_hat, y_l_hat
from flavorscan.kernels.observable import Observable

R_D_SM = 0.2950
R_DSTAR_SM = 0.2451
BR_BC_TAUNU_SM = 0.0236
"""flavio 2.7.1 SM predictions, the reference of the ratio parametrisations (tests/kernels/test_flavio_crosscheck.py);
the observables use the SM inputs sm_r_d, sm_r_dstar, sm_br_bc_taunu instead."""

RUNNING_SCALES = np.array([1000.0, 1500.0, 2000.0])
RUNNING_MATRICES = np.array(
    [
        [[1.603, -0.269], [-0.0039, 0.872]],
        [[1.640, -0.314], [-0.0045, 0.868]],
        [[1.666, -0.347], [-0.0049, 0.865]],
    ]
)
"""(C_SL, C_T)(4.8 GeV) = M (C_SL, C_T)(Lambda) for each Lambda of RUNNING_SCALES [GeV], b -> c (wilson 2.5.2,
flavio normalisation; divided by eta_EW when used)."""
LIGHT_RUNNING_MATRICES = np.array(
    [
        [[1.89312, -0.32236], [-0.00387, 0.83437]],
        [[1.93935, -0.37620], [-0.00447, 0.83071]],
        [[1.97181, -0.41504], [-0.00491, 0.82827]],
    ]
)
"""(C_SL, C_T)(2 GeV) = M (C_SL, C_T)(Lambda), u -> d and u -> s (identical to 1e-5; wilson 2.5.2, WET-3 flavio basis,
lequ1_1111 / lequ3_1111 normalised to the tree-level matching at M_Z; divided by eta_EW_light when used)."""
CVL_RUNNING = np.array([[1.0518, 1.0410], [1.0606, 1.0481], [1.0670, 1.0532]])
"""C_VL(mu_b)/(eta_EW C_VL,tree) from wilson 2.5.2 (SMEFT running of the S1 matching, tests/reference/lq_smeft_wilson.py)
at the RUNNING_SCALES for a lepton-flavour-diagonal S1 texture, columns: the top part and the u, c part of
y-hat^L_{j a} (module docstring)."""

NEUTRINOS = ("nue", "numu", "nutau")
_TOP = 2

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


def interpolate_in_log_scale(table, scale):
    """Piecewise-linear interpolation of table[k] (k over RUNNING_SCALES) in ln(scale), extended linearly."""
    return piecewise_linear(jnp.log(scale), np.log(RUNNING_SCALES), table)


def running_matrix(scale, matrices=RUNNING_MATRICES):
    """2x2 matrix running (C_SL, C_T) from `scale` [GeV] to the low scale (flavio normalisation, before /eta_EW)."""
    return interpolate_in_log_scale(matrices, scale)


def cvl_running(scale):
    """(top part, u-c part) C_VL running factors at `scale` [GeV] (CVL_RUNNING)."""
    return interpolate_in_log_scale(CVL_RUNNING, scale)


def _run(c_sl, c_t, scale, matrices, eta):
    m = running_matrix(scale, matrices) / eta
    return m[0, 0] * c_sl + m[0, 1] * c_t, m[1, 0] * c_sl + m[1, 1] * c_t


def charged_current_coefficients(params, inputs, up, down, lepton, matrices=RUNNING_MATRICES, eta=None):
    """(C_VL, C_SL, C_T) of d_down -> u_up l_lepton nu_a at the low scale, complex arrays over the neutrino flavour a
    (module docstring). matrices/eta: RUNNING_MATRICES with inputs["eta_EW"] (b -> c, default) or
    LIGHT_RUNNING_MATRICES with inputs["eta_EW_light"]."""
    ckm = inputs["ckm"]
    eta = inputs["eta_EW"] if eta is None else eta
    norm = 4.0 * jnp.sqrt(2.0) * inputs["G_F"] * ckm[up, down]
    y_l = params["yL"]
    m_s1, m_r2 = params["M_S1"], params["M_R2"]
    s1 = 1.0 / (norm * m_s1**2)
    y_hat = y_l_hat(y_l, ckm)[down]
    y_hat_top = -ckm[_TOP, down] * y_l[_TOP]
    factors = cvl_running(m_s1)
    y_hat_run = factors[0] * y_hat_top + factors[1] * (y_hat - y_hat_top)
    c_vl = -s1 * y_hat_run * jnp.conj(y_l[up, lepton])
    c_sl_s1 = s1 * y_hat * jnp.conj(params["yR"][up, lepton])
    c_sl_r2 = -params["fL"][up] * jnp.conj(f_r_hat(params["fR"], ckm)[down, lepton]) / (norm * m_r2**2)
    sl_s1, t_s1 = _run(c_sl_s1, -c_sl_s1 / 4.0, m_s1, matrices, eta)
    sl_r2, t_r2 = _run(c_sl_r2, c_sl_r2 / 4.0, m_r2, matrices, eta)
    return c_vl, sl_s1 + sl_r2, t_s1 + t_r2


def wet_coefficients(params, inputs):
    """(C_VL, C_SL, C_T) of b -> c tau nu at mu_b = 4.8 GeV, each a complex array over the neutrino flavour."""
    return charged_current_coefficients(params, inputs, 1, 2, 2)


def _with_sm(c_vl, lepton=2):
    """delta_{a l} + C_VL^a: the SM amplitude exists only for nu_l."""
    return c_vl + (jnp.arange(3) == lepton)


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


def leptonic_ratio(c_vl, c_sl, chiral_factor, c_sr=0.0, lepton=2):
    """Gamma(P -> l nu)/SM = sum_a |delta_{a l} + C_VL^a + chiral_factor (C_SR^a - C_SL^a)|^2, with
    chiral_factor = m_P^2/(m_l (m_q1 + m_q2)) (B_c -> tau nu: 4.436; pi and K decays: kernels/leptoquark/firstgen.py)."""
    return jnp.sum(_abs2(_with_sm(c_vl, lepton) + chiral_factor * (c_sr - c_sl)))


def bc_taunu_ratio(c_vl, c_sl, c_sr=0.0):
    """BR(B_c -> tau nu)/SM from NP coefficients at mu_b (arrays over neutrino flavour e, mu, tau)."""
    return leptonic_ratio(c_vl, c_sl, _BC_SCALAR, c_sr)


def bctaunu_observables(params, inputs):
    """Wilson coefficients at mu_b for every neutrino flavour, R(D), R(D*) and BR(B_c -> tau nu)."""
    c_vl, c_sl, c_t = wet_coefficients(params, inputs)
    out = {}
    for wc, values in (("c_vl", c_vl), ("c_sl", c_sl), ("c_t", c_t)):
        for k, nu in enumerate(NEUTRINOS):
            out[_column(wc, nu)] = jnp.real(values[k])
            out[_column(wc, nu) + "_im"] = jnp.imag(values[k])
    out["r_d"] = inputs["sm_r_d"] * r_d_ratio(c_vl, c_sl, c_t)
    out["r_dstar"] = inputs["sm_r_dstar"] * r_dstar_ratio(c_vl, c_sl, c_t)
    out["br_bc_taunu"] = inputs["sm_br_bc_taunu"] * bc_taunu_ratio(c_vl, c_sl)
    return out
