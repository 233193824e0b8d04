"""The anomaly-free charge catalog (kernels.charges) and the ``flavorscan charges`` command.

The catalog solves the *reduced* system of docs/physics/zprime.md §1. The brute force below instead scans ordered
per-family charges, imposes the quark Yukawas with X_H = 0 and evaluates all six *unreduced* anomaly sums,
then applies the equivalence (sign, family permutations within each species) itself.
"""

import functools
import itertools
import json
import math

import numpy as np
import pytest

from flavorscan.kernels import charges
from flavorscan.scanner import cli
from tests.reference import charges_anomalies as field_anomalies

X_H = 0


def anomalies(q, u, d, lep, e, n):
    """The six anomaly sums of docs/physics/zprime.md §1 for per-family charge vectors (last axis = family)."""
    s = lambda x, k=1: (x**k).sum(axis=-1)  # noqa: E731
    sums = np.broadcast_arrays(
        *[
            s(2 * q - u - d),
            3 * s(q) + s(lep),
            s(q) + 3 * s(lep) - 8 * s(u) - 2 * s(d) - 6 * s(e),
            s(q, 2) - s(lep, 2) - 2 * s(u, 2) + s(d, 2) + s(e, 2),
            6 * s(q, 3) + 2 * s(lep, 3) - 3 * s(u, 3) - 3 * s(d, 3) - s(e, 3) - s(n, 3),
            6 * s(q) + 2 * s(lep) - 3 * s(u) - 3 * s(d) - s(e) - s(n),
        ]
    )
    return np.stack(sums)


def quark_sectors(ordered):
    """Every (X_Q, X_U, X_D), each an ordered per-family triple, allowing all quark Yukawas
    Q̄_i H̃ U_j (X_U_j = X_Q_i + X_H) and Q̄_i H D_j (X_D_j = X_Q_i - X_H) for every i, j."""
    small = ordered.astype(np.int8)  # |charge| <= 20 here: keeps the (T, T, 3, 3) table small
    diff = small[:, None, :, None] - small[None, :, None, :]  # [a, b, i, j] = triple_a[i] - triple_b[j]
    iq, iu = np.nonzero((diff + X_H == 0).all(axis=(2, 3)))
    sectors = []
    for q, u in zip(ordered[iq], ordered[iu]):
        for d in ordered[((q[:, None] - ordered[:, None, :] - X_H) == 0).all(axis=(1, 2))]:
            sectors.append((q, u, d))
    return sectors


def brute_force_classes(n_max):
    """Canonical (X_q, sorted L, sorted E, sorted N) of every anomaly-free ordered solution with |X| <= n_max."""
    values = np.arange(-n_max, n_max + 1)
    ordered = np.array(list(itertools.product(values, repeat=3)))
    zero = np.zeros((1, 3), dtype=np.int64)
    by_n = {}
    for nu in ordered:
        by_n.setdefault((int((nu**3).sum()), int(nu.sum())), []).append(nu)
    found = set()
    for q, u, d in quark_sectors(ordered):
        qs, us, ds = (np.broadcast_to(x, (1, 3)) for x in (q, u, d))
        # split the six conditions: those without E and N fix L, those without N fix (L, E), the rest N
        su3, su2 = anomalies(qs, us, ds, ordered, zero, zero)[:2]
        lep_l = ordered[(su2 == 0) & (su3 == 0)]
        il, ie = np.meshgrid(np.arange(len(lep_l)), np.arange(len(ordered)), indexing="ij")
        pairs_l, pairs_e = lep_l[il.ravel()], ordered[ie.ravel()]
        partial = anomalies(qs, us, ds, pairs_l, pairs_e, np.zeros_like(pairs_l))
        keep = (partial[2] == 0) & (partial[3] == 0)
        pairs_l, pairs_e, partial = pairs_l[keep], pairs_e[keep], partial[:, keep]
        for lep, e, cubic, grav in zip(pairs_l, pairs_e, partial[4], partial[5]):
            for nu in by_n.get((int(cubic), int(grav)), []):
                assert not anomalies(q, u, d, lep, e, nu).any()
                assert len({*q, *u, *d}) == 1  # the Yukawas made the quark charges universal
                x_q = int(q[0])
                if math.gcd(*(int(abs(x)) for x in (x_q, *lep, *e, *nu))) != 1:
                    continue
                plus = (x_q, *sorted(lep), *sorted(e), *sorted(nu))
                minus = (-x_q, *sorted(-lep), *sorted(-e), *sorted(-nu))
                found.add(tuple(int(x) for x in max(plus, minus)))
    return found


