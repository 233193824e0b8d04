"""Takagi factorisation against a numpy SVD reference, in three regimes, and its gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flavorscan.kernels.linalg import takagi
from tests.reference.jacobi_embedding import eigh_symmetric
from tests.reference.takagi_numpy import takagi_svd

RNG = np.random.default_rng(20261121)


def random_symmetric(n_matrices, decades=0.0):
    """Complex symmetric 3x3 matrices D (G + G^T) D with D = diag(10^-u), u in [0, decades]."""
    g = RNG.normal(size=(n_matrices, 3, 3)) + 1j * RNG.normal(size=(n_matrices, 3, 3))
    d = 10.0 ** -RNG.uniform(0, decades, size=(n_matrices, 3))
    return d[:, :, None] * (g + np.swapaxes(g, 1, 2)) * d[:, None, :]


batched_takagi = jax.jit(jax.vmap(takagi))
single_takagi = jax.jit(takagi)  # one compile shared by the single-matrix tests


@pytest.mark.parametrize("decades", [0.0, 6.0, 12.0])
def test_takagi_matches_svd_reference(decades):
    """Singular values agree with numpy's SVD to a few eps * sigma_max, whatever the hierarchy of entries
    (accuracy reached: <= 3e-15 relative to the largest mass for 12 decades); Q is unitary and
    reconstructs A; the reference's Takagi vectors agree up to sign."""
    a = random_symmetric(200, decades)
    sigma, q = map(np.asarray, batched_takagi(jnp.asarray(a)))
    for k in range(len(a)):
        s_ref, q_ref = takagi_svd(a[k])
        assert np.max(np.abs(sigma[k] - s_ref)) <= 5e-15 * s_ref[0]
        assert np.allclose(q[k].conj().T @ q[k], np.eye(3), atol=1e-13)
        assert np.max(np.abs(q[k] @ np.diag(sigma[k]) @ q[k].T - a[k])) <= 5e-15 * s_ref[0] * 4
        # columns equal up to a sign where the spectrum is not (nearly) degenerate
        gaps = np.abs(np.diff(s_ref)) / s_ref[0]
        if gaps.min() > 1e-6:
            overlap = np.abs(np.einsum("ik,ik->k", q_ref.conj(), q[k]))
            assert np.allclose(overlap, 1.0, atol=1e-8)


def test_lightest_mass_of_hierarchical_matrix():
    """A rank-deficient-looking hierarchical matrix: m_light/m_heavy = 1e-12 is resolved at the absolute
    accuracy eps * m_heavy (the most a float64 SVD gives too)."""
    u = np.linalg.qr(RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)))[0]
    masses = np.array([1.0, 3e-3, 1e-12])
    a = u @ np.diag(masses) @ u.T
    sigma, _ = single_takagi(jnp.asarray(a))
    assert np.allclose(np.asarray(sigma), masses, rtol=0, atol=4e-16)


def test_near_degenerate_spectrum():
    """Relative splitting 1e-9 (beyond the 1e-2 of TX-II): splittings kept to eps * sigma_max."""
    u = np.linalg.qr(RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)))[0]
    masses = np.array([1.0 + 2e-9, 1.0, 0.3])
    a = u @ np.diag(masses) @ u.T
    sigma, q = map(np.asarray, single_takagi(jnp.asarray(a)))
    assert np.allclose(sigma, masses, rtol=0, atol=1e-15)
    assert np.max(np.abs(q @ np.diag(sigma) @ q.T - a)) < 1e-14


def test_exactly_degenerate_spectrum_and_zero_matrix():
    u = np.linalg.qr(RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)))[0]
    a = u @ np.diag([0.7, 0.7, 0.7]) @ u.T
    sigma, q = map(np.asarray, single_takagi(jnp.asarray(a)))
    assert np.allclose(sigma, 0.7, atol=1e-15)
    assert np.max(np.abs(q @ np.diag(sigma) @ q.T - a)) < 1e-14
    sigma0, q0 = map(np.asarray, single_takagi(jnp.zeros((3, 3), jnp.complex128)))
    assert np.all(sigma0 == 0) and np.all(np.isfinite(q0))


def test_gradients_match_finite_differences_and_are_finite_at_degeneracy():
    u = np.linalg.qr(RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)))[0]
    direction = jnp.asarray(random_symmetric(1)[0])

    def masses_and_mixing(t, base):
        sigma, q = takagi(base + t * direction)
        return jnp.sum(sigma**2 * jnp.arange(1.0, 4.0)) + jnp.sum(jnp.abs(q[0, :]) ** 4)

    value_and_grad = jax.jit(jax.value_and_grad(masses_and_mixing))
    base = jnp.asarray(u @ np.diag([1.0, 0.6, 0.2]) @ u.T)
    h = 1e-6
    fd = (value_and_grad(h, base)[0] - value_and_grad(-h, base)[0]) / (2 * h)
    grad = value_and_grad(0.0, base)[1]
    assert abs(grad - fd) < 1e-6 * max(1.0, abs(fd))
    degenerate = jnp.asarray(u @ np.diag([0.5, 0.5, 0.5]) @ u.T)
    assert np.isfinite(value_and_grad(0.0, degenerate)[1])


def test_eigh_symmetric_against_numpy():
    b = RNG.normal(size=(6, 6))
    b = b + b.T
    values, vectors = map(np.asarray, eigh_symmetric(jnp.asarray(b)))
    assert np.allclose(np.sort(values), np.linalg.eigvalsh(b), atol=1e-14 * np.abs(b).max())
    assert np.allclose(vectors @ np.diag(values) @ vectors.T, b, atol=1e-13)


