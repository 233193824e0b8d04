"""The previous Takagi implementation, kept as an independent reference for the derivative of
kernels.linalg.takagi: a cyclic Jacobi eigen-decomposition of a small real symmetric matrix (Rutishauser's
rotations) with a first-order perturbation-theory JVP, applied to the real 6x6 embedding [[R, I], [I, -R]]
of a complex symmetric 3x3 matrix."""

import itertools

import jax
import jax.numpy as jnp

from flavorscan.kernels.linalg import DEGENERACY_BROADENING

JACOBI_SWEEPS = 8
"""Cyclic sweeps of eigh_symmetric; Jacobi converges quadratically, so 8 sweeps reach float64 round-off for n <= 6."""


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