@pytest.mark.parametrize("n_max", [3, 5])
def test_catalog_matches_brute_force(n_max):
    expected = brute_force_classes(n_max)
    got = {tuple(int(x) for x in row) for row in charges.enumerate_sets(n_max)}
    assert got == expected
    assert any(row[0] != 0 for row in expected)  # the X_q != 0 sector is exercised


def test_field_content_anomalies_match_doc_conditions():
    """tests/reference/charges_anomalies.py (from hypercharges and multiplicities) against the integer form of
    docs/physics/zprime.md §1 used by the brute force above; test_zprime.py relies on the former."""
    rng = np.random.default_rng(7)
    fields = rng.integers(-5, 6, size=(6, 50, 3))
    np.testing.assert_allclose(field_anomalies.anomaly_sums(*fields), anomalies(*fields), rtol=0, atol=1e-9)
    # X = Y (hypercharge itself) and X = B - L with three nu_R are anomaly free; X = B alone is not
    y = [np.full(3, v) for v in (1 / 6, 2 / 3, -1 / 3, -1 / 2, -1.0, 0.0)]
    b_minus_l = [np.full(3, v) for v in (1 / 3, 1 / 3, 1 / 3, -1.0, -1.0, -1.0)]
    np.testing.assert_allclose(field_anomalies.anomaly_sums(*y), 0.0, atol=1e-12)
    np.testing.assert_allclose(field_anomalies.anomaly_sums(*b_minus_l), 0.0, atol=1e-12)
    baryon = [np.full(3, v) for v in (1 / 3, 1 / 3, 1 / 3, 0.0, 0.0, 0.0)]
    # B alone (doc normalisation): SU(2)^2 X = sum 3 X_Q = 3, Y^2 X = sum (X_Q - 8 X_U - 2 X_D) = -9
    np.testing.assert_allclose(field_anomalies.anomaly_sums(*baryon), [0, 3, -9, 0, 0, 0], atol=1e-12)


def brute_force_flags(row):
    """Muon assignments and (13), (14), third-family conditions by trying every family ordering."""
    x_q, lep, e, nu = row[0], row[1:4], row[4:7], row[7:10]
    vector = sorted(lep) == sorted(e)
    assignments, third = set(), set()
    for pl in itertools.permutations(lep):
        for pe in itertools.permutations(e):
            if vector and pl != pe:
                continue  # vector category: families paired by their Yukawas
            if pl[1] in (pl[0], pl[2]) or pe[1] in (pe[0], pe[2]):
                continue
            assignments.add((pl[1], pe[1]))
            q12, q3 = 0, 3 * x_q
            if all(x != pl[1] + q3 - q12 for x in pl) and pl[1] not in (-3 * q3, -2 * q3 - q12, -q3 - 2 * q12):
                third.add(pl[1])
    # (14): the leptoquark couples to the muon doublet (first entry) or to the singlet (second entry)
    doublet = lambda bound: any(x != bound for x, _ in assignments)  # noqa: E731
    singlet = lambda bound: any(x != bound for _, x in assignments)  # noqa: E731
    return {
        "assignments": assignments,
        "pass_13": bool(assignments),
        "pass_14a": doublet(3 * x_q) or singlet(3 * x_q),  # GSSTZ: the chirality the leptoquark couples to
        "pass_14b": doublet(-3 * x_q) or singlet(-3 * x_q),
        "pass_14a_strict": doublet(3 * x_q) and singlet(3 * x_q),  # both chiralities
        "pass_14b_strict": doublet(-3 * x_q) and singlet(-3 * x_q),
        "n_third_family": len(third),
        "third_family": bool(third),
        "class1": vector and sorted(nu) == sorted(lep),
        "class2": vector and -9 * x_q in lep and -9 * x_q in nu,
        "chiral_reflection": not vector and sorted(-6 * x_q - x for x in lep) == sorted(e),
    }


