"""Lepton dipoles from S1 and R2 loops: Delta a_e, Delta a_mu and l_i -> l_j gamma (docs/physics/leptoquark.md
sections 3, 4).

Every leptoquark component couples as  q-bar (l_q P_L + r_q P_R) lepton S + h.c.  with Q_S = Q_q + 1, and one
function (:func:`dipole_coefficients`) turns such a vertex into the dipole coefficients

    sigma_R^{ij} = -N_c/(16 pi^2 M^2) sum_q [ m_i l*_{qj} l_{qi} F_Q(x_q) + m_j r*_{qj} r_{qi} F_Q(x_q)
                                             + m_q l*_{qj} r_{qi} G_Q(x_q) ],      sigma_L = (l <-> r),
    F_Q = Q_S f_S - f_F,  G_Q = Q_S g_S - g_F,  x_q = m_q^2/M^2

(Dorsner et al., Phys. Rept. 641 (2016) 1, Eqs. (118)-(120), exact one loop; docs/physics/leptoquark.md section 4),
defined by L = (e/2) l-bar_j sigma^{mu nu} (sigma_L P_L + sigma_R P_R) l_i F_{mu nu}. The three components are

    R^{5/3}: up quarks,       l = f^L, r = f^R,            Q_S = 5/3, mass M_R2
    R^{2/3}: down quarks,     l = 0,   r = f-hat^R = V^dag f^R, Q_S = 2/3, mass M_R2
    S1:      up antiquarks,   l = y^L, r = y^R,            Q_S = 1/3, mass M_S1

and their coefficients add. From them

    Delta a_l = m_l (sigma_L^{ll} + sigma_R^{ll})
              = -N_c m_l/(8 pi^2 M^2) sum_q [ m_l (|l_q|^2 + |r_q|^2) F_Q + m_q Re(r_q* l_q) G_Q ]   (section 3)
    BR(l_i -> l_j gamma) = alpha (m_i^2 - m_j^2)^3 / (4 m_i^3 Gamma_i) (|sigma_L^{ij}|^2 + |sigma_R^{ij}|^2)

with alpha = alpha_dipole (Thomson limit) and Gamma_i the total width. Quark masses are the loop masses of the card's
loop_quark_masses option (kernels.leptoquark.context.loop_masses): the letter's m_q(m_q) (m_c = 1.27, m_t = 160 GeV),
which reproduce its numbers, or MSbar masses run to each leptoquark's mass ("lq_scale"). Cross-checks in
tests/test_lq_dipoles.py: heavy-LQ logarithms, the letter's Table I bounds and the TX-I g-2 values.
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.leptoquark.context import DOWN_R2, UP_R2, UP_S1, loop_context
from flavorscan.kernels.leptoquark.loops import abs2, loop_functions
from flavorscan.kernels.observable import Observable

N_C = 3.0

OBSERVABLES = (
    Observable("delta_a_mu", "", "new-physics contribution to a_mu = (g-2)_mu/2 from S1 and R2 loops"),
    Observable("delta_a_e", "", "new-physics contribution to a_e = (g-2)_e/2 from S1 and R2 loops"),
    Observable("br_mu_e_gamma", "", "BR(mu -> e gamma)"),
    Observable("br_tau_e_gamma", "", "BR(tau -> e gamma)"),
    Observable("br_tau_mu_gamma", "", "BR(tau -> mu gamma)"),
)

# (decaying lepton i, final lepton j) of each radiative decay, indices into (e, mu, tau).
_RADIATIVE = (("br_mu_e_gamma", 1, 0), ("br_tau_e_gamma", 2, 0), ("br_tau_mu_gamma", 2, 1))
RADIATIVE_PAIRS = tuple((i, j) for _, i, j in _RADIATIVE)


def _bilinear(a, weight, b):
    """[..., j, i] = sum_q conj(a_{qj}) weight_q b_{qi}.

    Written as a broadcast product and a sum over q rather than an einsum: under vmap the einsum becomes a
    batched complex dot_general, which XLA:CPU runs ~3x slower for these 3x3 blocks (BENCHMARKS.md).
    """
    return jnp.sum(jnp.conj(a)[..., :, :, None] * (weight[..., :, None, None] * b[..., :, None, :]), axis=-3)


def dipole_coefficients(m_q, charge_s, l, r, mass, m_lep, functions=None):
    """(sigma_L, sigma_R), complex [..., i, j] (initial, final lepton), of scalar leptoquarks.

    m_q: (..., 3) quark masses; charge_s: (...) Q_S; l, r: (..., 3, 3) couplings [quark, lepton] of
    q-bar (l P_L + r P_R) l S; mass: (...) leptoquark mass M; m_lep: (3,) lepton masses. Leading axes enumerate
    leptoquark components (evaluated together, which keeps the compiled graph small). Formula in the module docstring.
    ``functions``: loop_functions(m_q^2/M^2) if already known.
    """
    charge_s = jnp.asarray(charge_s)[..., None]
    mass = jnp.asarray(mass)
    f_s, f_f, g_s, g_f, _ = loop_functions((m_q / mass[..., None]) ** 2) if functions is None else functions
    big_f = charge_s * f_s - f_f
    big_g = charge_s * g_s - g_f
    ll = _bilinear(l, big_f, l)
    rr = _bilinear(r, big_f, r)
    lr = _bilinear(l, m_q * big_g, r)
    m_i = m_lep[None, :]
    m_j = m_lep[:, None]
    norm = (-N_C / (16.0 * jnp.pi**2 * mass**2))[..., None, None]
    sigma_r = norm * (m_i * ll + m_j * rr + lr)
    sigma_l = norm * (m_i * rr + m_j * ll + jnp.conj(jnp.swapaxes(lr, -1, -2)))
    return jnp.swapaxes(sigma_l, -1, -2), jnp.swapaxes(sigma_r, -1, -2)


def _components(params, context):
    """(Q_S, l, r, context row) of R^{5/3}, R^{2/3} (no l: None) and S1 (module docstring table)."""
    return (
        (5.0 / 3.0, params["fL"], params["fR"], UP_R2),
        (2.0 / 3.0, None, context["f_hat"], DOWN_R2),
        (1.0 / 3.0, params["yL"], params["yR"], UP_S1),
    )


def total_dipole_coefficients(params, inputs, context=None):
    """sigma_L, sigma_R summed over R^{5/3}, R^{2/3} and S1 (docs/physics/leptoquark.md section 3 table).
    ``context``: :func:`kernels.leptoquark.context.loop_context` if already known."""
    context = loop_context(params, inputs) if context is None else context
    rows = slice(UP_R2, UP_S1 + 1)  # R^{5/3}, R^{2/3}, S1 (static slice)
    zero = jnp.zeros_like(params["fR"])
    charge_s = jnp.asarray([q for q, *_ in _components(params, context)], dtype=context["m_q"].dtype)
    l = jnp.stack([zero if c[1] is None else c[1] for c in _components(params, context)])
    r = jnp.stack([c[2] for c in _components(params, context)])
    sigma_l, sigma_r = dipole_coefficients(context["m_q"][rows], charge_s, l, r, context["mass"][rows],
                                           inputs["m_lep"], functions=tuple(f[rows] for f in context["functions"]))
    return sigma_l.sum(axis=0), sigma_r.sum(axis=0)


def dipole_pieces(params, inputs, context=None, pairs=RADIATIVE_PAIRS):
    """The entries of :func:`total_dipole_coefficients` that the observables use, computed alone: {"delta_a":
    Delta a_l for l = e, mu (real, (2,)), "pairs": {(i, j): (sigma_L^{ij}, sigma_R^{ij})} for the (initial, final)
    pairs}. Same expressions entry by entry (R^{2/3}, without l, drops its zero terms); the diagonal in real
    arithmetic, Re(conj(a) w a) = w |a|^2 and Re(conj(l) m G r) = m G Re(conj(l) r), the only part Delta a uses."""
    context = loop_context(params, inputs) if context is None else context
    m_lep = inputs["m_lep"]
    f_s, f_f, g_s, g_f, _ = context["functions"]
    terms = []  # per component: (norm, F, m_q G, l, r)
    for charge_s, l, r, row in _components(params, context):
        mass = context["mass"][row]
        norm = -N_C / (16.0 * jnp.pi**2 * mass**2)
        big_f = charge_s * f_s[row] - f_f[row]
        m_big_g = context["m_q"][row] * (charge_s * g_s[row] - g_f[row])
        terms.append((norm, big_f, m_big_g, l, r))

    def entry(a, weight, b, j, i):
        """sum_q conj(a_{qj}) weight_q b_{qi} (one entry of _bilinear)."""
        return jnp.sum(jnp.conj(a[:, j]) * (weight * b[:, i]))

    def real_entry(a, weight, b, k):
        """Re sum_q conj(a_{qk}) weight_q b_{qk}."""
        ar, ai, br, bi = jnp.real(a[:, k]), jnp.imag(a[:, k]), jnp.real(b[:, k]), jnp.imag(b[:, k])
        return jnp.sum(ar * (weight * br) + ai * (weight * bi))

    delta_a = []
    for k in (0, 1):
        m = m_lep[k]
        re_sigma_l = re_sigma_r = 0.0
        for norm, big_f, m_big_g, l, r in terms:
            rr = real_entry(r, big_f, r, k)
            if l is None:
                re_sigma_l = re_sigma_l + norm * (m * rr)
                re_sigma_r = re_sigma_r + norm * (m * rr)
                continue
            ll, lr = real_entry(l, big_f, l, k), real_entry(l, m_big_g, r, k)
            re_sigma_l = re_sigma_l + norm * (m * rr + m * ll + lr)
            re_sigma_r = re_sigma_r + norm * (m * ll + m * rr + lr)
        delta_a.append(m * (re_sigma_l + re_sigma_r))

    out = {}
    for i, j in pairs:
        m_i, m_j = m_lep[i], m_lep[j]
        sigma_l = sigma_r = 0.0
        for norm, big_f, m_big_g, l, r in terms:
            rr = entry(r, big_f, r, j, i)
            if l is None:
                sigma_r = sigma_r + norm * (m_j * rr)
                sigma_l = sigma_l + norm * (m_i * rr)
                continue
            ll, lr, lr_t = entry(l, big_f, l, j, i), entry(l, m_big_g, r, j, i), entry(l, m_big_g, r, i, j)
            sigma_r = sigma_r + norm * (m_i * ll + m_j * rr + lr)
            sigma_l = sigma_l + norm * (m_i * rr + m_j * ll + jnp.conj(lr_t))
        out[(i, j)] = (sigma_l, sigma_r)
    return {"delta_a": jnp.stack(delta_a), "pairs": out}


def dipole_observables(params, inputs, context=None, pieces=None):
    """Delta a_mu, Delta a_e and BR(l_i -> l_j gamma) of one point: {name: real scalar}. ``pieces``:
    :func:`dipole_pieces` if already known (it also feeds the LFV decays)."""
    pieces = dipole_pieces(params, inputs, context) if pieces is None else pieces
    m_lep = inputs["m_lep"]
    out = {"delta_a_mu": pieces["delta_a"][1], "delta_a_e": pieces["delta_a"][0]}
    for name, i, j in _RADIATIVE:
        phase_space = (m_lep[i] ** 2 - m_lep[j] ** 2) ** 3 / (4.0 * m_lep[i] ** 3 * inputs["gamma_lep"][i])
        rate = inputs["alpha_dipole"] * phase_space
        sigma_l, sigma_r = pieces["pairs"][(i, j)]
        out[name] = rate * (abs2(sigma_l) + abs2(sigma_r))
    return out
