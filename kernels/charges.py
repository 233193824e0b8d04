"""Catalog of anomaly-free, quark-universal U(1)_X charge sets (GSSTZ arXiv:2107.07518, section 3;
docs/physics/zprime.md §1).

This is a host-side numpy enumeration, not a per-point JAX kernel: it runs once per ``max_charge`` and its
result is cached.

Fields and anomaly conditions. With X_H = 0 (X -> X + a Y only shifts the kinetic mixing) the quark Yukawas
force X_Q_i = X_U_i = X_D_i = X_q for every family, and the six conditions SU(3)^2 X, SU(2)^2 X, Y^2 X, Y X^2,
X^3 and grav^2 X reduce to

    sum X_L = sum X_E = sum X_N = -9 X_q,    sum X_L^2 = sum X_E^2,    2 sum X_L^3 = sum X_E^3 + sum X_N^3.

A *charge set* is (X_q, {X_L}, {X_E}, {X_N}) with integer charges |X| <= N (``max_charge``), gcd 1, identified up to
an overall sign and up to permutations of the three families within each species separately. |9 X_q| <= 3N
bounds X_q.

Canonical form and catalog order. A set is stored as the 10 integers (X_q, L1 <= L2 <= L3, E1 <= E2 <= E3,
N1 <= N2 <= N3); of the two sign images the lexicographically larger tuple is kept (so X_q >= 0). The catalog is
sorted lexicographically ascending in that tuple and ``index`` counts from 0 in that order: ``catalog:<index>``
in a run card refers to this index in the N = 10 catalog.

Muon assignments. A muon assignment is a pair (X_L2, X_E2) where X_L2 occurs exactly once in {X_L} and X_E2
exactly once in {X_E} (condition (13) for both chiralities). In the vector category the families are paired
by their Yukawas (X_L_i = X_E_i), so only X_E2 = X_L2 is allowed there. {X_L} has a unique entry iff {X_E} has
one (equal sums and sums of squares force L = E = (a, a, a) together), so (13) holds iff an assignment exists.

Per-set classification (columns of :class:`Catalog`):

- ``pass_13``: some muon assignment exists.
- ``pass_14a`` (GSSTZ's reading): the condition X_ell2 != 3 X_q holds for the muon field a fermion-number-zero
  LQ (R2, R2~, U1) couples to, either the doublet or the singlet: some assignment has X_L2 != 3 X_q, or some has
  X_E2 != 3 X_q. ``pass_14a_strict``: both (some assignment has X_L2 != 3 X_q and some has X_E2 != 3 X_q, as the
  radiative-mass model of §4 needs an LQ for each chirality). The two differ for chiral sets only; in the vector
  category one and the same assignment meets both.
- ``pass_14b``, ``pass_14b_strict``: the same with X_ell2 != -3 X_q (|F| = 2 LQs S1, S3: no diquark coupling).
- ``vector``: {X_L} = {X_E} as multisets (all charged-lepton Yukawas allowed); ``chiral`` otherwise.
- ``class1``: vector with {X_N} = {X_L} (X = a B + sum b_i (L_i + N_i)).
- ``class2``: vector with -9 X_q in {X_L} and in {X_N}: b = (k, -k, -3a), c = (k', -k', -3a) in the
  B-normalisation X_q = a/3; the other two entries then sum to zero automatically.
- ``class3``: vector, neither class 1 nor class 2. Classes 1 and 2 overlap.
- ``chiral_reflection``: chiral with {X_E} = {-6 X_q - X_L} (GSSTZ Table 1 type).
- ``n_third_family``: number of muon choices X_L2 for which an S3 muoquark of the third-family variant
  X_q12 = 0, X_q3 = 3 X_q (``THIRD_FAMILY_QUARKS``) couples Q3 to L2 only: X_L2 unique in {X_L}, no
  X_L_j = X_L2 + X_q3 - X_q12 (so no coupling to Q1, Q2; j = 2 forces X_q3 != X_q12, i.e. X_q != 0), and
  X_L2 not in {-3 X_q3, -2 X_q3 - X_q12, -X_q3 - 2 X_q12} (no diquark couplings).

Counts (``COUNT_KEYS``, the keys of docs/interface.md). Every count except ``total``,
``hypercharge_included_total`` and the ``third_family*`` ones is over the muoquark sets (``pass_13``):

- total: number of sets. hypercharge_included_total: total + 1, the paper's 276 under the hypothesis of
  docs/physics/zprime.md §1 (its catalog also counted the pure hypercharge direction, which is trivial once X_H = 0 and
  fails (13)); this is a hypothesis, not a check.
- muoquark: pass (13). muoquark_14a / muoquark_14b: pass (13) and (14a) / (14b) in GSSTZ's reading (either
  chirality); muoquark_14a_strict / muoquark_14b_strict: both chiralities.
- vector_14a, vector_14b, class1_14a, class1_14b: vector (class-1) sets passing (13) and (14a) / (14b).
- class2, class1_and_class2, class3: vector sets of that class passing (13).
- chiral: chiral sets passing (13) (all chiral sets do). chiral_reflection: those of Table 1 type.
- third_family: number of charge SETS for which some muon choice X_L2 passes the third-family S3 conditions
  (GSSTZ's count); third_family_vector / third_family_chiral: the same over vector / chiral sets.
  third_family_pairs (_vector, _chiral): the number of (set, muon choice) pairs instead, i.e. the sum of
  ``n_third_family``. (A sign-conjugate pair of choices could only coincide for X_q = 0, which always fails.)
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

DEFAULT_MAX_CHARGE = 10
MAX_MAX_CHARGE = 20
THIRD_FAMILY_QUARKS = (0, 3)  # (X_q12, X_q3) in units of X_q: the benchmark 2 X_q12 + X_q3 = 3 X_q

COUNT_KEYS = (
    "total",
    "hypercharge_included_total",
    "muoquark",
    "muoquark_14a",
    "muoquark_14b",
    "muoquark_14a_strict",
    "muoquark_14b_strict",
    "vector_14a",
    "vector_14b",
    "class1_14a",
    "class1_14b",
    "class2",
    "class1_and_class2",
    "class3",
    "chiral",
    "chiral_reflection",
    "third_family",
    "third_family_vector",
    "third_family_chiral",
    "third_family_pairs",
    "third_family_pairs_vector",
    "third_family_pairs_chiral",
)

CATALOG_CHARGE_COLUMNS = ("X_q", "X_L1", "X_L2", "X_L3", "X_E1", "X_E2", "X_E3", "X_N1", "X_N2", "X_N3")


class Catalog(NamedTuple):
    """The catalog for one ``max_charge``: per-set columns (catalog order), muon assignments and counts.

    ``columns`` holds int64 arrays for ``index`` and the charges (``CATALOG_CHARGE_COLUMNS``), bool arrays for the
    flags of the module docstring, ``n_muon_choices`` and ``n_third_family``, the default muon assignment
    ``muon_L``, ``muon_E`` (the first entry of ``muon_choices``; NaN where (13) fails) and the Z' couplings it
    implies in units of g_X at zero kinetic mixing: ``gV_mu``, ``gA_mu``, ``gnu_mu`` (docs/physics/zprime.md §2) and
    ``gV_q`` (= X_q).
    ``muon_choices[i]`` lists the assignments (X_L2, X_E2) of set i, those passing (14a) and (14b) first,
    then ascending.
    """

    max_charge: int
    columns: dict
    muon_choices: tuple
    counts: dict


def sorted_triples(max_charge: int) -> np.ndarray:
    """All (a, b, c) with -N <= a <= b <= c <= N, as an int64 array of shape (T, 3)."""
    values = np.arange(-max_charge, max_charge + 1, dtype=np.int64)
    a, b, c = np.meshgrid(values, values, values, indexing="ij")
    triples = np.stack([a.ravel(), b.ravel(), c.ravel()], axis=1)
    return triples[(triples[:, 0] <= triples[:, 1]) & (triples[:, 1] <= triples[:, 2])]


def _lex_ge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise lexicographic a >= b for int arrays of equal shape (R, K)."""
    differ = a != b
    first = np.argmax(differ, axis=1)
    rows = np.arange(a.shape[0])
    return ~differ.any(axis=1) | (a[rows, first] > b[rows, first])


