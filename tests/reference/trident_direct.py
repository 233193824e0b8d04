"""Independent reference for the trident subprocess ν_μ γ → ν_μ μ⁻ μ⁺ (tests of kernels/zprime/trident_epa.py).

Written from the Lagrangian, not from trident_epa: chiral (Weyl) representation, the neutrino current
ū(k') γ^α (1 - γ5) u(k) from explicit massless helicity spinors (no trace, no symmetric-tensor shortcut), the two
photon polarisations as explicit vectors, the muon spin sum as a trace of explicit matrices, and the full
3-body phase space (neutrino angle, μμ mass, both μ⁻ decay angles including the azimuth) in the νγ
centre-of-mass frame. No tensor decomposition of the muon side. Also returns the V-A interference, which
must integrate to zero.

    σ = 1/(2ŝ) ∫ (1/2) Σ |M|² dΦ_3,   M = (G_F/√2) e J_ν^α ū(p1)[ε̸ S(p1 - q) Γ_α + Γ_α S(q - p2) ε̸] v(p2)
"""

from __future__ import annotations

import math

import numpy as np

M_MU = 0.1056583755
ALPHA = 1.0 / 137.035999
G_F = 1.1663787e-5

_S = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
_Z = np.zeros((2, 2))
# chiral representation: γ^0 = [[0, 1], [1, 0]], γ^i = [[0, σ^i], [-σ^i, 0]], γ5 = diag(-1, 1)
G = np.array([np.block([[_Z, _S[0]], [_S[0], _Z]])] + [np.block([[_Z, _S[i]], [-_S[i], _Z]]) for i in (1, 2, 3)],
             dtype=complex)
G5 = np.diag([-1.0, -1.0, 1.0, 1.0]).astype(complex)
ETA = np.array([1.0, -1.0, -1.0, -1.0])


def _slash(p):
    return np.einsum("...m,mab->...ab", (p * ETA).astype(complex), G)


def _massless_left_spinor(p):
    """u_L(p) of a massless momentum p (helicity -1/2) in the chiral representation: (√2E ξ_-, 0)."""
    e = p[..., 0]
    theta = np.arccos(np.clip(p[..., 3] / e, -1.0, 1.0))
    phi = np.arctan2(p[..., 2], p[..., 1])
    xi = np.stack([-np.exp(-1j * phi) * np.sin(theta / 2), np.cos(theta / 2) + 0j], axis=-1)
    zero = np.zeros_like(xi)
    return np.sqrt(2.0 * e)[..., None] * np.concatenate([xi, zero], axis=-1)


def _boost(p, beta):
    """Lorentz boost of four-vectors p (..., 4) by velocity beta (..., 3)."""
    b2 = np.sum(beta**2, axis=-1, keepdims=True)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[..., 1:], axis=-1, keepdims=True)
    e = gamma * (p[..., :1] + bp)
    vec = p[..., 1:] + ((gamma - 1.0) * bp / np.where(b2 > 0, b2, 1.0) + gamma * p[..., :1]) * beta
    return np.concatenate([e, vec], axis=-1)


def _gauss(lo, hi, n):
    x, w = np.polynomial.legendre.leggauss(n)
    return lo + 0.5 * (hi - lo) * (x + 1.0), 0.5 * (hi - lo) * w


