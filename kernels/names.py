"""The naming vocabulary shared by kernels, stored columns, cards and plots (one definition each).

Leptoquark couplings are 3x3 matrices indexed (up-type quark generation, lepton generation); a stored entry
is named ``<matrix>_<quark><lepton>``, e.g. ``fR_ctau`` (real part) and ``fR_ctau_im`` (imaginary part). The
Z' charges of a point are stored per family as ``X_q_1..3`` and ``X_L_e``, ``X_E_mu``, ... .
"""

from __future__ import annotations

QUARKS = ("u", "c", "t")
"""Rows of the leptoquark coupling matrices (up-quark mass basis)."""
LEPTONS = ("e", "mu", "tau")
"""Lepton families: columns of the coupling matrices, slots of lepton charges."""
COUPLINGS = ("fR", "fL", "yR", "yL")
"""The four leptoquark coupling matrices f^R, f^L (R2) and y^R, y^L (S1)."""
I0_PARAMETERS = ("theta", "phi", "M1", "M2", "M3", "M4")
"""Scalar mixing angles and masses from which m0 I0 follows (letter Eqs. 4-5)."""


def coupling_entry(matrix: str, quark: int, lepton: int) -> str:
    """Name of one coupling entry, e.g. ``fR_ctau`` (its imaginary part adds ``_im``)."""
    return f"{matrix}_{QUARKS[quark]}{LEPTONS[lepton]}"


ENTRY_NAMES = tuple(coupling_entry(m, i, j) for m in COUPLINGS for i in range(3) for j in range(3))
"""Every coupling entry, matrix by matrix, row by row."""


def entry_index(name: str) -> tuple[int, int, int]:
    """(matrix, quark, lepton) indices of an entry name (inverse of :func:`coupling_entry`)."""
    position = ENTRY_NAMES.index(name)
    return position // 9, (position % 9) // 3, position % 3


CHARGE_FIELDS = (("X_q", ("1", "2", "3")), ("X_L", LEPTONS), ("X_E", LEPTONS), ("X_N", LEPTONS))
"""Z' charge arrays of a point (quarks per family; lepton doublet, singlet and nu_R per lepton family)."""
CHARGE_COLUMNS = tuple(f"{field}_{label}" for field, labels in CHARGE_FIELDS for label in labels)
"""Stored columns of the Z' charges, e.g. ``X_L_mu``."""