def _negate_sorted(triples: np.ndarray) -> np.ndarray:
    return -triples[:, ::-1]


def enumerate_sets(max_charge: int = DEFAULT_MAX_CHARGE) -> np.ndarray:
    """The canonical charge sets (module docstring) in catalog order, int64 array of shape (S, 10)."""
    triples = sorted_triples(max_charge)
    s1 = triples.sum(axis=1)
    s2 = (triples**2).sum(axis=1)
    s3 = (triples**3).sum(axis=1)
    q_max = max_charge // 3
    blocks = []
    for x_q in range(-q_max, q_max + 1):
        same_sum = np.flatnonzero(s1 == -9 * x_q)
        il, ie = np.meshgrid(same_sum, same_sum, indexing="ij")
        il, ie = il.ravel(), ie.ravel()
        keep = s2[il] == s2[ie]
        il, ie = il[keep], ie[keep]
        need = 2 * s3[il] - s3[ie]
        # match sum X_N^3 = need among same-sum triples: sort by cube sum, take every equal entry
        by_cube = same_sum[np.argsort(s3[same_sum], kind="stable")]
        cubes = s3[by_cube]
        lo = np.searchsorted(cubes, need, side="left")
        hi = np.searchsorted(cubes, need, side="right")
        counts = hi - lo
        pair = np.repeat(np.arange(il.size), counts)
        offset = np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)
        inn = by_cube[np.repeat(lo, counts) + offset]
        rows = np.concatenate(
            [np.full((pair.size, 1), x_q), triples[il[pair]], triples[ie[pair]], triples[inn]], axis=1
        )
        blocks.append(rows)
    rows = np.concatenate(blocks, axis=0)
    rows = rows[np.gcd.reduce(np.abs(rows), axis=1) == 1]
    negated = np.concatenate(
        [-rows[:, :1], _negate_sorted(rows[:, 1:4]), _negate_sorted(rows[:, 4:7]), _negate_sorted(rows[:, 7:10])],
        axis=1,
    )
    rows = rows[_lex_ge(rows, negated)]
    return np.unique(rows, axis=0)


