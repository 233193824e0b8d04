"""Light U(1)_X Z' ("muonic force") model: observables of one point (GSSTZ arXiv:2107.07518; docs/physics/zprime.md).

Params pytree of one point (built by :func:`kernels.zprime.models.make_params`; all float64):

    g_X           scalar   U(1)_X gauge coupling (≥ 0)
    m_Zp          scalar   Z' mass [GeV] (> 0)
    epsilon       scalar   kinetic mixing ε (L ⊃ ε e Z' J_EM), used when epsilon_loop = 0
    epsilon_loop  scalar   1.0: ε is the loop-induced L_μ - L_τ value ε(q² = m_Z'²) instead; 0.0: use epsilon
    X_q           (3,)     quark charges per family (X_Q = X_U = X_D)
    X_L, X_E      (3,)     lepton doublet / singlet charges per family, slots (e, μ, τ)
    X_N           (3,)     ν_R charges (bookkeeping: ν_R are taken heavier than m_Z'/2, so no observable uses them)
    g_bs_L, g_bs_R scalar  flavour-violating Z' couplings s̄ γ (g_L P_L + g_R P_R) b (default 0)

Inputs: :func:`kernels.zprime.models.zprime_inputs` (kernels.constants.base_inputs plus ``zp_*`` keys).
Every function is a pure JAX function of one point: jit, vmap and grad work over the whole mass range.
"""

from __future__ import annotations

import jax.numpy as jnp

from flavorscan.kernels.observable import Observable
from flavorscan.kernels.zprime.bdecays import br_b_to_k_zp, c9_c10
from flavorscan.kernels.zprime.borexino import borexino_ratio
from flavorscan.kernels.zprime.couplings import couplings
from flavorscan.kernels.zprime.g2 import delta_a
from flavorscan.kernels.zprime.limits import bounds
from flavorscan.kernels.zprime.models import make_params, zprime_inputs
from flavorscan.kernels.zprime.nsi import nsi_earth
from flavorscan.kernels.zprime.trident import DEFAULT_METHOD, trident_ratio
from flavorscan.kernels.zprime.widths import partial_widths, total_width

OBSERVABLES = (
    Observable("delta_a_mu", "", "Z' one-loop contribution to a_mu"),
    Observable("delta_a_e", "", "Z' one-loop contribution to a_e"),
    Observable("trident_ratio", "", "nu_mu trident sigma/sigma_SM (CCFR), two-moment equivalent-photon calculation"),
    Observable("eps_nsi_ee", "", "NSI epsilon_ee in Earth matter (per electron)"),
    Observable("eps_nsi_mumu", "", "NSI epsilon_mumu in Earth matter (per electron)"),
    Observable("eps_nsi_tautau", "", "NSI epsilon_tautau in Earth matter (per electron)"),
    Observable("eps_nsi_ee_minus_mumu", "", "eps_nsi_ee - eps_nsi_mumu (what oscillations constrain)"),
    Observable("eps_nsi_tautau_minus_mumu", "", "eps_nsi_tautau - eps_nsi_mumu (what oscillations constrain)"),
    Observable("borexino_ratio", "", "Borexino 7Be nu-e scattering rate / SM"),
    Observable("br_b_k_zp", "", "BR(B+ -> K+ Z')"),
    Observable("br_b_k_zp_inv", "", "BR(B+ -> K+ Z') x BR(Z' -> nu nubar)"),
    Observable("bound_b_k_inv_belle2", "", "br_b_k_zp_inv / mass-binned two-body bound (Belle II recast), 0 outside the table"),
    Observable("bound_b_k_inv_babar", "", "br_b_k_zp_inv / mass-binned two-body bound (BaBar 2013 recast), 0 outside the table"),
    Observable("bound_babar_4mu", "", "g_eff/g_limit(m) of BaBar e+e- -> mu mu Z', Z' -> mu mu (recast to the model)"),
    Observable("bound_belle2_inv", "", "g_eff/g_limit(m) of Belle II e+e- -> mu mu Z', Z' -> invisible (2019)"),
    Observable("bound_na64mu", "", "g_eff/g_limit(m) of NA64mu mu N -> mu N Z', Z' -> invisible (0 while no curve is stored)"),
    Observable("delta_n_eff", "", "extra radiation Delta N_eff at the CMB from a Z' in equilibrium with the neutrinos"),
    Observable("c9_mumu", "", "Re C9^mumu from the Z' at q2 = zp_q2_ref"),
    Observable("c9_mumu_im", "", "Im C9^mumu"),
    Observable("c10_mumu", "", "Re C10^mumu from the Z' at q2 = zp_q2_ref"),
    Observable("c10_mumu_im", "", "Im C10^mumu"),
    Observable("c9_ee", "", "Re C9^ee from the Z' at q2 = zp_q2_ref"),
    Observable("c9_ee_im", "", "Im C9^ee"),
    Observable("c10_ee", "", "Re C10^ee from the Z' at q2 = zp_q2_ref"),
    Observable("c10_ee_im", "", "Im C10^ee"),
    Observable("gamma_zp", "GeV", "total Z' width (tree level, partonic quarks)"),
    Observable("br_zp_ee", "", "BR(Z' -> e+ e-)"),
    Observable("br_zp_mumu", "", "BR(Z' -> mu+ mu-)"),
    Observable("br_zp_tautau", "", "BR(Z' -> tau+ tau-)"),
    Observable("br_zp_inv", "", "BR(Z' -> nu nubar), three flavours"),
    Observable("g_v_mu", "", "Z' vector coupling to the muon (incl. kinetic mixing)"),
    Observable("g_a_mu", "", "Z' axial coupling to the muon"),
    Observable("g_nu_mu", "", "Z' coupling to nu_mu (left-handed)"),
    Observable("epsilon_kin", "", "kinetic mixing in on-shell processes (free, or loop-induced at q2 = m_Zp^2)"),
    Observable("epsilon_kin_0", "", "kinetic mixing in t-channel exchange at low q2 (free, or loop-induced at q2 = 0)"),
)

