"""The exact oscillation manifold: couplings solved for a target neutrino mass matrix give that matrix, and
its masses and mixing come back from an independent numpy Takagi factorisation (tests/reference)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from flavorscan.kernels import oscillation_manifold as manifold
from flavorscan.kernels.constants import base_inputs
from flavorscan.kernels.neutrino import mass_matrix
from tests.reference.neutrino_mass_matrix import mass_matrix_eq3
from tests.reference.takagi_numpy import pmns_matrix, takagi_svd

INPUTS = base_inputs("paper2022")


def random_params(rng, real: bool):
    def matrix():
        z = rng.normal(size=(3, 3)) * 10 ** rng.uniform(-4, 0, (3, 3))
        return z if real else z * np.exp(1j * rng.uniform(0, 2 * np.pi, (3, 3)))

    return {"fR": matrix() + 0j, "fL": matrix() + 0j, "yR": matrix() + 0j, "yL": matrix() + 0j,
            "M_R2": 1500.0, "M_S1": 1200.0, "m0I0": 10 ** rng.uniform(-7, -5)}


def target(rng, real: bool):
    s12, s23, s13 = rng.uniform(0.27, 0.35), rng.uniform(0.4, 0.6), rng.uniform(0.02, 0.024)
    m1 = 10 ** rng.uniform(-4, -1.5)
    masses = np.array([m1, np.sqrt(m1**2 + 7.4e-5), np.sqrt(m1**2 + 2.5e-3)])
    if real:
        delta, a21, a31 = rng.choice([0.0, np.pi]), 0.0, 0.0
        masses = masses * rng.choice([-1.0, 1.0], 3)
    else:
        delta, a21, a31 = rng.uniform(0, 2 * np.pi, 3)
    u = pmns_matrix(s12, s23, s13, delta, a21, a31)
    return np.conj(u) @ np.diag(masses) @ np.conj(u).T * 1e-9, np.sort(np.abs(masses)) * 1e-9, (s12, s23, s13)


@pytest.mark.parametrize("real", [False, True])
@pytest.mark.parametrize("group", ["f", "y"])
def test_solved_couplings_reproduce_the_target(real, group):
    rng = np.random.default_rng(7 + real + 2 * (group == "y"))
    bound = jax.jit(lambda p: mass_matrix(p, INPUTS))
    basis_fn = jax.jit(jax.vmap(lambda p: manifold.group_basis(lambda q: mass_matrix(q, INPUTS), p, group)))
    checked = 0
    for trial in range(12):
        params = random_params(rng, real)
        free = rng.random(18) < 0.6
        tgt, masses, angles = target(rng, real)
        batch = {k: np.asarray(v)[None] for k, v in params.items()}
        m0, basis = jax.device_get(basis_fn(batch))
        solution, ok = manifold.solve_group(m0, basis, free[None], tgt[None], real=real)
        if not ok[0]:
            assert free.sum() < 6 or np.linalg.matrix_rank(basis[0][free][:, *np.triu_indices(3)]) < 6
            continue
        names = manifold.GROUPS[group]
        solved = dict(params)
        solved[names[0]] = np.where(free[:9], solution[0][:9], 0).reshape(3, 3) + 0j
        solved[names[1]] = np.where(free[9:], solution[0][9:], 0).reshape(3, 3) + 0j
        # the kernel's mass matrix and an explicit-loop reference of Eq. (3) both give the target
        got = np.asarray(bound(solved))
        reference = np.asarray(mass_matrix_eq3(
            solved["fL"], solved["fR"], solved["yL"], solved["yR"], solved["m0I0"], INPUTS["m_up_nu"],
            INPUTS["m_lep"], INPUTS["nu_term_signs"]), dtype=complex)
        scale = np.max(np.abs(tgt))
        assert np.max(np.abs(got - tgt)) < 1e-10 * scale
        assert np.max(np.abs(reference - tgt)) < 1e-10 * scale
        # masses and mixing back from an independent Takagi factorisation
        s, q = takagi_svd(got)
        order = np.argsort(s)
        assert np.allclose(s[order], masses, rtol=1e-10)
        u = np.conj(q[:, order])
        s13 = abs(u[0, 2]) ** 2
        assert s13 == pytest.approx(angles[2], rel=1e-9)
        assert abs(u[0, 1]) ** 2 / (1 - s13) == pytest.approx(angles[0], rel=1e-9)
        assert abs(u[1, 2]) ** 2 / (1 - s13) == pytest.approx(angles[1], rel=1e-9)
        if real:
            assert np.all(solution[0].imag == 0) if np.iscomplexobj(solution) else True
        checked += 1
    assert checked >= 6


def test_two_rows_of_fl_alone_are_a_rank_trap():
    """fL entries of two rows only (fR and y fixed, fR zero): the map reaches at most five entries of the
    symmetric matrix (the issue's rank trap), so no exact solution is claimed."""
    rng = np.random.default_rng(3)
    params = random_params(rng, real=False)
    params["fR"] = np.zeros((3, 3), complex)
    free = np.zeros(18, dtype=bool)
    free[9:15] = True  # fL rows u and c
    basis_fn = jax.jit(jax.vmap(lambda p: manifold.group_basis(lambda q: mass_matrix(q, INPUTS), p, "f")))
    m0, basis = jax.device_get(basis_fn({k: np.asarray(v)[None] for k, v in params.items()}))
    tgt, _, _ = target(rng, real=False)
    _, ok = manifold.solve_group(m0, basis, free[None], tgt[None])
    assert not ok[0]
