"""Tree-level SMEFT matching of the S1 and R2 leptoquarks, run to low energy with wilson (independent reference).

Written from the Lagrangian of docs/physics/leptoquark.md sec. 1 without importing kernels/. Used by
tests/test_lq_semileptonic.py for b -> c tau nu (matching and running) and for the (C_SL, C_T) running matrix.
Run `python -m tests.reference.lq_smeft_wilson` to print the running matrices at a few scales.

SU(2) form of the Lagrangian (up-quark mass basis Q = (u_L, V d_L), L = (nu_L, e_L), eps_12 = +1):

    R2 = (R^{5/3}, R^{2/3}):  L ⊃ R2^a A_a + h.c.,
        A_a = f^L_{ij} eps_ab (u-bar_i P_L L^b_j) + f^R_{ij} (Q-bar^a_i P_R e_j)
    S1:  L ⊃ S1 J + h.c.,
        J = y^L_{ij} eps_ab (Q^c-bar_{ia} P_L L_{jb}) + y^R_{ij} (u^c-bar_i P_R e_j)

Expanding the doublets reproduces every term of docs/physics/leptoquark.md sec. 1, including f-hat^R = V^dagger f^R and
y-hat^L = -V^T y^L (the minus sign of the nu term is eps_21 = -1). Integrating out the heavy scalar
(equation of motion at zero momentum) gives L_eff = A_a^dagger A_a / M_R2^2 and J^dagger J / M_S1^2. The Fierz and
charge-conjugation identities for anticommuting fields used below are checked numerically with explicit Dirac
matrices in tests/test_lq_semileptonic.py (test_smeft_matching_identities):

    (a-bar P_R b)(c-bar P_R d) = -1/2 (a-bar P_R d)(c-bar P_R b) - 1/8 (a-bar sigma P_R d)(c-bar sigma P_R b)
    (a-bar P_R b)(c-bar P_L d) = -1/2 (a-bar gamma P_L d)(c-bar gamma P_R b)
    psi^c-bar P_R chi^c = chi-bar P_R psi,  psi^c-bar sigma P_R chi^c = -chi-bar sigma P_R psi,
    psi^c-bar gamma P_R chi^c = -chi-bar gamma P_L psi
    eps_ab eps_cd = delta_ac delta_bd - delta_ad delta_bc,
    delta_il delta_kj = (delta_ij delta_kl + tau^I_ij tau^I_kl)/2

Results in the up basis (WCxf Warsaw operators, O_lequ1 = (l-bar_p e_r) eps (q-bar_s u_t), O_lequ3 the same with
sigma_{mu nu} in both currents, O_lq1,3 = (l-bar_p gamma [tau^I] l_r)(q-bar_s gamma [tau^I] q_t)):

    R2:  C_lequ1_{j l k i} = f^R_{k l} f^{L*}_{i j} / (2 M^2),      C_lequ3 = +C_lequ1 / 4
    S1:  C_lequ1_{j l i k} = y^{L*}_{i j} y^R_{k l} / (2 M^2),      C_lequ3 = -C_lequ1 / 4
         C_lq1_{j l i k} = y^{L*}_{i j} y^L_{k l} / (4 M^2),        C_lq3 = -C_lq1

WCxf's Warsaw basis has diagonal down-type Yukawas, q_i = (sum_j V*_{ji} u_j, d_i), i.e. Q_j = sum_i V_{ji} q_i:
a barred quark index picks up V*, an unbarred one V. Only the operators that give b -> c tau nu at tree level are
built (R2's O_lu, O_qe and S1's O_eu do not, and enter the charged current only through one-loop mixing
suppressed by y_tau).

wilson's conventions: L = sum over all flavour indices of C O (+ h.c. for non-hermitian operators), the flavio
WET basis H_eff = (4 G_F/sqrt2) V_cb sum C_i O_i for b -> c tau nu. wilson feeds the dimension-six coefficients
back into the running of the SM Yukawas and re-diagonalises at the low scale; with LFV entries of the size
|C| ~ 1e-7 GeV^-2 this shifts the tiny electron and muon Yukawas enough to flip the sign of those fields relative to
the input basis (observed: lequ1_1332 = 1e-7 gives C_SL(nu_e) of the opposite sign to 1e-10). The kernel's
coefficients are linear in the tree-level matching, so the SMEFT coefficients are scaled by EPS before running and
the result divided by EPS. With |y| ~ 1 at 1 TeV the results for EPS = 1e-8, 1e-9, 1e-10 agree to 1e-6; EPS = 1e-6
is already non-linear (85% off), and below 1e-11 wilson's integration noise appears (1e-5 at 1e-11).
"""

