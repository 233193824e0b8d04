"""Charged lepton flavour violation beyond l -> l' gamma: l -> 3 l' and tau -> l (pi0, rho0, phi)
(docs/physics/leptoquark.md section 6.10).

Effective Lagrangian in the WCxf/flavio WET basis, L = sum C O + h.c. (O as in flavio 2.7.1, e.g.
CVLL_eemue: (e-bar_L gamma e_L)(e-bar_L gamma mu_L), CVLR_taumuuu: (mu-bar_L gamma tau_L)(u-bar_R gamma u_R),
CSRR_taumuuu: (mu-bar_L tau_R)(u-bar_L u_R), Cgamma_taumu: mu-bar_L sigma^{mu nu} tau_R F_{mu nu}). For l_i -> l_j:

1. Dipole (kernels/leptoquark/dipoles.py, L = (e/2) l-bar_j sigma (sigma_L P_L + sigma_R P_R) l_i F):
   Cgamma_{ij} = (e/2) sigma_R^{ij},  Cgamma_{ji} = (e/2) conj(sigma_L^{ij}) (e = sqrt(4 pi alpha), alpha of the
   dipoles). The mapping is fixed by Delta a_l = 2 m_l Re sigma_R^{ll}, which is flavio's a_l = (4 m/e) Re C.
2. Z penguin: the flavour-changing Z couplings at zero momentum delta g^{ji}_{L,R} (coefficient of
   l-bar_j gamma P l_i; kernels/leptoquark/zdecay.py, the m_t^2-enhanced (a_o - a_c) x g_S term) give, with
   L_Z-exchange = -(4 G_F/sqrt2) J_Z^2,
       L ⊃ -(8 G_F/sqrt2) (l-bar_j gamma delta g P l_i) (f-bar gamma (g_L^f P_L + g_R^f P_R) f).
3. Photon penguin (charge radius): the same vertex function with photon charges (a_c = a_o = Q_q, g_l = -1) is
   delta Q(q^2) = q^2 K, K = N_c/(16 pi^2 M^2) sum_q lambda* lambda [T1(x) + Q_q h1(m_q^2/q^2)] (zdecay.py), and photon
   exchange gives L ⊃ e^2 Q_f K (l-bar_j gamma P l_i)(f-bar gamma f). K is evaluated at q^2 = m_i^2 (the decaying
   lepton): exact for heavy quarks, logarithmically accurate for the light ones (whose log runs over the phase space).
4. Tree-level exchange for tau -> l q q-bar (q = u: R^{5/3} f^L, f^R and S1 y^L, y^R; q = d, s: R^{2/3} f-hat^R), after
   Fierzing (a P_R b)(c P_L d) = -1/2 (a gamma P_L d)(c gamma P_R b),
   (a P_R b)(c P_R d) = -1/2 (a P_R d)(c P_R b) - 1/8 (a sigma P_R d)(c sigma P_R b) and, for S1, the
   charge-conjugation identities of tests/reference/lq_smeft_wilson.py (i = tau, j = l; lambda_{q a}):
       R^{5/3}: CVLR_tau l uu = -f^L*_j f^L_i/(2 M^2),  CVLR_uu tau l = -f^R*_j f^R_i/(2 M^2),
                CSRR_tau l uu = -f^L*_j f^R_i/(2 M^2),  CTRR_tau l uu = CSRR/4,
                CSRR_l tau uu = -f^R_j f^L*_i/(2 M^2),  CTRR_l tau uu = CSRR_l tau uu/4
       S1:      CVLL_tau l uu = +y^L*_j y^L_i/(2 M^2),  CVRR_tau l uu = +y^R*_j y^R_i/(2 M^2),
                CSRR_tau l uu = -y^L*_j y^R_i/(2 M^2),  CTRR_tau l uu = -CSRR/4, and the l tau pair likewise
       R^{2/3}: CVLR_qq tau l = -fhat*_{q j} fhat_{q i}/(2 M^2)  (q = d, s)
   (checked against wilson's tree-level SMEFT -> WET matching in tests/kernels/test_lq_lfv.py).
   Box diagrams (four leptoquark couplings) are not included: they need large couplings of one quark to both lepton
   flavours and, for l -> 3l', three couplings to the final lepton.

Rates, transcribed from flavio 2.7.1 (tau3l.py after Brignole and Rossi hep-ph/0404211 and Kuno and Okada
hep-ph/9909265; tauvl.py, taupl.py with their generic two-body widths) and checked against it with random
coefficients:

    Gamma(l_i -> 3 l_j) = m_i^5/(1536 pi^3) [ 2|CVLL|^2 + |CVLR|^2 + |CVRL|^2 + 2|CVRR|^2
                          + 8 Re(C7 (2 CVLL + CVLR)^* + C7' (CVRL + 2 CVRR)^*) + 32 (|C7|^2 + |C7'|^2)(ln(m_i^2/m_j^2) - 11/4) ],
    C7 = e Cgamma_{ij}/m_i, C7' = e Cgamma_{ji}^*/m_i;
    tau -> l V (V = rho0 = (u u-bar - d d-bar)/sqrt2, phi = s s-bar) from the vector, tensor and dipole couplings with
    f_V, f_V^perp; tau -> l pi0 from the axial-vector and pseudoscalar couplings with f_pi and m_pi^2/(m_u + m_d).

Observables: br_mu_3e, br_tau_3mu, br_tau_3e, br_tau_mu_phi, br_tau_e_phi, br_tau_mu_rho, br_tau_e_rho, br_tau_mu_pi,
br_tau_e_pi.
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.context import DOWN_R2, UP_R2, UP_S1, loop_context
from flavorscan.kernels.leptoquark.couplings import f_r_hat
from flavorscan.kernels.leptoquark.dipoles import dipole_pieces, total_dipole_coefficients
from flavorscan.kernels.leptoquark.loops import abs2
from flavorscan.kernels.leptoquark.zdecay import vertex_functions, z_vertex_corrections, z_zero_momentum_pairs
from flavorscan.kernels.observable import Observable

_E, _MU, _TAU = 0, 1, 2
N_C_PRE = 3.0 / (16.0 * jnp.pi**2)
_U, _D, _S = 0, 0, 1
Q_UP, Q_DOWN, Q_LEPTON = 2.0 / 3.0, -1.0 / 3.0, -1.0

OBSERVABLES = (
    Observable("br_mu_3e", "", "BR(mu -> e e e)"),
    Observable("br_tau_3mu", "", "BR(tau -> mu mu mu)"),
    Observable("br_tau_3e", "", "BR(tau -> e e e)"),
    Observable("br_tau_mu_phi", "", "BR(tau -> mu phi)"),
    Observable("br_tau_e_phi", "", "BR(tau -> e phi)"),
    Observable("br_tau_mu_rho", "", "BR(tau -> mu rho0)"),
    Observable("br_tau_e_rho", "", "BR(tau -> e rho0)"),
    Observable("br_tau_mu_pi", "", "BR(tau -> mu pi0)"),
    Observable("br_tau_e_pi", "", "BR(tau -> e pi0)"),
)


def _kallen(a, b, c):
    return a**2 + b**2 + c**2 - 2.0 * (a * b + a * c + b * c)


def _two_body(amp2, big_m, m1, m2):
    return jnp.sqrt(_kallen(big_m**2, m1**2, m2**2)) / (16.0 * jnp.pi * big_m**3) * amp2


def gamma_three_leptons(m_i, m_j, c):
    """Gamma(l_i -> l_j l_j l_j-bar) from {"CVLL", "CVLR", "CVRL", "CVRR", "C7", "C7p"} (module docstring)."""
    c7, c7p = c["C7"], c["C7p"]
    bracket = (
        2.0 * abs2(c["CVLL"]) + abs2(c["CVLR"]) + abs2(c["CVRL"]) + 2.0 * abs2(c["CVRR"])
        + 8.0 * jnp.real(c7 * jnp.conj(2.0 * c["CVLL"] + c["CVLR"]) + c7p * jnp.conj(c["CVRL"] + 2.0 * c["CVRR"]))
        + 32.0 * (abs2(c7) + abs2(c7p)) * (jnp.log(m_i**2 / m_j**2) - 11.0 / 4.0)
    )
    return m_i**5 / (1536.0 * jnp.pi**3) * bracket


def gamma_fermion_vector(big_m, m_v, m_f, g_l, g_r, g_tl, gt_tl, g_tr, gt_tr):
    """Generic width of a fermion to a massive vector and a fermion (flavio 2.7.1 taudecays.common.GammaFvf)."""
    amp2_v = ((abs2(g_l) + abs2(g_r)) * ((m_f**2 - big_m**2) ** 2 / m_v**2 + m_f**2 + big_m**2 - 2.0 * m_v**2)
              - 12.0 * m_f * big_m * jnp.real(g_r * jnp.conj(g_l))) / 2.0
    a, b = g_tl - gt_tl, g_tr + gt_tr
    amp2_t = m_v**2 / 2.0 * ((abs2(a) + abs2(b)) * (2.0 * (m_f**2 - big_m**2) ** 2 / m_v**2 - m_f**2 - big_m**2 - m_v**2)
                             - 12.0 * m_f * big_m * jnp.real(b * jnp.conj(a)))
    amp2_i = (3.0 * big_m * (big_m**2 - m_f**2 - m_v**2) * jnp.real(g_l * jnp.conj(b) + g_r * jnp.conj(a))
              + 3.0 * m_f * (m_f**2 - big_m**2 - m_v**2) * jnp.real(g_r * jnp.conj(b) + g_l * jnp.conj(a)))
    return _two_body(amp2_v + amp2_t + amp2_i, big_m, m_f, m_v)


def gamma_fermion_scalar(big_m, m_s, m_f, g_l, g_r):
    """Generic width of a fermion to a scalar and a fermion (flavio 2.7.1 taudecays.common.GammaFsf)."""
    amp2 = ((abs2(g_l) + abs2(g_r)) * (big_m**2 + m_f**2 - m_s**2)
            + 4.0 * big_m * m_f * (jnp.real(g_l) * jnp.real(g_r) + jnp.imag(g_l) * jnp.imag(g_r))) / 2.0
    return _two_body(amp2, big_m, m_f, m_s)


def gamma_tau_vector(wc, quarks, m_tau, m_l, m_v, f_v, f_perp, e, cgamma_taul, cgamma_ltau):
    """Gamma(tau -> V l) with wc[q] = [CVLL_tau l qq, CVLR_tau l qq, CVLR_qq tau l, CVRR_tau l qq, CTRR_l tau qq,
    CTRR_tau l qq]; quarks = {q: weight} of the meson's flavour wave function; K_V the photon coupling of V."""
    g = sum(weight * jnp.stack(wc[q]) for q, weight in quarks.items())
    k_v = e * sum(weight * {"u": Q_UP, "d": Q_DOWN, "s": Q_DOWN}[q] for q, weight in quarks.items())
    g_l = m_v * f_v / 2.0 * (g[0] + g[1])
    g_r = m_v * f_v / 2.0 * (g[2] + g[3])
    g_tl = f_perp * jnp.conj(g[4]) + 2.0 * f_v * k_v / m_v * jnp.conj(cgamma_ltau)
    gt_tl = -f_perp * jnp.conj(g[4])
    g_tr = f_perp * g[5] + 2.0 * f_v * k_v / m_v * cgamma_taul
    gt_tr = f_perp * g[5]
    return gamma_fermion_vector(m_tau, m_v, m_l, g_l, g_r, g_tl, gt_tl, g_tr, gt_tr)


