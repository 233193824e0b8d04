"""U(1)_X gauge anomalies computed from the SM field content (no kernels/ import).

Each Weyl multiplet is listed with its SU(3) and SU(2) dimensions, hypercharge Y and chirality (+1 for the
left-handed doublets, -1 for the right-handed singlets, whose conjugates are left-handed with opposite charges;
every condition is cubic in the charges, so conjugation flips its sign). With Dynkin index 1/2 for a
fundamental, the six coefficients are

    SU(3)^2 X = sum chi * d2 * (1/2) * X          (colour triplets only)
    SU(2)^2 X = sum chi * d3 * (1/2) * X          (SU(2) doublets only)
    Y^2 X     = sum chi * d3 * d2 * Y^2 * X
    Y X^2     = sum chi * d3 * d2 * Y * X^2
    X^3       = sum chi * d3 * d2 * X^3
    grav^2 X  = sum chi * d3 * d2 * X

summed over families. docs/physics/zprime.md §1 writes the same conditions with integer coefficients; they are these
sums times ``DOC_NORMALISATION`` (worked out by hand from the hypercharges, and checked in tests/test_charges.py).
"""

import numpy as np

# name: (dim SU(3), dim SU(2), Y, chirality)
FIELDS = {
    "Q": (3, 2, 1 / 6, +1),
    "U": (3, 1, 2 / 3, -1),
    "D": (3, 1, -1 / 3, -1),
    "L": (1, 2, -1 / 2, +1),
    "E": (1, 1, -1, -1),
    "N": (1, 1, 0, -1),
}
NAMES = ("SU(3)^2 X", "SU(2)^2 X", "Y^2 X", "Y X^2", "X^3", "grav^2 X")
# SU(3)^2 X = (1/2) sum(2 X_Q - X_U - X_D), SU(2)^2 X = (1/2) sum(3 X_Q + X_L),
# Y^2 X = (1/6) sum(X_Q + 3 X_L - 8 X_U - 2 X_D - 6 X_E); the other three carry unit factors
DOC_NORMALISATION = np.array([2.0, 2.0, 6.0, 1.0, 1.0, 1.0])


def anomaly_sums(Q, U, D, L, E, N, doc_normalisation=True):
    """The six anomaly coefficients for per-family charges (each an array of shape (..., 3)), stacked on a new
    leading axis, in the order of ``NAMES``; multiplied by ``DOC_NORMALISATION`` unless told otherwise."""
    charges = dict(Q=Q, U=U, D=D, L=L, E=E, N=N)
    total = 0.0
    s = lambda v: np.sum(v, axis=-1)  # noqa: E731  (sum over families)
    for name, (d3, d2, y, chi) in FIELDS.items():
        x = np.asarray(charges[name], dtype=np.float64)
        terms = [
            chi * d2 * 0.5 * s(x) if d3 == 3 else 0.0 * s(x),
            chi * d3 * 0.5 * s(x) if d2 == 2 else 0.0 * s(x),
            chi * d3 * d2 * y**2 * s(x),
            chi * d3 * d2 * y * s(x**2),
            chi * d3 * d2 * s(x**3),
            chi * d3 * d2 * s(x),
        ]
        total = total + np.stack(np.broadcast_arrays(*terms))
    if doc_normalisation:
        total = total * DOC_NORMALISATION.reshape((6,) + (1,) * (np.ndim(total) - 1))
    return total