from __future__ import annotations

import functools
import math

import numpy as np

MU_B = 4.8
M_Z = 91.1876
EPS = 1e-9
NUS = ("nue", "numu", "nutau")
INSTALL_HINT = 'wilson comes with flavio in the test extra: pip install -e ".[test]"'

try:
    import ckmutil.ckm
    import wilson
    from wilson import wcxf
    from wilson.parameters import p as WILSON_PARAMETERS
except ImportError as error:  # pragma: no cover - the test extra installs flavio and wilson
    raise ImportError(f"{error}. {INSTALL_HINT}") from error


def wilson_ckm():
    """wilson's default CKM matrix (tree-level standard parametrisation of its parameters)."""
    return ckmutil.ckm.ckm_tree(*(WILSON_PARAMETERS[k] for k in ("Vus", "Vub", "Vcb", "gamma")))


def kernel_inputs_with_wilson_parameters(inputs):
    """A copy of kernel `inputs` with wilson's CKM, G_F and v, so that the two normalisations coincide."""
    g_f = WILSON_PARAMETERS["GF"]
    return dict(inputs, ckm=wilson_ckm(), G_F=g_f, v=(math.sqrt(2.0) * g_f) ** -0.5)


def r2_warsaw(f_l, f_r, mass, ckm):
    """Down-basis Warsaw tensors C[p, r, s, t] of R2 exchange (b -> c tau nu relevant classes)."""
    f_l, f_r = np.asarray(f_l, complex), np.asarray(f_r, complex)
    up = np.einsum("kl,ij->jlki", f_r, f_l.conj()) / (2.0 * mass**2)  # C^up_lequ1_{j l k i}
    lequ1 = np.einsum("ks,prkt->prst", np.asarray(ckm).conj(), up)  # barred q: Q-bar_k = sum_s V*_{ks} q-bar_s
    return {"lequ1": lequ1, "lequ3": lequ1 / 4.0}


def s1_warsaw(y_l, y_r, mass, ckm):
    """Down-basis Warsaw tensors C[p, r, s, t] of S1 exchange (b -> c tau nu relevant classes)."""
    y_l, y_r = np.asarray(y_l, complex), np.asarray(y_r, complex)
    ckm = np.asarray(ckm)
    lequ1_up = np.einsum("ij,kl->jlik", y_l.conj(), y_r) / (2.0 * mass**2)
    lq1_up = np.einsum("ij,kl->jlik", y_l.conj(), y_l) / (4.0 * mass**2)
    lequ1 = np.einsum("is,prit->prst", ckm.conj(), lequ1_up)
    lq1 = np.einsum("is,kt,prik->prst", ckm.conj(), ckm, lq1_up)
    return {"lequ1": lequ1, "lequ3": -lequ1 / 4.0, "lq1": lq1, "lq3": -lq1}


def r2_warsaw_full(f_l, f_r, mass, ckm):
    """R2 exchange, every tree-level Warsaw class: lequ1/3 as in r2_warsaw plus
    O_lu: L ⊃ |f^L|^2 (u-bar P_L L)(L-bar P_R u) -> C_lu_{j l k i} = -f^{L*}_{ij} f^L_{kl}/(2 M^2) (u_R needs no
    rotation) and O_qe: C_qe_{k i j l} = -f^{R*}_{ij} f^R_{kl}/(2 M^2) in the up basis, rotated to the down basis."""
    f_l, f_r = np.asarray(f_l, complex), np.asarray(f_r, complex)
    out = r2_warsaw(f_l, f_r, mass, ckm)
    out["lu"] = -np.einsum("ij,kl->jlki", f_l.conj(), f_l) / (2.0 * mass**2)
    qe_up = -np.einsum("ij,kl->kijl", f_r.conj(), f_r) / (2.0 * mass**2)
    ckm = np.asarray(ckm)
    out["qe"] = np.einsum("ks,it,kijl->stjl", ckm.conj(), ckm, qe_up)
    return out