def gamma_tau_pion(vectors, scalars, m_tau, m_l, m_pi, f_pi, m_u, m_d):
    """Gamma(tau -> pi0 l): vectors[q] = (F_LL, F_RR, F_LR, F_RL), scalars[q] = (S_RR, S_RL, S_LL, S_LR) for q = u, d
    (flavio 2.7.1 taupl.py)."""
    fu, fd = vectors["u"], vectors["d"]
    su, sd = scalars["u"], scalars["d"]
    v_l = f_pi * ((fu[2] - fu[0]) / 2.0 - (fd[2] - fd[0]) / 2.0) / jnp.sqrt(2.0)
    v_r = f_pi * ((fu[1] - fu[3]) / 2.0 - (fd[1] - fd[3]) / 2.0) / jnp.sqrt(2.0)
    pre = f_pi * m_pi**2 / (m_u + m_d) / jnp.sqrt(2.0)
    s_l = pre * ((su[3] - su[2]) / 2.0 - (sd[3] - sd[2]) / 2.0)
    s_r = pre * ((su[0] - su[1]) / 2.0 - (sd[0] - sd[1]) / 2.0)
    g_l = s_l + (-v_l * m_l + v_r * m_tau)
    g_r = s_r + (-v_r * m_l + v_l * m_tau)
    return gamma_fermion_scalar(m_tau, m_pi, m_l, g_l, g_r)


