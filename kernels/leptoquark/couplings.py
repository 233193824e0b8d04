"""Leptoquark coupling matrices in the bases the interactions need (docs/physics/leptoquark.md section 1).

A point carries the four complex 3x3 matrices f^L, f^R, y^L, y^R indexed (up-quark generation, lepton
generation) in the up-quark mass basis. The down-type couplings follow from the CKM matrix V:

    f^R-hat = V^dagger f^R      (d-bar_L f-hat^R l_R R^{2/3})
    y^L-hat = -V^T y^L          (d^c_L-bar y-hat^L nu_L S1)
"""

from __future__ import annotations

import jax.numpy as jnp


def f_r_hat(f_r, ckm):
    """f-hat^R_{k l} = sum_i V*_{ik} f^R_{i l}: R^{2/3} couplings to down quarks and right-handed leptons."""
    return jnp.conj(ckm).T @ f_r


def y_l_hat(y_l, ckm):
    """y-hat^L_{k l} = -sum_i V_{ik} y^L_{i l}: S1 couplings to down quarks and neutrinos."""
    return -ckm.T @ y_l