def subprocess(s_hat, masses=(), n_m=20, n_q=24, n_theta=40, n_phi=6):
    """(σ_V, σ_A, σ_VA, moments) at fixed ŝ: σ for unit C_V, unit C_A, the V-A cross term (must vanish), and
    (P1_V, P2_V, P1_A, P2_A) = <(Q² + m²)^-n> over σ_V, σ_A at Z' masses ``masses``."""
    root = math.sqrt(s_hat)
    k = np.array([root / 2, 0, 0, root / 2])
    q = np.array([root / 2, 0, 0, -root / 2])
    thr = 4 * M_MU**2
    # M² - 4m² in log, Q² in log, μ⁻ polar angle about the photon in the μμ frame via cosθ = tanh(η)/β, azimuth
    u, wu = _gauss(math.log(1e-7), math.log(s_hat - thr), n_m)
    rows = []
    for ui, wui in zip(u, wu):
        mm2 = thr + math.exp(ui)
        jm = math.exp(ui) * wui
        t, wt = _gauss(math.log(1e-12), math.log(s_hat - mm2), n_q)
        beta = math.sqrt(1 - thr / mm2)
        eta_max = math.atanh(min(beta, 1 - 1e-16))
        eta, we = _gauss(-eta_max, eta_max, n_theta)
        phis = (np.arange(n_phi) + 0.5) * 2 * math.pi / n_phi
        for ti, wti in zip(t, wt):
            q2 = math.exp(ti)
            for ei, wei in zip(eta, we):
                cos = math.tanh(ei) / beta
                jac = 1 / (math.cosh(ei) ** 2 * beta)
                for ph in phis:
                    rows.append((mm2, q2, cos, ph, jm * q2 * wti * wei * jac * 2 * math.pi / n_phi))
    mm2, q2, cos, ph, weight = (np.array(c) for c in zip(*rows))
    # neutrino out: Q² = (ŝ - M²)(1 - cosθ_ν)/2, azimuth 0
    e_out = (s_hat - mm2) / (2 * root)
    cos_nu = 1 - 2 * q2 / (s_hat - mm2)
    sin_nu = np.sqrt(np.clip(1 - cos_nu**2, 0, None))
    kp = np.stack([e_out, e_out * sin_nu, 0 * e_out, e_out * cos_nu], axis=-1)
    pp = k + q - kp  # μμ system
    # μμ rest frame: axes with z* along the photon there
    beta_p = pp[:, 1:] / pp[:, :1]
    q_star = _boost(np.broadcast_to(q, pp.shape), -beta_p)
    z = q_star[:, 1:] / np.linalg.norm(q_star[:, 1:], axis=1, keepdims=True)
    helper = np.where(np.abs(z[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
    x = np.cross(helper, z)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.cross(z, x)
    mass = np.sqrt(mm2)
    pstar = 0.5 * mass * np.sqrt(1 - thr / mm2)
    sin = np.sqrt(np.clip(1 - cos**2, 0, None))
    direction = (sin * np.cos(ph))[:, None] * x + (sin * np.sin(ph))[:, None] * y + cos[:, None] * z
    p1 = _boost(np.concatenate([0.5 * mass[:, None], pstar[:, None] * direction], axis=1), beta_p)
    p2 = _boost(np.concatenate([0.5 * mass[:, None], -pstar[:, None] * direction], axis=1), beta_p)
    # neutrino current J^α = ū(k') γ^α (1 - γ5) u(k), helicity -1/2 spinors
    u_in = _massless_left_spinor(np.broadcast_to(k, kp.shape))
    u_out = _massless_left_spinor(kp)
    u_out_bar = np.einsum("na,ab->nb", u_out.conj(), G[0])
    current = np.einsum("na,xab,bc,nc->nx", u_out_bar, G, np.eye(4) - G5, u_in)
    j_low = current * ETA  # J_α
    m = M_MU
    s1 = (_slash(p1 - q) + m * np.eye(4)) / (-2 * np.sum((p1 * q) * ETA, axis=1))[:, None, None]
    s2 = (_slash(q - p2) + m * np.eye(4)) / (-2 * np.sum((p2 * q) * ETA, axis=1))[:, None, None]
    vec = np.einsum("nx,xab->nab", j_low, G)  # J̸
    axi = vec @ G5
    polarisations = (np.array([0.0, 1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0, 0.0]))  # ⊥ q along -z
    left, right = _slash(p1) + m * np.eye(4), _slash(p2) - m * np.eye(4)

    def bar(o):
        return G[0] @ np.conj(np.swapaxes(o, 1, 2)) @ G[0]

    sums = {"VV": 0.0, "AA": 0.0, "VA": 0.0}
    for eps in polarisations:
        e_sl = _slash(eps)
        ov = e_sl @ s1 @ vec + vec @ s2 @ e_sl
        oa = e_sl @ s1 @ axi + axi @ s2 @ e_sl
        for key, (o1, o2) in {"VV": (ov, ov), "AA": (oa, oa), "VA": (ov, oa)}.items():
            trace = np.einsum("nab,nbc,ncd,nda->n", left, o1, right, bar(o2))
            sums[key] = sums[key] + (trace.real if key != "VA" else 2 * trace.real)
    # 1/(2ŝ) flux, 1/2 photon average, (G_F/√2)² e², phase space dQ²/(8πŝ) dM²/(2π) β/(8π) dΩ*/(4π)
    beta_mm = np.sqrt(1 - thr / mm2)
    phase = weight / (8 * math.pi * s_hat) / (2 * math.pi) * beta_mm / (8 * math.pi) / (4 * math.pi)
    norm = 1 / (2 * s_hat) * 0.5 * G_F**2 / 2 * 4 * math.pi * ALPHA
    dens = {key: norm * phase * val for key, val in sums.items()}
    m2 = np.asarray(masses, float)[:, None] ** 2
    moments = []
    for key in ("VV", "AA"):
        tot = dens[key].sum()
        moments += [np.sum(dens[key] / (q2 + m2), axis=1) / tot, np.sum(dens[key] / (q2 + m2) ** 2, axis=1) / tot]
    return dens["VV"].sum(), dens["AA"].sum(), dens["VA"].sum(), tuple(moments)
