"""Tabulated Z' limits, their DarkCast-style recast, ΔN_eff and the kinetic mixing of t-channel processes
(docs/physics/zprime.md §2, §3.7, §3.8). The full observable set is also compared with the independent numpy
implementation in tests/kernels/test_zprime.py; here: the data against the statements of the sources, the recast
against its definition, and the physical limits of ΔN_eff."""

import math

import jax
import numpy as np
import pytest

from flavorscan.kernels.zprime import limits, models, zprime_inputs, zprime_observables
from flavorscan.kernels.zprime.couplings import loop_epsilon
from flavorscan.scanner.models.zprime.card import resolve_charges

INPUTS = zprime_inputs("current")
OBSERVE = jax.jit(jax.vmap(zprime_observables, in_axes=(0, None)))


def observe(points):
    batch = jax.tree_util.tree_map(lambda *x: np.stack(x), *points)
    return {k: np.asarray(v) for k, v in OBSERVE(batch, INPUTS).items()}


def point(spec, g, m, eps=0.0):
    return models.make_params(resolve_charges(spec), g, m, eps)


def test_curves_agree_with_the_abstracts():
    data = models.limits_file()
    babar = np.array(data["babar_4mu"]["g"])
    assert 6.5e-4 < babar.min() < 7.5e-4  # arXiv:1606.03501 abstract: "as low as 7 x 10^-4"
    belle = np.array(data["belle2_invisible"]["g"])
    assert belle[0] == pytest.approx(5.1e-2, rel=0.01) and 0.9 < belle[-1] < 1.1  # arXiv:1912.11276: 5e-2 .. 1
    for table in ("babar_4mu", "belle2_invisible", "b_k_invisible_belle2", "b_k_invisible_babar"):
        assert np.all(np.diff(data[table]["m"]) > 0), table
        assert data[table]["source"]["arxiv"], table
    assert data["na64mu"]["m"] == [] and data["na64mu"]["approx_reason"]  # no curve available: no invented points


def test_recast_is_the_coupling_ratio_for_the_reference_model():
    # L_mu - L_tau at epsilon = 0 is the reference model: the observable is g / g_limit(m) at the curve's nodes
    data = models.limits_file()["babar_4mu"]
    picks = [i for i in (50, 400, 900, 1500) if data["g"][i] < 1e4]
    masses = [data["m"][i] for i in picks]
    got = observe([point("Lmu-Ltau", 1e-3, m) for m in masses])
    np.testing.assert_allclose(got["bound_babar_4mu"], [1e-3 / data["g"][i] for i in picks], rtol=1e-10)
    # B - 3 L_mu: muon coupling 3 g, BR(Z' -> mu mu) diluted by the quark and nu widths
    m = masses[1]
    b3 = observe([point("B-3Lmu", 1e-3, m)])
    ref_mumu, _ = limits.reference_branching(m, INPUTS)
    want = 3e-3 * math.sqrt(float(b3["br_zp_mumu"][0]) / float(ref_mumu)) / data["g"][picks[1]]
    assert float(b3["bound_babar_4mu"][0]) == pytest.approx(want, rel=1e-10)
    # outside the curve, and for the empty NA64mu table: no limit
    out = observe([point("Lmu-Ltau", 1e-2, 0.1), point("Lmu-Ltau", 1e-2, 9.0)])
    assert np.all(out["bound_babar_4mu"] == 0.0) and np.all(out["bound_na64mu"] == 0.0)


def test_b_to_k_bound_is_the_branching_ratio_over_the_binned_limit():
    data = models.limits_file()["b_k_invisible_belle2"]
    m = data["m"][10]
    p = models.make_params(resolve_charges("Lmu-Ltau"), 1e-3, m, 0.0, g_bs_L=1e-9)
    got = observe([p])
    assert float(got["bound_b_k_inv_belle2"][0]) == pytest.approx(float(got["br_b_k_zp_inv"][0]) / data["br"][10], rel=1e-10)


def test_delta_n_eff_physical_limits():
    table = models.neff_table()
    m, dn = np.array(table["m"]), np.array(table["delta_n_eff"])
    # light Z' decaying to neutrinos after their decoupling: entropy conservation with g_nu* = 21/4, g_Z' = 3 gives
    # Delta N_eff = 3 [(1 + 3/(21/4))^(4/3) - 1] = 2.48 (instantaneous decoupling); 1 MeV already leaks a little
    assert dn[0] == pytest.approx(3 * ((1 + 3 / 5.25) ** (4 / 3) - 1), rel=0.1)
    assert np.all(np.diff(dn) <= 0) and dn[-1] < 1e-5  # heavy: decays before decoupling, no effect
    # the code's SM value against the standard result without QED corrections, N_eff = 3.035
    assert table["n_eff_sm_this_code"] == pytest.approx(3.035, abs=0.01)
    # arXiv:1901.02010 abstract: a 10-20 MeV Z' gives Delta N_eff of order 0.2
    assert 0.02 < np.interp(math.log(0.015), np.log(m), dn) < 0.3
    # the kernel: the table for a neutrinophilic Z', scaled by the neutrino share of the width, 0 if not thermal
    got = observe([point("Lmu-Ltau", 1e-3, 0.01), point("Le-Lmu", 1e-3, 0.01), point("Lmu-Ltau", 1e-11, 0.01)])
    table_10 = np.interp(math.log(0.01), np.log(m), dn)
    assert float(got["delta_n_eff"][0]) == pytest.approx(table_10, rel=1e-9)
    share = float(got["br_zp_inv"][1] / (got["br_zp_inv"][1] + got["br_zp_ee"][1]))
    assert float(got["delta_n_eff"][1]) == pytest.approx(table_10 * share, rel=1e-9) and share < 1
    assert float(got["delta_n_eff"][2]) == 0.0


def test_t_channel_processes_use_the_mixing_at_zero_momentum():
    # issue 15 item 3: at m_Z' = 200 MeV the loop mixing at q^2 = m^2 differs from q^2 = 0 by about 26%
    g = 1e-3
    got = observe([point("Lmu-Ltau", g, 0.2, "loop")])
    eps0 = float(loop_epsilon(g, 0.0, INPUTS))
    assert float(got["epsilon_kin_0"][0]) == pytest.approx(eps0, rel=1e-12)
    assert abs(float(got["epsilon_kin"][0]) / eps0 - 1) == pytest.approx(0.26, abs=0.03)
