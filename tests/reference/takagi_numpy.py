"""Plain numpy reference for the Takagi factorisation (tests only).

SVD route: A = W S X^H for complex symmetric A. For distinct singular values X* = W Phi with Phi a diagonal
phase matrix, so A = (W Phi^{1/2}) S (W Phi^{1/2})^T, i.e. Q = W Phi^{1/2}, Phi = diag(W^H conj(X)).
Valid for non-degenerate singular values only, which is what it is used for.
"""

import numpy as np


def takagi_svd(a):
    w, s, xh = np.linalg.svd(a)
    x = xh.conj().T
    phi = np.einsum("ik,ik->k", w.conj(), x.conj())
    q = w * np.sqrt(phi)[None, :]
    return s, q


def pmns_matrix(s12_sq, s23_sq, s13_sq, delta, alpha21, alpha31):
    """PDG U = V(theta, delta) diag(1, e^{i alpha21/2}, e^{i alpha31/2})."""
    s12, s23, s13 = np.sqrt([s12_sq, s23_sq, s13_sq])
    c12, c23, c13 = np.sqrt([1 - s12_sq, 1 - s23_sq, 1 - s13_sq])
    e = np.exp(1j * delta)
    v = np.array(
        [
            [c12 * c13, s12 * c13, s13 / e],
            [-s12 * c23 - c12 * s23 * s13 * e, c12 * c23 - s12 * s23 * s13 * e, s23 * c13],
            [s12 * s23 - c12 * c23 * s13 * e, -c12 * s23 - s12 * c23 * s13 * e, c23 * c13],
        ]
    )
    return v @ np.diag([1.0, np.exp(0.5j * alpha21), np.exp(0.5j * alpha31)])