@functools.lru_cache(maxsize=None)
def brute_force_catalog_flags(n_max):
    """(rows, brute-force flags of each row) for every set of the catalog with |X| <= n_max."""
    cols = charges.catalog(n_max).columns
    rows = [tuple(int(cols[name][i]) for name in charges.CATALOG_CHARGE_COLUMNS) for i in range(cols["index"].size)]
    return rows, [brute_force_flags(row) for row in rows]


def test_flags_match_brute_force():
    cat = charges.catalog(10)
    cols = cat.columns
    for i, (row, flags) in enumerate(zip(*brute_force_catalog_flags(10))):
        ref = dict(flags)
        assert set(cat.muon_choices[i]) == ref.pop("assignments")
        for name, value in ref.items():
            assert cols[name][i] == value, (row, name)


def brute_force_counts(rows, flags):
    """The interface counts (docs/physics/zprime.md §1, docs/interface.md) summed from the brute-force flags: every
    count but the totals and the third-family ones is over the sets passing (13)."""
    vector = [sorted(row[1:4]) == sorted(row[4:7]) for row in rows]

    def n(keep):
        return sum(1 for f, v in zip(flags, vector) if f["pass_13"] and keep(f, v))

    def third_sets(keep):  # GSSTZ: charge sets with at least one passing muon choice
        return sum(1 for f, v in zip(flags, vector) if keep(v) and f["n_third_family"] > 0)

    def third_pairs(keep):
        return sum(f["n_third_family"] for f, v in zip(flags, vector) if keep(v))

    return {
        "total": len(rows),
        "hypercharge_included_total": len(rows) + 1,
        "muoquark": n(lambda f, v: True),
        "muoquark_14a": n(lambda f, v: f["pass_14a"]),
        "muoquark_14b": n(lambda f, v: f["pass_14b"]),
        "muoquark_14a_strict": n(lambda f, v: f["pass_14a_strict"]),
        "muoquark_14b_strict": n(lambda f, v: f["pass_14b_strict"]),
        "vector_14a": n(lambda f, v: v and f["pass_14a"]),
        "vector_14b": n(lambda f, v: v and f["pass_14b"]),
        "class1_14a": n(lambda f, v: f["class1"] and f["pass_14a"]),
        "class1_14b": n(lambda f, v: f["class1"] and f["pass_14b"]),
        "class2": n(lambda f, v: f["class2"]),
        "class1_and_class2": n(lambda f, v: f["class1"] and f["class2"]),
        "class3": n(lambda f, v: v and not f["class1"] and not f["class2"]),
        "chiral": n(lambda f, v: not v),
        "chiral_reflection": n(lambda f, v: f["chiral_reflection"]),
        "third_family": third_sets(lambda v: True),
        "third_family_vector": third_sets(lambda v: v),
        "third_family_chiral": third_sets(lambda v: not v),
        "third_family_pairs": third_pairs(lambda v: True),
        "third_family_pairs_vector": third_pairs(lambda v: v),
        "third_family_pairs_chiral": third_pairs(lambda v: not v),
    }