def _unique_mask(triples: np.ndarray) -> np.ndarray:
    """For sorted triples, which entries occur exactly once (bool, shape (S, 3))."""
    a, b, c = triples[:, 0], triples[:, 1], triples[:, 2]
    return np.stack([a != b, (b != a) & (b != c), c != b], axis=1)


def _contains(triples: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (triples == values[:, None]).any(axis=1)


def third_family_ok(x_q: np.ndarray, lep: np.ndarray) -> np.ndarray:
    """Per lepton family: may X_L2 = lep[:, i] be the muon of a third-family S3 muoquark? (S, 3) bool."""
    q12, q3 = (k * x_q for k in THIRD_FAMILY_QUARKS)
    unique = _unique_mask(lep)
    target = lep + (q3 - q12)[:, None]
    no_light_coupling = ~(lep[:, None, :] == target[:, :, None]).any(axis=2)
    diquark = np.stack([-3 * q3, -2 * q3 - q12, -q3 - 2 * q12], axis=1)
    no_diquark = ~(lep[:, :, None] == diquark[:, None, :]).any(axis=2)
    return unique & no_light_coupling & no_diquark


def classify(sets: np.ndarray) -> dict:
    """Bool flags and per-set numbers of the module docstring for canonical sets (S, 10)."""
    x_q, lep_l, lep_e, nu_r = sets[:, 0], sets[:, 1:4], sets[:, 4:7], sets[:, 7:10]
    unique_l, unique_e = _unique_mask(lep_l), _unique_mask(lep_e)
    vector = (lep_l == lep_e).all(axis=1)
    class1 = vector & (nu_r == lep_l).all(axis=1)
    class2 = vector & _contains(lep_l, -9 * x_q) & _contains(nu_r, -9 * x_q)
    reflected = np.sort(-6 * x_q[:, None] - lep_l, axis=1)

    def doublet(bound):
        return (unique_l & (lep_l != bound[:, None])).any(axis=1)

    def singlet(bound):
        return (unique_e & (lep_e != bound[:, None])).any(axis=1)

    third = third_family_ok(x_q, lep_l)
    return {
        "pass_13": unique_l.any(axis=1),
        "pass_14a": doublet(3 * x_q) | singlet(3 * x_q),
        "pass_14b": doublet(-3 * x_q) | singlet(-3 * x_q),
        "pass_14a_strict": doublet(3 * x_q) & singlet(3 * x_q),
        "pass_14b_strict": doublet(-3 * x_q) & singlet(-3 * x_q),
        "vector": vector,
        "chiral": ~vector,
        "class1": class1,
        "class2": class2,
        "class3": vector & ~class1 & ~class2,
        "chiral_reflection": ~vector & (reflected == lep_e).all(axis=1),
        "n_third_family": third.sum(axis=1),
        "third_family": third.any(axis=1),
    }


def muon_choices(row: np.ndarray) -> tuple:
    """The muon assignments (X_L2, X_E2) of one canonical set, ordered as in :class:`Catalog`."""
    x_q, lep_l, lep_e = int(row[0]), row[1:4], row[4:7]
    singles_l = [int(x) for x in lep_l if np.count_nonzero(lep_l == x) == 1]
    singles_e = [int(x) for x in lep_e if np.count_nonzero(lep_e == x) == 1]
    if (lep_l == lep_e).all():
        pairs = [(x, x) for x in singles_l]
    else:
        pairs = [(xl, xe) for xl in singles_l for xe in singles_e]
    forbidden = {3 * x_q, -3 * x_q}
    return tuple(sorted(pairs, key=lambda p: (bool(forbidden & set(p)), p)))


def count(flags: dict) -> dict:
    """The interface counts (``COUNT_KEYS``) from the flags of :func:`classify`."""
    muoquark = flags["pass_13"]
    n_third = flags["n_third_family"]

    def n(mask):
        return int(np.count_nonzero(mask & muoquark))

    counts = {
        "total": int(muoquark.size),
        "hypercharge_included_total": int(muoquark.size) + 1,
        "muoquark": n(muoquark),
        "muoquark_14a": n(flags["pass_14a"]),
        "muoquark_14b": n(flags["pass_14b"]),
        "muoquark_14a_strict": n(flags["pass_14a_strict"]),
        "muoquark_14b_strict": n(flags["pass_14b_strict"]),
        "vector_14a": n(flags["vector"] & flags["pass_14a"]),
        "vector_14b": n(flags["vector"] & flags["pass_14b"]),
        "class1_14a": n(flags["class1"] & flags["pass_14a"]),
        "class1_14b": n(flags["class1"] & flags["pass_14b"]),
        "class2": n(flags["class2"]),
        "class1_and_class2": n(flags["class1"] & flags["class2"]),
        "class3": n(flags["class3"]),
        "chiral": n(flags["chiral"]),
        "chiral_reflection": n(flags["chiral_reflection"]),
        "third_family": int(np.count_nonzero(flags["third_family"])),
        "third_family_vector": int(np.count_nonzero(flags["third_family"] & flags["vector"])),
        "third_family_chiral": int(np.count_nonzero(flags["third_family"] & flags["chiral"])),
        "third_family_pairs": int(n_third.sum()),
        "third_family_pairs_vector": int(n_third[flags["vector"]].sum()),
        "third_family_pairs_chiral": int(n_third[flags["chiral"]].sum()),
    }
    return counts


def check_max_charge(max_charge) -> int:
    """Validate N: an integer 1 <= N <= MAX_MAX_CHARGE (larger N only costs time and memory)."""
    if isinstance(max_charge, bool) or int(max_charge) != max_charge:
        raise ValueError(f"max charge must be an integer, got {max_charge!r}")
    if not 1 <= int(max_charge) <= MAX_MAX_CHARGE:
        raise ValueError(f"max charge must be between 1 and {MAX_MAX_CHARGE}, got {max_charge}")
    return int(max_charge)


@functools.lru_cache(maxsize=None)
def catalog(max_charge: int = DEFAULT_MAX_CHARGE) -> Catalog:
    """Enumerate, classify and count the charge sets with |X| <= max_charge (cached)."""
    max_charge = check_max_charge(max_charge)
    sets = enumerate_sets(max_charge)
    flags = classify(sets)
    choices = tuple(muon_choices(row) for row in sets)
    muon = np.array([c[0] if c else (np.nan, np.nan) for c in choices], dtype=np.float64).reshape(-1, 2)
    columns = {"index": np.arange(sets.shape[0], dtype=np.int64)}
    columns.update({name: sets[:, i] for i, name in enumerate(CATALOG_CHARGE_COLUMNS)})
    columns.update(flags)
    columns.update(
        n_muon_choices=np.array([len(c) for c in choices], dtype=np.int64),
        muon_L=muon[:, 0],
        muon_E=muon[:, 1],
        gV_mu=0.5 * (muon[:, 0] + muon[:, 1]),
        gA_mu=0.5 * (muon[:, 1] - muon[:, 0]),
        gnu_mu=muon[:, 0],
        gV_q=sets[:, 0].astype(np.float64),
    )
    return Catalog(max_charge, columns, choices, count(flags))