def photon_penguin(params, inputs, q):
    """K_{L,R} [3x3 complex, coefficient of l-bar_a gamma P l_b per unit e^2 Q_f (f-bar gamma f)] at momentum
    transfer q (module docstring, item 3)."""
    return _photon_penguin(params, q, loop_context(params, inputs),
                           lambda c: jnp.conj(c)[:, :, None] * c[:, None, :])


def _photon_loops(params, context):
    """The five photon-penguin loops, one tuple each: coupling (3, 3), quark masses (3,), leptoquark mass, photon
    charge of the coupled field, loop functions (five (3,) arrays; rows of the shared context,
    kernels.leptoquark.context) and the lepton chirality."""
    loops = (  # coupling, context row (quark and leptoquark masses), photon charge of the coupled field, chirality
        (params["fL"], UP_R2, Q_UP, "L"),
        (params["yL"], UP_S1, -Q_UP, "L"),
        (params["fR"], UP_R2, Q_UP, "R"),
        (context["f_hat"], DOWN_R2, Q_DOWN, "R"),
        (params["yR"], UP_S1, -Q_UP, "R"),
    )
    dtype = context["m_q"].dtype
    return [(coupling, context["m_q"][row], context["mass"][row], jnp.asarray(charge, dtype=dtype),
             tuple(f[row] for f in context["functions"]), chirality)  # static rows (no gather)
            for coupling, row, charge, chirality in loops]