def test_counts_n10():
    cat = charges.catalog(10)
    counts = cat.counts
    assert tuple(counts) == charges.COUNT_KEYS
    # every count summed from the brute-force flags of each set (checked row by row above)
    assert counts == brute_force_counts(*brute_force_catalog_flags(10))
    # published numbers (GSSTZ section 3 via docs/physics/zprime.md §1, docs/validation.md §9.1): 276 sets, 273 of them
    # passing (13). The enumeration has one set fewer than the paper; docs/physics/zprime.md §1's hypothesis for the
    # difference (the pure hypercharge direction, trivial at X_H = 0) is what hypercharge_included_total adds.
    assert counts["hypercharge_included_total"] == 276
    assert counts["total"] == 276 - 1
    assert counts["muoquark"] == 273
    failing = {
        tuple(int(cat.columns[c][i]) for c in charges.CATALOG_CHARGE_COLUMNS) for i in np.flatnonzero(~cat.columns["pass_13"])
    }
    # docs/physics/zprime.md §1: the two sets failing (13) are B - L and the nu_R-only set X_N = {1, -1, 0}
    assert failing == {(1, -3, -3, -3, -3, -3, -3, -3, -3, -3), (0, 0, 0, 0, 0, 0, 0, -1, 0, 1)}
    vector = counts["muoquark"] - counts["chiral"]
    class1 = counts["class1_14b"]  # every vector set passes (14b) at N = 10, so this is all of class 1
    assert counts["vector_14b"] == vector
    assert class1 + counts["class2"] - counts["class1_and_class2"] + counts["class3"] == vector
    # docs/physics/zprime.md §1: the paper's Table 1 lists the reflection-type chiral sets and three more separately
    assert counts["chiral"] - counts["chiral_reflection"] == 3
    assert counts["third_family"] == counts["third_family_vector"] + counts["third_family_chiral"]
    assert counts["third_family_pairs"] == counts["third_family_pairs_vector"] + counts["third_family_pairs_chiral"]
    # the two readings of (14) differ only for chiral sets (vector sets meet both with one assignment)
    assert counts["muoquark_14a"] - counts["muoquark_14a_strict"] <= counts["chiral"]
    assert counts["muoquark_14a"] >= counts["muoquark_14a_strict"] and counts["muoquark_14b"] >= counts["muoquark_14b_strict"]


def test_catalog_order_and_benchmarks():
    cols = charges.catalog(10).columns
    rows = np.stack([cols[c] for c in charges.CATALOG_CHARGE_COLUMNS], axis=1)
    assert all(tuple(a) < tuple(b) for a, b in zip(rows[:-1], rows[1:]))
    index = {tuple(int(x) for x in r): i for i, r in enumerate(rows)}
    lmu_ltau = index[(0, -1, 0, 1, -1, 0, 1, -1, 0, 1)]
    assert cols["class1"][lmu_ltau] and cols["class2"][lmu_ltau]
    b_3lmu = index[(1, -9, 0, 0, -9, 0, 0, -9, 0, 0)]  # B - 3 L_mu in integer normalisation
    assert cols["muon_L"][b_3lmu] == -9 and cols["gnu_mu"][b_3lmu] == -9
    assert cols["pass_14a"][b_3lmu] and cols["pass_14b"][b_3lmu]
    # B3 - 3 L_mu: X_S3 = -X_q3 - X_L2 = 2 X_q3, so S3 has the Q3 Q3 diquark coupling
    assert cols["n_third_family"][b_3lmu] == 0


def test_cli_json(capsys):
    assert cli.main(["charges", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"counts": charges.catalog(10).counts}


def test_cli_summary(capsys):
    assert cli.main(["charges", "--max-charge", "4"]) == 0
    text = capsys.readouterr().out
    assert f"total {charges.catalog(4).counts['total']}" in text


def test_cli_csv_and_hdf5(tmp_path, capsys):
    import csv

    import h5py

    csv_path, h5_path = tmp_path / "cat.csv", tmp_path / "cat.h5"
    assert cli.main(["charges", "-o", str(csv_path)]) == 0
    assert cli.main(["charges", "--max-charge", "10", "-o", str(h5_path), "--json"]) == 0
    with open(csv_path) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 275 and rows[0]["index"] == "0"
    with h5py.File(h5_path) as handle:
        assert handle.attrs["max_charge"] == 10
        assert json.loads(handle.attrs["counts_json"]) == charges.catalog(10).counts
        assert handle["X_q"].shape == (275,)
        assert np.array_equal(handle["X_L2"][:], charges.catalog(10).columns["X_L2"])


@pytest.mark.parametrize(
    "argv",
    [["--max-charge", "0"], ["--max-charge", "21"], ["--max-charge", "2.5"], ["--max-charge", "ten"], ["-o", "x.txt"]],
)
def test_cli_bad_input(argv, capsys):
    assert cli.main(["charges", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flavorscan: error:") and err.count("\n") == 1
