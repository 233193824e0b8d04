"""Small dense linear algebra for one point: symmetric eigensystems and the Takagi factorisation.

Why not ``jnp.linalg.svd``/``eigh``: under ``vmap`` over millions of 3x3 matrices those lower to one
LAPACK/cuSOLVER call per matrix, and their derivatives are infinite at degenerate spectra. A cyclic Jacobi
method written with scalar element-wise operations fuses into one vectorised loop on any backend, reaches
the absolute accuracy of a float64 SVD (error ~ eps * largest eigenvalue, independent of the hierarchy of
the entries), and its derivative is supplied by perturbation theory with broadened denominators, so
gradients stay finite when eigenvalues coincide.

Takagi factorisation (Horn & Johnson, Matrix Analysis, Cor. 4.4.4): every complex symmetric A can be
written A = Q diag(sigma) Q^T with Q unitary and sigma >= 0. With A = R + iI (R, I real symmetric) the real
symmetric 6x6 matrix B = [[R, I], [I, -R]] has eigenvalues +-sigma_k, and the eigenvector [x; y] of
+sigma_k gives the Takagi vector q_k = x + i y (A conj(q) = sigma q  <=>  B [x; y] = sigma [x; y]).
Real orthonormal eigenvectors of B map to complex orthonormal q's, also inside degenerate eigenspaces,
so the construction needs no special case for degenerate or vanishing sigma.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp

JACOBI_SWEEPS = 8
"""Cyclic sweeps; Jacobi converges quadratically, so 8 sweeps reach float64 round-off for n <= 6."""

DEGENERACY_BROADENING = 1e-12
"""Relative width eta of the broadened denominator (dl)/(dl^2 + eta^2) used in the eigenvector derivative."""


def _jacobi_sweeps(matrix, sweeps: int):
    """Cyclic Jacobi on a real symmetric n x n matrix; returns (eigenvalues, eigenvectors as columns).

    Rotation formulas of Rutishauser (Numerical Recipes 11.1): theta = (a_qq - a_pp)/(2 a_pq),
    t = sgn(theta)/(|theta| + sqrt(theta^2 + 1)), which keeps |rotation angle| <= pi/4 and is stable.
    The matrix is held as a symmetric table of scalars so every operation is element-wise.
    """
    n = matrix.shape[0]
    pairs = list(itertools.combinations(range(n), 2))
    a0 = {(i, j): matrix[i, j] for i in range(n) for j in range(i, n)}
    v0 = {(i, j): jnp.asarray(1.0 if i == j else 0.0, matrix.dtype) for i in range(n) for j in range(n)}

    def entry(a, i, j):
        return a[(i, j)] if i <= j else a[(j, i)]

    def sweep(_, state):
        a, v = dict(state[0]), dict(state[1])
        for p, q in pairs:
            apq = a[(p, q)]
            nonzero = apq != 0
            theta = (a[(q, q)] - a[(p, p)]) / (2.0 * jnp.where(nonzero, apq, 1.0))
            t = jnp.where(nonzero, jnp.sign(theta + (theta == 0)) / (jnp.abs(theta) + jnp.hypot(theta, 1.0)), 0.0)
            c = 1.0 / jnp.sqrt(1.0 + t * t)
            s = t * c
            for k in range(n):
                if k in (p, q):
                    continue
                akp, akq = entry(a, k, p), entry(a, k, q)
                a[(min(k, p), max(k, p))] = c * akp - s * akq
                a[(min(k, q), max(k, q))] = s * akp + c * akq
            a[(p, p)] = a[(p, p)] - t * apq
            a[(q, q)] = a[(q, q)] + t * apq
            a[(p, q)] = jnp.zeros_like(apq)
            for k in range(n):
                vkp, vkq = v[(k, p)], v[(k, q)]
                v[(k, p)] = c * vkp - s * vkq
                v[(k, q)] = s * vkp + c * vkq
        return a, v

    a, v = jax.lax.fori_loop(0, sweeps, sweep, (a0, v0))
    eigenvalues = jnp.stack([a[(i, i)] for i in range(n)])
    eigenvectors = jnp.stack([jnp.stack([v[(i, j)] for j in range(n)]) for i in range(n)])
    return eigenvalues, eigenvectors


@jax.custom_jvp
def eigh_symmetric(matrix):
    """Eigen-decomposition of a small real symmetric matrix: (eigenvalues, eigenvectors as columns), unsorted.

    The input is scaled by its largest entry first, so the result is invariant under overall scale and
    neither under- nor overflows in float32.
    """
    scale = jnp.max(jnp.abs(matrix))
    safe_scale = jnp.where(scale > 0, scale, 1.0)
    eigenvalues, eigenvectors = _jacobi_sweeps(jax.lax.stop_gradient(matrix) / safe_scale, JACOBI_SWEEPS)
    return eigenvalues * safe_scale, eigenvectors


@eigh_symmetric.defjvp
def _eigh_symmetric_jvp(primals, tangents):
    """First-order perturbation theory: dl_k = v_k^T dB v_k, dV = V (F o (V^T dB V)).

    F_ij = 1/(l_j - l_i) is broadened to (l_j - l_i)/((l_j - l_i)^2 + eta^2), eta = 1e-12 * max|l|: exact
    to O(eta^2/dl^2) away from degeneracy and finite at it, where the eigenvectors themselves are not
    unique and no derivative exists to be matched.
    """
    (matrix,), (d_matrix,) = primals, tangents
    eigenvalues, eigenvectors = eigh_symmetric(matrix)
    projected = eigenvectors.T @ d_matrix @ eigenvectors
    gaps = eigenvalues[None, :] - eigenvalues[:, None]
    eta = DEGENERACY_BROADENING * jnp.max(jnp.abs(eigenvalues))
    broadened = gaps / (gaps * gaps + eta * eta + jnp.finfo(matrix.dtype).tiny)
    d_eigenvalues = jnp.diagonal(projected)
    d_eigenvectors = eigenvectors @ (broadened * projected)
    return (eigenvalues, eigenvectors), (d_eigenvalues, d_eigenvectors)


def takagi(matrix):
    """Takagi factorisation of a complex symmetric n x n matrix: A = Q diag(sigma) Q^T.

    Returns (sigma, Q) with sigma >= 0 in descending order and Q unitary (columns = Takagi vectors).
    Columns are defined up to a sign (up to a real orthogonal mixing inside degenerate sigma).

    When two singular values are both below ~eps^(1/2) sigma_max, the +sigma and -sigma eigenpairs of the
    embedding are closer than round-off can separate, and the raw vectors lose complex orthogonality
    (they stay accurate Takagi vectors of the tiny block). A Gram-Schmidt pass, heaviest vector first,
    restores exact unitarity; it moves accurately determined vectors only at round-off level.
    """
    n = matrix.shape[0]
    real, imag = jnp.real(matrix), jnp.imag(matrix)
    embedded = jnp.block([[real, imag], [imag, -real]])
    eigenvalues, eigenvectors = eigh_symmetric(embedded)
    order = jnp.argsort(-eigenvalues)[:n]
    sigma = eigenvalues[order]
    vectors = eigenvectors[:, order]
    q = vectors[:n, :] + 1j * vectors[n:, :]
    return jnp.maximum(sigma, 0.0), _gram_schmidt(q)


def _gram_schmidt(q):
    """Orthonormalise the columns of q in order (modified Gram-Schmidt)."""
    columns = []
    for k in range(q.shape[1]):
        v = q[:, k]
        for u in columns:
            v = v - jnp.vdot(u, v) * u
        columns.append(v / jnp.linalg.norm(v))
    return jnp.stack(columns, axis=1)