def photon_penguin_pairs(params, inputs, q, pairs, context=None):
    """(K_L, K_R) of :func:`photon_penguin` for the lepton pairs (a, b) only, each (P,) complex (the same numbers
    without the full flavour matrices), loop by loop. ``context``: :func:`kernels.leptoquark.context.loop_context`
    if already known."""
    context = loop_context(params, inputs) if context is None else context
    return _photon_penguin(params, q, context,
                           lambda c: jnp.stack([jnp.conj(c[:, a]) * c[:, b] for a, b in pairs], axis=-1))


def _photon_penguin(params, q, context, lepton_weights):
    """(K_L, K_R) summed over the loops of :func:`_photon_loops`; ``lepton_weights(coupling)`` gives the coupling
    products lambda*_{q a} lambda_{q b} with the quark on the leading axis (the full matrices or chosen pairs)."""
    k = {"L": 0.0, "R": 0.0}
    for c, m_q, mass, charge, functions, chirality in _photon_loops(params, context):
        full, _ = vertex_functions(m_q, mass, charge, charge, jnp.full_like(charge, Q_LEPTON), q, functions=functions)
        weights = lepton_weights(c)
        # over the quarks (a reduce: see zdecay._quark_sum)
        total = jnp.sum(weights * full.reshape(full.shape + (1,) * (weights.ndim - 1)), axis=0)
        k[chirality] = k[chirality] + N_C_PRE * total / q**2
    return k["L"], k["R"]


def _sqrt2():
    return jnp.sqrt(2.0)


def tree_tau_quark_coefficients(params, inputs, i, j):
    """Tree-level leptoquark exchange for l_i -> l_j q q-bar, q = u, d, s (module docstring, item 4): per quark
    {"CVLL", "CVLR" (l_L l_L)(q_R q_R), "CVRL" (q_L q_L)(l_R l_R), "CVRR", "CSRR" (l_j,L l_i,R)(q_L q_R), "CTRR",
    "CSRR_ltau" (l_i,L l_j,R)(q_L q_R), "CTRR_ltau"} in the WCxf/flavio normalisation."""
    inv_r2, inv_s1 = 1.0 / params["M_R2"] ** 2, 1.0 / params["M_S1"] ** 2
    f_l, f_r, y_l, y_r = params["fL"], params["fR"], params["yL"], params["yR"]
    f_hat = f_r_hat(f_r, inputs["ckm"])
    zero = jnp.zeros((), dtype=f_l.dtype)
    s_r2 = -jnp.conj(f_l[_U, j]) * f_r[_U, i] * inv_r2 / 2.0
    s_s1 = -jnp.conj(y_l[_U, j]) * y_r[_U, i] * inv_s1 / 2.0
    p_r2 = -f_r[_U, j] * jnp.conj(f_l[_U, i]) * inv_r2 / 2.0
    p_s1 = -y_r[_U, j] * jnp.conj(y_l[_U, i]) * inv_s1 / 2.0
    out = {"u": {
        "CVLL": jnp.conj(y_l[_U, j]) * y_l[_U, i] * inv_s1 / 2.0,
        "CVLR": -jnp.conj(f_l[_U, j]) * f_l[_U, i] * inv_r2 / 2.0,
        "CVRL": -jnp.conj(f_r[_U, j]) * f_r[_U, i] * inv_r2 / 2.0,
        "CVRR": jnp.conj(y_r[_U, j]) * y_r[_U, i] * inv_s1 / 2.0,
        "CSRR": s_r2 + s_s1, "CTRR": s_r2 / 4.0 - s_s1 / 4.0,
        "CSRR_ltau": p_r2 + p_s1, "CTRR_ltau": p_r2 / 4.0 - p_s1 / 4.0,
    }}
    for q, row in (("d", _D), ("s", _S)):
        out[q] = {"CVLL": zero, "CVLR": zero, "CVRL": -jnp.conj(f_hat[row, j]) * f_hat[row, i] * inv_r2 / 2.0,
                  "CVRR": zero, "CSRR": zero, "CTRR": zero, "CSRR_ltau": zero, "CTRR_ltau": zero}
    return out