def s1_warsaw_full(y_l, y_r, mass, ckm):
    """S1 exchange, every tree-level Warsaw class: lequ1/3, lq1/3 as in s1_warsaw plus
    O_eu: (e-bar P_L u^c)(u^c-bar P_R e) -> +1/2 (e-bar gamma e)(u-bar gamma u): C_eu_{j l i k} = y^{R*}_{ij} y^R_{kl}/(2 M^2)."""
    y_r = np.asarray(y_r, complex)
    out = s1_warsaw(y_l, y_r, mass, ckm)
    out["eu"] = np.einsum("ij,kl->jlik", y_r.conj(), y_r) / (2.0 * mass**2)
    return out


@functools.lru_cache(maxsize=None)
def _warsaw_keys():
    basis = wcxf.Basis["SMEFT", "Warsaw"]
    real = {key for sector in basis.sectors.values() for key, info in sector.items() if info.get("real")}
    return frozenset(basis.all_wcs), frozenset(real)


def to_wcxf(tensors, scale=1.0):
    """WCxf dict of the independent Warsaw entries (the others follow by hermiticity), times `scale`."""
    allowed, real = _warsaw_keys()
    out = {}
    for op, tensor in tensors.items():
        for idx in np.ndindex(3, 3, 3, 3):
            key = f"{op}_{''.join(str(i + 1) for i in idx)}"
            value = scale * tensor[idx]
            if key in allowed and value != 0:
                if key in real:
                    assert abs(value.imag) <= 1e-12 * abs(value), key  # hermiticity of the construction
                    value = value.real
                out[key] = value
    return out


def run_to_wet(tensors, scale_in, scale_out=MU_B):
    """wilson: SMEFT at scale_in -> WET flavio basis at scale_out, linearised with EPS (module docstring)."""
    w = wilson.Wilson(to_wcxf(tensors, EPS), scale=scale_in, eft="SMEFT", basis="Warsaw")
    return {key: value / EPS for key, value in w.match_run(scale_out, "WET", "flavio").dict.items()}


def bctaunu(wet):
    """(C_VL, C_SL, C_T) for b -> c tau nu_(e, mu, tau) from a WET flavio-basis dict."""
    return tuple(np.array([complex(wet.get(f"{wc}_bctau{nu}", 0.0)) for nu in NUS]) for wc in ("CVL", "CSL", "CT"))


def running_matrix(scale, scale_out=MU_B):
    """(C_SL, C_T)(scale_out) = M (C_SL, C_T)(scale): columns from lequ1_3332 / lequ3_3332 at `scale`, normalised
    to the tree-level matching without running (both at M_Z), which generates pure C_SL and pure C_T."""

    def run(op, scale_in, out):
        w = wilson.Wilson({op: 1e-10}, scale=scale_in, eft="SMEFT", basis="Warsaw")
        d = w.match_run(out, "WET", "flavio").dict
        return np.array([d.get("CSL_bctaunutau", 0.0), d.get("CT_bctaunutau", 0.0)]).real

    tree = run("lequ1_3332", M_Z, M_Z)[0]
    return np.column_stack([run(op, scale, scale_out) / tree for op in ("lequ1_3332", "lequ3_3332")])


if __name__ == "__main__":
    np.set_printoptions(precision=5, suppress=True)
    print(f"wilson {wilson.__version__}: (C_SL, C_T)({MU_B} GeV) = M (C_SL, C_T)(Lambda)")
    for lam in (700.0, 1000.0, 1500.0, 2000.0, 3000.0, 5000.0):
        print(f"Lambda = {lam:6.0f} GeV:", running_matrix(lam).tolist())
