"""The exact oscillation manifold: couplings that give a target neutrino mass matrix.

M_nu of letter Eq. (3) (:func:`flavorscan.kernels.neutrino.mass_matrix`) is a sum of products of one
S1 coupling (y^L or y^R) and one R2 coupling (f^L or f^R):

    M_nu = m0 I0 { s1 2 (y^L)^T D_u f^L + s2 c D_l (y^R)^T f^L + s3 c D_l (f^R)^T y^L } + transpose,  c = m_tau/m_t,

so for fixed y^L, y^R and m0 I0 it is linear in the 18 entries of (f^L, f^R), and for fixed (f^L, f^R) linear
in (y^L, y^R). Writing M = M_0 + sum_e z_e B_e over the free entries e of one *group* (the R2 couplings
"f" or the S1 couplings "y"), the six independent entries of a complex symmetric target T give six linear
equations; with six or more free entries of full rank the minimum-norm solution reproduces T exactly
(Cordero-Carrion, Hirsch, Vicente, arXiv:1812.03896, for the general master parametrisation of Majorana
masses). The basis matrices come from the kernel's own mass matrix (so the two cannot disagree), and the
solve runs on the host in float64 whatever the run's precision: condition numbers reach 1e10.

A target is built from oscillation parameters as M = U^* diag(m1, m2, m3) U^dagger with U the PDG PMNS matrix
(the convention the Takagi extraction of :mod:`flavorscan.kernels.neutrino` inverts).
"""

from __future__ import annotations

import numpy as np

GROUPS = {"f": ("fR", "fL"), "y": ("yR", "yL")}
"""The two groups of couplings M_nu is linear in, in the order of :data:`flavorscan.kernels.names.COUPLINGS`."""
UPPER = np.triu_indices(3)
RANK_TOLERANCE = 1e-12


def pmns(s12_sq, s23_sq, s13_sq, delta, alpha21=0.0, alpha31=0.0) -> np.ndarray:
    """The PDG PMNS matrix U = R23 U13(delta) R12 diag(1, e^{i alpha21/2}, e^{i alpha31/2}) (numpy)."""
    s12, s23, s13 = np.sqrt(s12_sq), np.sqrt(s23_sq), np.sqrt(s13_sq)
    c12, c23, c13 = np.sqrt(1 - s12_sq), np.sqrt(1 - s23_sq), np.sqrt(1 - s13_sq)
    e = np.exp(1j * delta)
    u = np.array([
        [c12 * c13, s12 * c13, s13 / e],
        [-s12 * c23 - c12 * s23 * s13 * e, c12 * c23 - s12 * s23 * s13 * e, s23 * c13],
        [s12 * s23 - c12 * c23 * s13 * e, -c12 * s23 - s12 * c23 * s13 * e, c23 * c13],
    ])
    return u @ np.diag([1.0, np.exp(0.5j * alpha21), np.exp(0.5j * alpha31)])


def target_matrix(masses, u) -> np.ndarray:
    """M = U^* diag(m) U^dagger (symmetric; the Takagi factorisation of M gives back m and U)."""
    return np.conj(u) @ np.diag(masses) @ np.conj(u).T


def group_basis(mass_matrix, params: dict, group: str):
    """(M_0, B) of one point (traced; vmap it over a population): the mass matrix with the group's couplings
    zero, and B[e] = M(entry e = 1, the rest of the group zero) - M_0 for the 18 entries of the group (matrix
    by matrix, row by row). ``mass_matrix(params) -> 3x3`` is the kernel's function with its inputs bound."""
    import jax.numpy as jnp

    names = GROUPS[group]
    zeros = jnp.zeros((3, 3), dtype=jnp.result_type(1j))
    m0 = mass_matrix(dict(params, **{name: zeros for name in names}))
    basis = []
    for k in range(18):
        unit = {name: zeros for name in names}
        unit[names[k // 9]] = zeros.at[(k % 9) // 3, k % 3].set(1.0)
        basis.append(mass_matrix(dict(params, **unit)) - m0)
    return m0, jnp.stack(basis)


def solve_group(m0, basis, free, target, real: bool = False):
    """The minimum-norm values of the free entries with M_0 + sum_e z_e B_e = target on the six independent
    entries, for a batch of points (numpy float64/complex128, leading axis P): m0 (P,3,3), basis (P,18,3,3),
    free (P,18) bool, target (P,3,3). Returns (solution (P,18), ok (P,)): ``ok`` is False where the free
    entries do not reach every entry (rank < 6). ``real``: the entries must be real (the real and imaginary
    parts of the equations are then solved together)."""
    free = np.asarray(free, dtype=bool)
    a = np.asarray(basis, dtype=np.complex128)[:, :, UPPER[0], UPPER[1]] * free[:, :, None]  # (P, 18, 6)
    a = np.swapaxes(a, 1, 2)  # (P, 6, 18)
    b = (np.asarray(target, dtype=np.complex128) - np.asarray(m0, dtype=np.complex128))[:, UPPER[0], UPPER[1]]
    if real:
        a = np.concatenate([a.real, a.imag], axis=1)
        b = np.concatenate([b.real, b.imag], axis=1)
    # equilibrate the columns (entries of very different size) and the rows, then refine the solution once
    # against its own residual: the conditioning reaches 1e10
    column_norm = np.linalg.norm(a, axis=1, keepdims=True)
    column_norm = np.where(column_norm > 0, column_norm, 1.0)
    row_norm = np.linalg.norm(a / column_norm, axis=2, keepdims=True)
    row_norm = np.where(row_norm > 0, row_norm, 1.0)
    scaled = a / column_norm / row_norm
    u, s, vh = np.linalg.svd(scaled, full_matrices=False)
    ok = (s[:, 5] > RANK_TOLERANCE * s[:, 0]) & (free.sum(axis=1) >= 6)
    inverse = np.where(s > RANK_TOLERANCE * s[:, :1], 1.0 / np.where(s > 0, s, 1.0), 0.0)

    def apply_inverse(rhs):
        coefficients = np.einsum("pij,pi->pj", u.conj(), rhs / row_norm[:, :, 0]) * inverse
        return np.einsum("pij,pi->pj", vh.conj(), coefficients) / column_norm[:, 0, :]

    solution = apply_inverse(b)
    solution = solution + apply_inverse(b - np.einsum("pij,pj->pi", a, solution))
    return np.where(free, solution, 0.0), ok
