"""Sparse leptoquark test points shared by the kernel tests."""

from __future__ import annotations

import numpy as np

MATRICES = ("fL", "fR", "yL", "yR")


def point(m_r2=1000.0, m_s1=1000.0, **entries):
    """A point with the given coupling entries, e.g. fL=((C, MU, 0.3),); everything else zero."""
    params = {name: np.zeros((3, 3), np.complex128) for name in MATRICES}
    for name, items in entries.items():
        for q, lep, val in items:
            params[name][q, lep] = val
    params.update(M_R2=np.float64(m_r2), M_S1=np.float64(m_s1), m0I0=np.float64(1e-6))
    return params


def random_point(rng, m_r2, m_s1, scale):
    """Every coupling entry scale * (x + i y) with x, y standard normal; m0I0 = 1e-6 GeV."""
    params = {k: scale * (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))) for k in MATRICES}
    params.update(M_R2=m_r2, M_S1=m_s1, m0I0=1e-6)
    return params