def lfv_coefficients(params, inputs, i, j, pieces=None):
    """WET coefficients of l_i -> l_j (flavio names without the lepton labels, module docstring): the dipole
    ("C7", "C7p" in units of the decaying mass), the four-lepton vectors of l_i -> 3 l_j ("CVLL", "CVLR", "CVRL",
    "CVRR") and, for tau decays, the semileptonic coefficients per quark, {"u": [...], "d": [...], "s": [...]} in the
    order of :func:`gamma_tau_vector`, plus "S" (scalars per quark in the order of :func:`gamma_tau_pion`).
    ``pieces``: (sigma_R[i, j], sigma_L[i, j], z_L[j, i], z_R[j, i], K_L[j, i], K_R[j, i]) if already computed
    (:func:`lfv_observables` computes them for the three transitions at once); otherwise from the full matrices."""
    s_w2 = inputs["s_W2"]
    alpha = inputs["alpha_dipole"]
    e = jnp.sqrt(4.0 * jnp.pi * alpha)
    e2 = e**2
    m_i = inputs["m_lep"][i]
    if pieces is None:
        sigma_l, sigma_r = total_dipole_coefficients(params, inputs)
        corrections = z_vertex_corrections(params, inputs)
        k_l_all, k_r_all = photon_penguin(params, inputs, m_i)
        pieces = (sigma_r[i, j], sigma_l[i, j], corrections["L"][1][j, i], corrections["R"][1][j, i],
                  k_l_all[j, i], k_r_all[j, i])
    sigma_r_ij, sigma_l_ij, z_l, z_r, k_l, k_r = pieces
    cgamma_ij = e / 2.0 * sigma_r_ij
    cgamma_ji = e / 2.0 * jnp.conj(sigma_l_ij)
    z_pre = -8.0 * inputs["G_F"] / _sqrt2()
    g_l, g_r = -0.5 + s_w2, s_w2
    out = {
        "C7": e * cgamma_ij / m_i,
        "C7p": e * jnp.conj(cgamma_ji) / m_i,
        "Cgamma_ij": cgamma_ij,
        "Cgamma_ji": cgamma_ji,
        "CVLL": z_pre * z_l * g_l + e2 * Q_LEPTON * k_l,
        "CVLR": z_pre * z_l * g_r + e2 * Q_LEPTON * k_l,
        "CVRL": z_pre * z_r * g_l + e2 * Q_LEPTON * k_r,
        "CVRR": z_pre * z_r * g_r + e2 * Q_LEPTON * k_r,
    }
    if i != _TAU:
        return out
    tree = tree_tau_quark_coefficients(params, inputs, i, j)
    zq = {"u": (0.5 - 2.0 / 3.0 * s_w2, -2.0 / 3.0 * s_w2), "d": (-0.5 + s_w2 / 3.0, s_w2 / 3.0),
          "s": (-0.5 + s_w2 / 3.0, s_w2 / 3.0)}
    charge = {"u": Q_UP, "d": Q_DOWN, "s": Q_DOWN}
    semi, scalars = {}, {}
    for q in ("u", "d", "s"):
        gq_l, gq_r = zq[q]
        t = tree[q]
        vll = t["CVLL"] + z_pre * z_l * gq_l + e2 * charge[q] * k_l
        vlr = t["CVLR"] + z_pre * z_l * gq_r + e2 * charge[q] * k_l   # (l_L tau_L)(q_R q_R)
        vrl = t["CVRL"] + z_pre * z_r * gq_l + e2 * charge[q] * k_r   # (q_L q_L)(l_R tau_R)
        vrr = t["CVRR"] + z_pre * z_r * gq_r + e2 * charge[q] * k_r
        semi[q] = [vll, vlr, vrl, vrr, t["CTRR_ltau"], t["CTRR"]]
        zero = jnp.zeros_like(vll)
        scalars[q] = [t["CSRR"], zero, jnp.conj(t["CSRR_ltau"]), zero]
    out["semi"] = semi
    out["S"] = scalars
    return out