@pytest.mark.parametrize(
    "a",
    [
        [[1, 0.3, 0], [0.3, -1, 0], [0, 0, 0.5]],  # 2x2 block with |a_pp| = |a_qq|, opposite signs
        [[1, 1j, 0], [1j, 1, 0], [0, 0, 0.5]],  # equal diagonal, imaginary off-diagonal (the 0/0 rotation)
        [[0, 2, 0], [2, 0, 0], [0, 0, 0.5]],  # zero diagonal pair
        [[0, 2j, 0], [2j, 0, 0], [0, 0, 0]],
        [[0, 1, 1], [1, 0, 1], [1, 1, 0]],
        [[1, 1, 1], [1, 1, 1], [1, 1, 1]],  # rank 1
        [[1, 0, 0], [0, -1, 0], [0, 0, 1j]],  # diagonal with phases
        [[0, 0, 1e-3], [0, 2, 0], [1e-3, 0, 0]],  # texture-like exact zeros
    ],
)
def test_takagi_structured_matrices(a):
    """Exact zeros, equal or opposite diagonal entries and degenerate 2x2 blocks: the cases in which the
    complex Jacobi rotation has to take a limit (kernels.linalg._takagi_rotation)."""
    a = np.asarray(a, dtype=complex)
    sigma, q = map(np.asarray, single_takagi(jnp.asarray(a)))
    s_ref = np.linalg.svd(a, compute_uv=False)
    assert np.max(np.abs(sigma - s_ref)) <= 4e-16 * s_ref[0]
    assert np.allclose(q.conj().T @ q, np.eye(3), atol=1e-15)
    assert np.max(np.abs(q @ np.diag(sigma) @ q.T - a)) <= 4e-16 * s_ref[0] * 4


def test_takagi_near_degenerate_with_phases():
    """Splittings from O(1) down to 1e-15 between Takagi values whose W_kk carry different phases (real
    orthogonal and complex unitary mixing): reconstruction and values at the eps * sigma_max level."""
    n = 2000
    phases = np.exp(1j * RNG.uniform(0, 2 * np.pi, (n, 3)))
    masses = np.stack([np.ones(n), 1 + 10 ** -RNG.uniform(0, 15, n), 10 ** -RNG.uniform(0, 12, n)], axis=-1)
    for unitary in (np.linalg.qr(RNG.normal(size=(n, 3, 3)))[0],
                    np.linalg.qr(RNG.normal(size=(n, 3, 3)) + 1j * RNG.normal(size=(n, 3, 3)))[0]):
        a = np.einsum("nij,nj,nkj->nik", unitary, masses * phases, unitary)
        sigma, q = map(np.asarray, batched_takagi(jnp.asarray(a)))
        reconstructed = np.einsum("nik,nk,njk->nij", q, sigma, q)
        assert np.max(np.abs(reconstructed - a)) < 5e-15
        assert np.max(np.abs(sigma - np.sort(masses, axis=-1)[:, ::-1])) < 5e-15
        assert np.max(np.abs(np.einsum("nki,nkj->nij", q.conj(), q) - np.eye(3))) < 5e-15


def _takagi_embedding(matrix):
    """The previous implementation, as an independent reference for the derivative: eigenvectors of the real
    6x6 embedding [[R, I], [I, -R]] (eigh_symmetric and its perturbation-theory JVP)."""
    real, imag = jnp.real(matrix), jnp.imag(matrix)
    values, vectors = eigh_symmetric(jnp.block([[real, imag], [imag, -real]]))
    order = jnp.argsort(-values)[:3]
    return values[order], vectors[:3, order] + 1j * vectors[3:, order]


def test_takagi_jvp_matches_the_embedding_derivative():
    """d sigma and d|Q_ij|^2 (sign-free) agree with the derivative through the 6x6 real embedding, wherever
    the derivative is well conditioned: its scale is |dA| / gap with gap the smallest of |sigma_j - sigma_k| and
    2 sigma_min (the gaps between the +-sigma eigenvalues of the embedding). Measured: <= 1e-13 of that scale."""

    def observables(factorisation):
        def function(matrix):
            sigma, q = factorisation(matrix)
            return sigma, jnp.abs(q) ** 2

        return jax.jit(jax.vmap(lambda m, d: jax.jvp(function, (m,), (d,))))

    new_jvp, old_jvp = observables(takagi), observables(_takagi_embedding)
    checked = 0
    for decades in (0.0, 3.0, 6.0):
        a, directions = random_symmetric(200, decades), random_symmetric(200)
        (sigma, _), new = new_jvp(jnp.asarray(a), jnp.asarray(directions))
        old = old_jvp(jnp.asarray(a), jnp.asarray(directions))[1]
        sigma, new, old = np.asarray(sigma), [np.asarray(x) for x in new], [np.asarray(x) for x in old]
        size = np.abs(directions).max(axis=(1, 2))
        gap = np.minimum(np.abs(np.diff(sigma, axis=1)).min(axis=1), 2 * sigma[:, 2])
        well = gap > 1e-3 * sigma[:, 0]
        assert np.all(np.abs(new[0] - old[0]).max(axis=1)[well] <= 1e-12 * size[well])
        scale = size / gap
        assert np.all(np.abs(new[1] - old[1]).max(axis=(1, 2))[well] <= 1e-12 * scale[well])
        checked += well.sum()
    assert checked > 300
