"""Z and W decays with one-loop quark-leptoquark vertex corrections: Gamma(Z -> l l) for every lepton, the invisible
width, and lepton universality in Z and W decays (docs/physics/leptoquark.md section 6.4).

Z couplings (g/c_W) f-bar gamma^mu (g_L P_L + g_R P_R) f with SM g_L = T3 - Q s_W^2, g_R = -Q s_W^2. A vertex
q-bar (r P_R) l_b S (or l P_L) with couplings lambda_{q a} shifts the Z coupling of the lepton chirality it touches,
as a Hermitian matrix in lepton flavour (coefficient of l-bar_a gamma l_b), by

    delta g_{ab} = N_c/(16 pi^2) sum_q lambda*_{q a} lambda_{q b}
                   { (a_o - a_c) x g_S(x) + sigma [ T1(x) + (a_c - a_o) h0(r) + a_c h1(r) ] },
    x = m_q^2/M^2,  sigma = m_Z^2/M^2,  r = m_q^2/m_Z^2

(real part, one loop, first order in m_Z^2/M^2, exact in m_q^2/M^2 at sigma = 0 and in m_q^2/m_Z^2). a_c is the Z
charge (T3 - Q s_W^2) of the quark chirality the vertex couples, a_o that of the other chirality; the leptoquark's
charge is fixed by conservation (a_c - g_l), which is what makes the sum of vertex, leptoquark-line and wave-function
diagrams finite. With D(t) = 1 - t + t x and the loop functions of :mod:`kernels.leptoquark.loops`,

    T1(x) = (a_c/3) int t^3/D + (a_o/6) x int t^3/D^2 - ((a_c - g_l)/6) int (1-t)^3/D
          = (a_c/3)(g_F - 2 f_F) - (a_o/6) x g_F'(x) - ((a_c - g_l)/6)(1 - (2+x) g_S + 2 g_F + 2 f_F)
    h0(r) = 1/6 + r int_0^1 ln|1 - t(1-t)/r| dt ,      h1(r) = (1/3) ln r - 2 int_0^1 t(1-t) ln|r - t(1-t)| dt.

T1 is the Taylor coefficient in m_Z^2 for a heavy quark; h0, h1 (-> 0 for r -> infinity) add the light-quark
threshold (m_q < m_Z/2), where the expansion in m_Z^2 at fixed m_q fails; together they are the composite of the
two asymptotic regions. The first term is the top-Yukawa piece x_t (x_t - 1 - ln x_t)/(x_t - 1)^2 of
Arnan, Becirevic, Mescia, Sumensari, JHEP 02 (2019) 109 [arXiv:1901.06315]; the whole expression was derived
here from the three one-loop diagrams (Feynman parameters, dimensional regularisation) and checked against a direct
numerical integration of the exact one-loop expressions (tests/reference/lq_dipoles_numpy.py): within 0.07%
for a top loop and 0.8% for a light-quark loop (whose effect is entirely the m_Z^2 part) at M = 1 TeV, 0.35% at
1.5 TeV, 0.08% at 3 TeV (the error falls like m_Z^2/M^2). Not included: the chirality-flipping f^L f^R and y^L y^R
interference (suppressed by m_l/m_Z), the absorptive part, and leptoquark mixing (gauge eigenstates, section 1).

Loops. Charged leptons, left-handed: R^{5/3} with f^L (u_R), S1 with y^L ((u_L)^c); right-handed: R^{5/3} with f^R
(u_L), R^{2/3} with f-hat^R = V^dagger f^R (d_L), S1 with y^R ((u_R)^c). Neutrinos (left-handed, g = 1/2): R^{2/3}
with f^L (u_R), S1 with y-hat^L = -V^T y^L ((d_L)^c). Charge-conjugate quarks carry minus the Z charge of the quark of
opposite chirality. Observables, to first order:

    dgamma_z_<ll>_rel = delta Gamma(Z -> l l)/Gamma = 2 (g_L delta g_L,ll + g_R delta g_R,ll)/(g_L^2 + g_R^2)
    n_nu_z = Gamma(Z -> invisible)/Gamma(Z -> nu nu)_SM = 3 + (2/g_nu) tr delta g^nu     (g_nu = 1/2)
    r_z_mumu_ee = (1 + dgamma_z_mumu_rel)/(1 + dgamma_z_ee_rel),  r_z_tautau_mumu likewise (SM = 1: mass effects
    cancel in the normalised ratio)

W decays. The W vertex l_a -> nu_b at zero momentum transfer is computed directly (it is NOT delta g^nu - delta g^l of
the Z vertices: that SU(2) relation holds for the leading logarithm only; the finite m_t^2 terms of the t-b loop
differ from those of the t-t loop by ~15% at 1 TeV, tests/kernels/test_lq_electroweak.py). Only S1 contributes at
q^2 = 0: R^{5/3} and R^{2/3} form a degenerate doublet coupled to the SU(2)-singlet u_R (f^L), and f^R, f-hat^R couple
right-handed leptons. With the W coupling -V_ij of the conjugate quarks (u_L)^c_i -> (d_L)^c_j,

    delta_W^{ba} = N_c/(16 pi^2) { sum_ij yhat*_{j b} V_ij y_{i a} J_a(x_i, x_j)
                                   + (1/2) sum_i y*_{i b} y_{i a} J_c(x_i) + (1/2) sum_j yhat*_{j b} yhat_{j a} J_c(x_j) },
    J_a(x1, x2) = int_simplex [ln(x x1 + y x2 + 1 - x - y) + 1] = (x1 L(x1) - x2 L(x2))/(2 (x1 - x2)) - 1/4,
    J_c(x) = int_0^1 t ln(t + (1-t) x) dt = (2 x^2 ln x - 3 x^2 + 4 x - 1)/(4 (x - 1)^2),   L(x) = x ln x/(x - 1)

(vertex with the W on the quark line plus half the wave-function renormalisation of each external lepton; y = y^L,
x = m_q^2/M_S1^2; the poles cancel by CKM unitarity). Gamma(W -> l nu)/SM = 1 + 2 Re delta_W^{ll} (first order,
summed over the unobserved neutrino), and r_w_mue = Gamma(W -> mu nu)/Gamma(W -> e nu) normalised to the SM,
r_w_taumu, r_w_taue likewise. Neglected: the O(m_W^2/M^2) terms (the R2 doublet's, and S1's q^2 dependence), below
1e-3 of the width for unit couplings at 1 TeV.

Inputs: s_W2, m_Z, the loop quark masses (m_up_loop, m_down_loop; run to each leptoquark's mass with
loop_quark_masses = "lq_scale") and the CKM matrix.

The earlier anchors of docs/physics/leptoquark.md section 6 (M = 1 TeV, unit coupling: -4.05e-3 for f^R_t-tau,
-4.44e-3 for f^L_t-tau, -4.47e-3 for y^L_t-tau, -3.88e-3 for y^R_t-tau) were leading-log estimates without the finite
terms; the exact m_Z -> 0 top term gives -2.54e-3 for f^R_t-tau and the full one-loop value implemented here -2.80e-3
(docs/physics-notes.md B5).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from flavorscan.kernels.leptoquark.context import DOWN_R2, DOWN_S1, UP_R2, UP_S1, loop_context
from flavorscan.kernels.leptoquark.loops import loop_functions
from flavorscan.kernels.observable import Observable

N_C = 3.0
_E, _MU, _TAU = 0, 1, 2
_LEPTONS = ("ee", "mumu", "tautau")
G_NU = 0.5

OBSERVABLES = (
    Observable("dgamma_z_ee_rel", "", "relative shift of Gamma(Z -> e e) from one-loop S1 and R2 quark loops, first order"),
    Observable("dgamma_z_mumu_rel", "", "relative shift of Gamma(Z -> mu mu), first order"),
    Observable("dgamma_z_tautau_rel", "", "relative shift of Gamma(Z -> tau tau), first order"),
    Observable("n_nu_z", "", "Gamma(Z -> invisible) in units of one SM neutrino width (3 in the SM), first order"),
    Observable("r_z_mumu_ee", "", "Gamma(Z -> mu mu)/Gamma(Z -> e e) normalised to the SM"),
    Observable("r_z_tautau_mumu", "", "Gamma(Z -> tau tau)/Gamma(Z -> mu mu) normalised to the SM"),
    Observable("r_w_mue", "", "Gamma(W -> mu nu)/Gamma(W -> e nu) normalised to the SM"),
    Observable("r_w_taumu", "", "Gamma(W -> tau nu)/Gamma(W -> mu nu) normalised to the SM"),
    Observable("r_w_taue", "", "Gamma(W -> tau nu)/Gamma(W -> e nu) normalised to the SM"),
)

def _threshold_light(r):
    """L0 = int ln|1 - t(1-t)/r|, L1 = int t(1-t) ln|r - t(1-t)| for r < 1/4: real roots t_pm of t(1-t) = r.

    int_0^1 ln|t - a| = (1-a) ln(1-a) + a ln a - 1 and
    int_0^1 t(1-t) ln|t - a| = (1/6 - P(a)) ln(1-a) + P(a) ln a - 5/36 - a/3 + a^2/3, P(a) = a^2/2 - a^3/3,
    for 0 < a < 1, with 1 - t_pm = t_mp.
    """
    t_plus = 0.5 * (1.0 + jnp.sqrt(1.0 - 4.0 * r))
    t_minus = r / t_plus  # not (1 - beta)/2, which cancels for small r
    log_plus, log_minus = jnp.log(t_plus), jnp.log(t_minus)
    l0 = 2.0 * (t_plus * log_plus + t_minus * log_minus) - 2.0 - jnp.log(r)

    def weighted(a, log_a, log_one_minus_a):
        p = a**2 / 2.0 - a**3 / 3.0
        return (1.0 / 6.0 - p) * log_one_minus_a + p * log_a - 5.0 / 36.0 - a / 3.0 + a**2 / 3.0

    l1 = weighted(t_plus, log_plus, log_minus) + weighted(t_minus, log_minus, log_plus)
    return l0, l1


def _threshold_heavy(r):
    """L0, L1 as in :func:`_threshold_light` for r >= 1/4, where r - t(1-t) = (t - 1/2)^2 + gamma^2/4 > 0:

    L0 = 2 gamma arctan(1/gamma) - 2,  L1 = J0/2 - 2 J2 with gamma = sqrt(4r - 1),
    J0 = int_0^1/2 ln(z^2 + g^2) = ln(r)/2 - 1 + gamma arctan(1/gamma),
    J2 = int_0^1/2 z^2 ln(z^2 + g^2) = ln(r)/24 - (2/3)(1/24 - g^2/2 + g^3 arctan(1/gamma)),  g = gamma/2.
    """
    gamma = jnp.sqrt(4.0 * r - 1.0)
    g = 0.5 * gamma
    atan = jnp.arctan2(1.0, gamma)  # pi/2 at gamma = 0
    j0 = 0.5 * jnp.log(r) - 1.0 + gamma * atan
    j2 = jnp.log(r) / 24.0 - 2.0 / 3.0 * (1.0 / 24.0 - g**2 / 2.0 + g**3 * atan)
    return 2.0 * gamma * atan - 2.0, 0.5 * j0 - 2.0 * j2


def _threshold_functions(r):
    """h0(r) = 1/6 + r L0(r), h1(r) = ln(r)/3 - 2 L1(r) of the module docstring (both -> 0 for r -> infinity).

    r = m_q^2/m_Z^2 < 1/4 (q q-bar threshold below m_Z) has real roots of t(1-t) = r and principal-value
    logarithms, r >= 1/4 none; each branch only ever sees arguments valid for it.
    """
    light = r < 0.25
    l0_light, l1_light = _threshold_light(jnp.where(light, r, 0.1))
    l0_heavy, l1_heavy = _threshold_heavy(jnp.where(light, 1.0, r))
    l0 = jnp.where(light, l0_light, l0_heavy)
    l1 = jnp.where(light, l1_light, l1_heavy)
    return r * l0 + 1.0 / 6.0, jnp.log(r) / 3.0 - 2.0 * l1


def w_loop_functions(x_up, x_down, g_s_up, g_s_down):
    """(J_a[i, j], J_c(x_up), J_c(x_down)) of the module docstring; x_up, x_down: (..., 3), g_s_*: g_S at them.

    Written through g_S(x) = 1/(x-1) - ln x/(x-1)^2 of :mod:`kernels.leptoquark.loops` (shared with the dipoles,
    so no logarithm or series of its own): ln x = (x-1) - (x-1)^2 g_S gives exactly

        x L(x) = x^2 [1 - (x-1) g_S(x)],    J_c(x) = [2x - 1 - 2 x^2 g_S(x)]/4,

    finite at x = 1 (L = 1, J_c = 0) without a series, since g_S is."""
    xl_up = x_up**2 * (1.0 - (x_up - 1.0) * g_s_up)
    xl_down = x_down**2 * (1.0 - (x_down - 1.0) * g_s_down)
    j_a = (xl_up[..., :, None] - xl_down[..., None, :]) / (2.0 * (x_up[..., :, None] - x_down[..., None, :])) - 0.25
    return j_a, (2.0 * x_up - 1.0 - 2.0 * x_up**2 * g_s_up) / 4.0, (2.0 * x_down - 1.0 - 2.0 * x_down**2 * g_s_down) / 4.0


def _bilinear(coupling):
    """[q, a, b] = conj(lambda_{q a}) lambda_{q b}."""
    return jnp.conj(coupling)[:, :, None] * coupling[:, None, :]


def vertex_functions(m_q, mass, charge_coupled, charge_other, g_lepton, m_z, functions=None, pole=True):
    """(F at sigma = m_Z^2/M^2, F at zero momentum), each (..., 3) over the quarks, with
    delta g = N_c/(16 pi^2) sum_q lambda* lambda F (module docstring). Arguments as :func:`z_coupling_shift`;
    ``pole=False`` skips the threshold functions and returns (None, zero)."""
    mass, a_c, a_o, g_lepton = (jnp.asarray(v)[..., None] for v in (mass, charge_coupled, charge_other, g_lepton))
    x = (m_q / mass) ** 2
    _, f_f, g_s, g_f, dg_f = loop_functions(x) if functions is None else functions
    zero = (a_o - a_c) * x * g_s
    if not pole:
        return None, zero
    sigma = (m_z / mass) ** 2
    taylor = (
        a_c / 3.0 * (g_f - 2.0 * f_f)
        - a_o / 6.0 * x * dg_f
        - (a_c - g_lepton) / 6.0 * (1.0 - (2.0 + x) * g_s + 2.0 * g_f + 2.0 * f_f)
    )
    h0, h1 = jax.lax.optimization_barrier(_threshold_functions((m_q / m_z) ** 2))
    return zero + sigma * (taylor + (a_c - a_o) * h0 + a_c * h1), zero


def z_coupling_shift(weights, m_q, mass, charge_coupled, charge_other, g_lepton, m_z, functions=None):
    """(delta g at sigma = m_Z^2/M^2, delta g at zero momentum) of one lepton chirality, summed over the three quarks.

    weights: (..., 3, A, B) = lambda*_{q a} lambda_{q b} (or (..., 3) for a single lepton); m_q: (..., 3) quark masses;
    mass: (...) leptoquark mass; charge_coupled / charge_other: (...) Z charges a_c, a_o of the coupled / other quark
    chirality; g_lepton: (...) SM Z charge of the lepton chirality. Leading axes enumerate loops (evaluated together,
    which keeps the compiled graph small). Formula in the module docstring. ``functions``: loop_functions(x) if
    already known.
    """
    full, zero = vertex_functions(m_q, mass, charge_coupled, charge_other, g_lepton, m_z, functions)
    quark_axis = full.ndim - 1
    extra = weights.ndim - full.ndim
    full, zero = (v.reshape(v.shape + (1,) * extra) for v in (full, zero))
    pre = N_C / (16.0 * jnp.pi**2)
    return pre * jnp.sum(weights * full, axis=quark_axis), pre * jnp.sum(weights * zero, axis=quark_axis)


def _z_loop_list(params, inputs, context=None):
    """The seven Z-vertex loops (module docstring), one dict each: coupling (3, 3), quark masses m_q (3,), leptoquark
    mass, a_c, a_o, lepton charge g, the loop functions (five (3,) arrays) and the target chirality ("L", "R", "nu")."""
    s_w2 = inputs["s_W2"]
    u_l, u_r = 0.5 - 2.0 / 3.0 * s_w2, -2.0 / 3.0 * s_w2
    d_l, d_r = -0.5 + 1.0 / 3.0 * s_w2, 1.0 / 3.0 * s_w2
    g_l, g_r = -0.5 + s_w2, s_w2
    # the loop functions of the distinct (quark, leptoquark) mass pairs up-R2, down-R2, up-S1, down-S1, shared with
    # the dipoles and the LFV penguins (kernels.leptoquark.context)
    context = loop_context(params, inputs) if context is None else context
    f_hat, y_hat = context["f_hat"], context["y_hat"]
    # One row per loop (coupling, context row of quark and leptoquark masses, a_c, a_o, lepton charge, target):
    loops = (
        (params["fL"], UP_R2, u_r, u_l, g_l, "L"),       # R^{5/3}: u_R - l_L
        (params["yL"], UP_S1, -u_l, -u_r, g_l, "L"),     # S1: (u_L)^c - l_L
        (params["fR"], UP_R2, u_l, u_r, g_r, "R"),       # R^{5/3}: u_L - l_R
        (f_hat, DOWN_R2, d_l, d_r, g_r, "R"),            # R^{2/3}: d_L - l_R
        (params["yR"], UP_S1, -u_r, -u_l, g_r, "R"),     # S1: (u_R)^c - l_R
        (params["fL"], UP_R2, u_r, u_l, G_NU, "nu"),     # R^{2/3}: u_R - nu_L
        (y_hat, DOWN_S1, -d_l, -d_r, G_NU, "nu"),        # S1: (d_L)^c - nu_L
    )
    dtype = jnp.result_type(s_w2)
    return [
        dict(coupling=coupling, m_q=context["m_q"][row], mass=context["mass"][row],  # static rows (no gather)
             a_c=jnp.asarray(a_c, dtype=dtype), a_o=jnp.asarray(a_o, dtype=dtype), g=jnp.asarray(g, dtype=dtype),
             functions=tuple(f[row] for f in context["functions"]), target=target)
        for coupling, row, a_c, a_o, g, target in loops
    ]


def _loop_vertex_functions(loop, m_z, pole=True):
    """:func:`vertex_functions` of one loop of :func:`_z_loop_list`."""
    return vertex_functions(loop["m_q"], loop["mass"], loop["a_c"], loop["a_o"], loop["g"], m_z,
                            functions=loop["functions"], pole=pole)


def _quark_sum(weights, values):
    """sum_q weights[q, ...] values[q] over the three quarks (leading axis of weights).

    Kept a reduction on purpose: on XLA:CPU a reduce ends a fusion, so the per-loop sums are materialised once;
    written as explicit adds they are fused, and recomputed, into every observable that uses them."""
    return jnp.sum(weights * values.reshape(values.shape + (1,) * (weights.ndim - 1)), axis=0)


def _z_loops(params, inputs, context=None):
    """The loops of :func:`_z_loop_list` stacked along a leading axis (the full flavour matrices of
    :func:`z_vertex_corrections`)."""
    loops = _z_loop_list(params, inputs, context)
    stacked = {k: jnp.stack([loop[k] for loop in loops]) for k in ("coupling", "m_q", "mass", "a_c", "a_o", "g")}
    stacked["couplings"] = stacked.pop("coupling")
    stacked["functions"] = tuple(jnp.stack([loop["functions"][k] for loop in loops]) for k in range(5))
    stacked["targets"] = tuple(loop["target"] for loop in loops)
    return stacked


def _by_target(values, targets):
    """{target: sum over the loops of that chirality (leading axis; static indices)}."""
    return {t: sum(values[k] for k, u in enumerate(targets) if u == t) for t in ("L", "R", "nu")}


def z_vertex_corrections(params, inputs):
    """Flavour matrices delta g_{ab} (3x3 complex, coefficient of l-bar_a gamma l_b) on the Z pole and at zero
    momentum: {"L": (pole, zero), "R": (pole, zero), "nu": (pole, zero)} (module docstring)."""
    loops = _z_loops(params, inputs)
    pole, zero = z_coupling_shift(jnp.stack([_bilinear(c) for c in loops["couplings"]]), loops["m_q"], loops["mass"],
                                  loops["a_c"], loops["a_o"], loops["g"], inputs["m_Z"], functions=loops["functions"])
    pole, zero = _by_target(pole, loops["targets"]), _by_target(zero, loops["targets"])
    return {t: (pole[t], zero[t]) for t in ("L", "R", "nu")}


def z_vertex_diagonal(params, inputs, context=None):
    """Real diagonals of the pole matrices of :func:`z_vertex_corrections`, {"L", "R", "nu"}: (3,) each, computed
    from |lambda_{q a}|^2 only (what the widths need; the same numbers, cheaper), loop by loop. ``context``:
    :func:`kernels.leptoquark.context.loop_context` if already known."""
    out = {"L": 0.0, "R": 0.0, "nu": 0.0}
    for loop in _z_loop_list(params, inputs, context):
        full, _ = _loop_vertex_functions(loop, inputs["m_Z"])
        c = loop["coupling"]
        weights = jnp.real(c) ** 2 + jnp.imag(c) ** 2  # (q, a)
        out[loop["target"]] = out[loop["target"]] + N_C / (16.0 * jnp.pi**2) * _quark_sum(weights, full)
    return out


def z_zero_momentum_pairs(params, inputs, pairs, context=None):
    """delta g_{ab} at zero momentum for the lepton pairs (a, b) only: {"L": (P,), "R": (P,)} complex (the LFV Z
    penguin; no threshold functions), loop by loop. ``context`` as in :func:`z_vertex_diagonal`."""
    out = {"L": 0.0, "R": 0.0, "nu": 0.0}
    for loop in _z_loop_list(params, inputs, context):
        _, zero = _loop_vertex_functions(loop, inputs["m_Z"], pole=False)
        c = loop["coupling"]
        weights = jnp.stack([jnp.conj(c[:, a]) * c[:, b] for a, b in pairs], axis=-1)  # (q, P)
        out[loop["target"]] = out[loop["target"]] + N_C / (16.0 * jnp.pi**2) * _quark_sum(weights, zero)
    return out


def _s1_w_loop_functions(context):
    """:func:`w_loop_functions` at the S1 rows of a :func:`kernels.leptoquark.context.loop_context`."""
    x_up, x_down = ((context["m_q"][row] / context["mass"][row]) ** 2 for row in (UP_S1, DOWN_S1))
    g_s = context["functions"][2]
    return w_loop_functions(x_up, x_down, g_s[UP_S1], g_s[DOWN_S1])


def w_vertex_correction(params, inputs):
    """delta_W^{ba} (3x3 complex: W vertex l_a -> nu_b at zero momentum transfer, relative to the SM), module docstring."""
    ckm = inputs["ckm"]
    y = params["yL"]
    context = loop_context(params, inputs)
    j_a, j_c_up, j_c_down = _s1_w_loop_functions(context)
    y_hat = context["y_hat"]
    vertex = jnp.einsum("jb,ij,ia,ij->ba", jnp.conj(y_hat), ckm, y, j_a)
    legs = 0.5 * (jnp.einsum("ib,ia,i->ba", jnp.conj(y), y, j_c_up) + jnp.einsum("jb,ja,j->ba", jnp.conj(y_hat), y_hat, j_c_down))
    return N_C / (16.0 * jnp.pi**2) * (vertex + legs)


def w_vertex_diagonal(params, inputs, context=None):
    """Re delta_W^{aa} (3,): the diagonal of :func:`w_vertex_correction` (all the widths need), in real arithmetic,

        Re delta_W^{aa} = N_c/(16 pi^2) { sum_j Re(yhat*_{j a} Q_{j a}) + (1/2) sum_i |y_{i a}|^2 J_c(x_i)
                                          + (1/2) sum_j |yhat_{j a}|^2 J_c(x_j) },   Q_{j a} = sum_i V_ij y_{i a} J_a(x_i, x_j)

    (the same sums as the full matrix, regrouped; no 3x3x3 complex contraction). ``context`` as in
    :func:`z_vertex_diagonal`."""
    context = loop_context(params, inputs) if context is None else context
    ckm = inputs["ckm"]
    y, y_hat = params["yL"], context["y_hat"]
    j_a, j_c_up, j_c_down = _s1_w_loop_functions(context)
    v_re, v_im = jnp.real(ckm)[:, :, None], jnp.imag(ckm)[:, :, None]  # [i, j, 1]
    y_re, y_im = jnp.real(y), jnp.imag(y)  # [i, a]
    h_re, h_im = jnp.real(y_hat), jnp.imag(y_hat)  # [j, a]
    weight = j_a[:, :, None]
    q_re = jnp.sum((v_re * y_re[:, None, :] - v_im * y_im[:, None, :]) * weight, axis=0)  # [j, a]
    q_im = jnp.sum((v_re * y_im[:, None, :] + v_im * y_re[:, None, :]) * weight, axis=0)
    vertex = jnp.sum(h_re * q_re + h_im * q_im, axis=0)
    legs = 0.5 * (jnp.sum((y_re**2 + y_im**2) * j_c_up[:, None], axis=0)
                  + jnp.sum((h_re**2 + h_im**2) * j_c_down[:, None], axis=0))
    return N_C / (16.0 * jnp.pi**2) * (vertex + legs)


def zdecay_observables(params, inputs, context=None):
    """Z-pole widths of every lepton, the invisible width, Z and W lepton-universality ratios (module docstring).
    ``context``: :func:`kernels.leptoquark.context.loop_context` if already known."""
    context = loop_context(params, inputs) if context is None else context
    s_w2 = inputs["s_W2"]
    g_l, g_r = -0.5 + s_w2, s_w2
    diagonal = z_vertex_diagonal(params, inputs, context)
    width = 2.0 * (g_l * diagonal["L"] + g_r * diagonal["R"]) / (g_l**2 + g_r**2)
    out = {f"dgamma_z_{name}_rel": width[k] for k, name in enumerate(_LEPTONS)}
    out["n_nu_z"] = 3.0 + 2.0 / G_NU * jnp.sum(diagonal["nu"])
    out["r_z_mumu_ee"] = (1.0 + width[_MU]) / (1.0 + width[_E])
    out["r_z_tautau_mumu"] = (1.0 + width[_TAU]) / (1.0 + width[_MU])
    w_width = 1.0 + 2.0 * w_vertex_diagonal(params, inputs, context)
    out["r_w_mue"] = w_width[_MU] / w_width[_E]
    out["r_w_taumu"] = w_width[_TAU] / w_width[_MU]
    out["r_w_taue"] = w_width[_TAU] / w_width[_E]
    return out