def lfv_observables(params, inputs, context=None, dipoles=None):
    """BR(l -> 3 l') and BR(tau -> l P, l V) of one point (module docstring). ``context``:
    :func:`kernels.leptoquark.context.loop_context`, ``dipoles``: :func:`kernels.leptoquark.dipoles.dipole_pieces`,
    if already known (the point function shares them with the dipole and Z groups)."""
    m_lep, width = inputs["m_lep"], inputs["gamma_lep"]
    e = jnp.sqrt(4.0 * jnp.pi * inputs["alpha_dipole"])
    context = loop_context(params, inputs) if context is None else context
    # the dipole, Z- and photon-penguin pieces of the three transitions, each computed once (only the needed
    # flavour elements: (j, i) = (e, mu), (mu, tau), (e, tau))
    sigma = (dipole_pieces(params, inputs, context) if dipoles is None else dipoles)["pairs"]
    pairs = ((_E, _MU), (_MU, _TAU), (_E, _TAU))
    z = z_zero_momentum_pairs(params, inputs, pairs, context)
    k_mu = photon_penguin_pairs(params, inputs, m_lep[_MU], pairs[:1], context)
    k_tau = photon_penguin_pairs(params, inputs, m_lep[_TAU], pairs[1:], context)
    pieces = {  # sigma[(i, j)] = (sigma_L^{ij}, sigma_R^{ij})
        (_MU, _E): (sigma[(_MU, _E)][1], sigma[(_MU, _E)][0], z["L"][0], z["R"][0], k_mu[0][0], k_mu[1][0]),
        (_TAU, _MU): (sigma[(_TAU, _MU)][1], sigma[(_TAU, _MU)][0], z["L"][1], z["R"][1], k_tau[0][0], k_tau[1][0]),
        (_TAU, _E): (sigma[(_TAU, _E)][1], sigma[(_TAU, _E)][0], z["L"][2], z["R"][2], k_tau[0][1], k_tau[1][1]),
    }
    coefficients = {key: lfv_coefficients(params, inputs, *key, pieces=value) for key, value in pieces.items()}
    out = {}
    for name, i, j in (("br_mu_3e", _MU, _E), ("br_tau_3mu", _TAU, _MU), ("br_tau_3e", _TAU, _E)):
        out[name] = gamma_three_leptons(m_lep[i], m_lep[j], coefficients[(i, j)]) / width[i]
    m_tau = m_lep[_TAU]
    m_u, m_d = inputs["had_m_ud_2GeV"][0], inputs["had_m_ud_2GeV"][1]
    for lepton, j in (("mu", _MU), ("e", _E)):
        c = coefficients[(_TAU, j)]
        m_l = m_lep[j]
        rho = {"u": 1.0 / _sqrt2(), "d": -1.0 / _sqrt2()}
        for meson, quarks, m_v, f_v, f_perp in (
            ("phi", {"s": 1.0}, inputs["had_m_phi"], inputs["had_f_phi"], inputs["had_f_perp_phi"]),
            ("rho", rho, inputs["had_m_rho0"], inputs["had_f_rho0"], inputs["had_f_perp_rho0"]),
        ):
            gamma = gamma_tau_vector(c["semi"], quarks, m_tau, m_l, m_v, f_v, f_perp, e, c["Cgamma_ij"], c["Cgamma_ji"])
            out[f"br_tau_{lepton}_{meson}"] = gamma / width[_TAU]
        vectors = {q: (c["semi"][q][0], c["semi"][q][3], c["semi"][q][1], c["semi"][q][2]) for q in ("u", "d")}
        gamma = gamma_tau_pion(vectors, c["S"], m_tau, m_l, inputs["had_m_pi0"], inputs["had_f_pi0"], m_u, m_d)
        out[f"br_tau_{lepton}_pi"] = gamma / width[_TAU]
    return out