__all__ = ["OBSERVABLES", "zprime_observables", "make_params", "zprime_inputs"]


def zprime_observables(params, inputs, trident_method=DEFAULT_METHOD):
    """Every Z' observable of ``OBSERVABLES`` for one point, as a dict name → real scalar.

    ``trident_method`` selects the trident moments (kernels.zprime.trident.PROPAGATORS); it is static
    (a Python string), so pass it through functools.partial before jit.

    Kinetic mixing: on-shell production and decays (widths, B → K Z', the tabulated collider and beam-dump
    limits), g - 2 and C9/C10 use ε at q² = m_Z'²; t-channel exchange at low momentum transfer (trident,
    NSI, Borexino) uses ε at q² = 0 (docs/physics/zprime.md §2; they differ only for epsilon = "loop").
    """
    c = couplings(params, inputs)
    c0 = couplings(params, inputs, q2=0.0)
    m_zp = params["m_Zp"]
    m_lep = inputs["m_lep"]

    widths = partial_widths(c, m_zp, inputs)
    gamma = total_width(widths)
    has_width = gamma > 0.0
    gamma_safe = jnp.where(has_width, gamma, 1.0)

    def branching(width):
        return jnp.where(has_width, width / gamma_safe, 0.0)

    eps_earth = nsi_earth(c0, m_zp, inputs)
    br_k = br_b_to_k_zp(c["g_bs_L"], c["g_bs_R"], m_zp, inputs)
    out = {
        "delta_a_mu": delta_a(c["g_v_lep"][1], c["g_a_lep"][1], m_zp, m_lep[1]),
        "delta_a_e": delta_a(c["g_v_lep"][0], c["g_a_lep"][0], m_zp, m_lep[0]),
        "trident_ratio": trident_ratio(
            c0["g_nu"][1], c0["g_v_lep"][1], c0["g_a_lep"][1], m_zp, inputs, method=trident_method
        ),
        "eps_nsi_ee": eps_earth[0],
        "eps_nsi_mumu": eps_earth[1],
        "eps_nsi_tautau": eps_earth[2],
        "eps_nsi_ee_minus_mumu": eps_earth[0] - eps_earth[1],
        "eps_nsi_tautau_minus_mumu": eps_earth[2] - eps_earth[1],
        "borexino_ratio": borexino_ratio(c0, m_zp, inputs),
        "br_b_k_zp": br_k,
        "br_b_k_zp_inv": br_k * branching(widths["nunu"]),
    }
    for lepton, i in (("mumu", 1), ("ee", 0)):
        c9, c10 = c9_c10(c["g_bs_L"], c["g_v_lep"][i], c["g_a_lep"][i], m_zp, gamma, inputs["zp_q2_ref"], inputs)
        out.update(
            {
                f"c9_{lepton}": jnp.real(c9),
                f"c9_{lepton}_im": jnp.imag(c9),
                f"c10_{lepton}": jnp.real(c10),
                f"c10_{lepton}_im": jnp.imag(c10),
            }
        )
    out.update(bounds(c, widths, {"mumu": branching(widths["mumu"]), "inv": branching(widths["nunu"])},
                      out["br_b_k_zp_inv"], m_zp, inputs))
    out.update(
        gamma_zp=gamma,
        br_zp_ee=branching(widths["ee"]),
        br_zp_mumu=branching(widths["mumu"]),
        br_zp_tautau=branching(widths["tautau"]),
        br_zp_inv=branching(widths["nunu"]),
        g_v_mu=c["g_v_lep"][1],
        g_a_mu=c["g_a_lep"][1],
        g_nu_mu=c["g_nu"][1],
        epsilon_kin=c["epsilon"],
        epsilon_kin_0=c0["epsilon"],
    )
    return {obs.name: out[obs.name] for obs in OBSERVABLES}
