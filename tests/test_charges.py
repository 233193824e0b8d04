"""The anomaly-free charge catalog (kernels.charges) and the ``flavorscan charges`` command.

The catalog solves the *reduced* system of zprime.md §1. The brute force below instead scans ordered
per-family charges, imposes the quark Yukawas with X_H = 0 and evaluates all six *unreduced* anomaly sums,
then applies the equivalence (sign, family permutations within each species) itself.
"""

import itertools
import json
import math

import numpy as np
import pytest

from kernels import charges
from scanner import cli

X_H = 0


def anomalies(q, u, d, lep, e, n):
    """The six anomaly sums of zprime.md §1 for per-family charge vectors (last axis = family)."""
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
    ok = lambda bound: any(x != bound for x, _ in assignments) and any(x != bound for _, x in assignments)  # noqa: E731
    return {
        "assignments": assignments,
        "pass_13": bool(assignments),
        "pass_14a": ok(3 * x_q),
        "pass_14b": ok(-3 * x_q),
        "n_third_family": len(third),
        "class1": vector and sorted(nu) == sorted(lep),
        "class2": vector and -9 * x_q in lep and -9 * x_q in nu,
        "chiral_reflection": not vector and sorted(-6 * x_q - x for x in lep) == sorted(e),
    }


def test_flags_match_brute_force():
    cat = charges.catalog(10)
    cols = cat.columns
    for i in range(cols["index"].size):
        row = tuple(int(cols[name][i]) for name in charges.CHARGE_COLUMNS)
        ref = brute_force_flags(row)
        assert set(cat.muon_choices[i]) == ref.pop("assignments")
        for name, value in ref.items():
            assert cols[name][i] == value, (row, name)


def test_counts_n10():
    cat = charges.catalog(10)
    counts = cat.counts
    assert tuple(counts) == charges.COUNT_KEYS
    assert counts["total"] == 275  # the paper quotes 276: see zprime.md §1 and hypercharge_included_total
    assert counts["hypercharge_included_total"] == 276
    assert counts["muoquark"] == 273
    failing = {
        tuple(int(cat.columns[c][i]) for c in charges.CHARGE_COLUMNS) for i in np.flatnonzero(~cat.columns["pass_13"])
    }
    assert failing == {(1, -3, -3, -3, -3, -3, -3, -3, -3, -3), (0, 0, 0, 0, 0, 0, 0, -1, 0, 1)}  # B-L, nu_R only
    vector = counts["muoquark"] - counts["chiral"]
    class1 = counts["class1_14b"]  # every vector set passes (14b) at N = 10, so this is all of class 1
    assert counts["vector_14b"] == vector
    assert class1 + counts["class2"] - counts["class1_and_class2"] + counts["class3"] == vector
    assert counts["chiral"] - counts["chiral_reflection"] == 3  # the three sets the paper lists apart
    assert counts["third_family"] == counts["third_family_vector"] + counts["third_family_chiral"]
    # regression pin of the definitions in kernels/charges.py (flags checked by brute force above)
    assert counts == {
        "total": 275, "hypercharge_included_total": 276, "muoquark": 273, "muoquark_14a": 271,
        "muoquark_14b": 273, "vector_14a": 251, "vector_14b": 252, "class1_14a": 76, "class1_14b": 77,
        "class2": 185, "class1_and_class2": 12, "class3": 2, "chiral": 21, "chiral_reflection": 18,
        "third_family": 315, "third_family_vector": 288, "third_family_chiral": 27,
    }  # fmt: skip


def test_catalog_order_and_benchmarks():
    cols = charges.catalog(10).columns
    rows = np.stack([cols[c] for c in charges.CHARGE_COLUMNS], axis=1)
    assert all(tuple(a) < tuple(b) for a, b in zip(rows[:-1], rows[1:]))
    index = {tuple(int(x) for x in r): i for i, r in enumerate(rows)}
    lmu_ltau = index[(0, -1, 0, 1, -1, 0, 1, -1, 0, 1)]
    assert cols["class1"][lmu_ltau] and cols["class2"][lmu_ltau]
    b_3lmu = index[(1, -9, 0, 0, -9, 0, 0, -9, 0, 0)]  # B - 3 L_mu in integer normalisation
    assert cols["muon_L"][b_3lmu] == -9 and cols["gnu_mu"][b_3lmu] == -9
    assert cols["pass_14a"][b_3lmu] and cols["pass_14b"][b_3lmu]
    # B3 - 3 L_mu: X_S3 = -X_q3 - X_L2 = 2 X_q3, so S3 has the Q3 Q3 diquark coupling
    assert cols["n_third_family"][b_3lmu] == 0


def test_catalog_is_fast():
    import time

    charges.catalog.cache_clear()
    start = time.perf_counter()
    charges.catalog(10)
    charges.catalog(20)
    assert time.perf_counter() - start < 5.0


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
