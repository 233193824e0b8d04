"""``flavorscan charges``: the anomaly-free U(1)_X charge catalog (kernels.charges), as counts, CSV or HDF5."""

from __future__ import annotations

import json

from flavorscan.scanner.errors import UserError

OUTPUT_SUFFIXES = (".h5", ".hdf5", ".csv")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "charges",
        help="enumerate the anomaly-free quark-universal U(1)_X charge sets",
        description="Enumerate and classify the anomaly-free quark-universal U(1)_X charge sets (GSSTZ 2107.07518).",
    )
    parser.add_argument("--max-charge", default="10", metavar="N", help="largest |charge| (integer 1..20, default 10)")
    parser.add_argument("--json", action="store_true",
                        help='print {"counts": {...}} as JSON (GSSTZ\'s definitions; docs/physics/zprime.md §1.6)')
    parser.add_argument("-o", "--output", metavar="FILE", help="write the catalog: FILE.h5/.hdf5 (HDF5) or FILE.csv")
    parser.set_defaults(handler=run)


def _max_charge(text: str) -> int:
    from flavorscan.kernels.charges import check_max_charge

    try:
        return check_max_charge(int(text))
    except ValueError as exc:
        message = str(exc) if "max charge" in str(exc) else f"max charge must be an integer, got {text!r}"
        raise UserError(f"--max-charge: {message}") from None


def _table(catalog):
    """Column name -> 1-d array, with the muon assignments as one text column."""
    import numpy as np

    columns = dict(catalog.columns)
    columns["muon_choices"] = np.array(
        [";".join(f"{lep}:{e}" for lep, e in choices) for choices in catalog.muon_choices], dtype=object
    )
    return columns


def _write_hdf5(path, catalog) -> None:
    import h5py

    with h5py.File(path, "w") as handle:
        for name, column in _table(catalog).items():
            if column.dtype == object:
                handle.create_dataset(name, data=column.astype(str).astype(object), dtype=h5py.string_dtype())
            else:
                handle.create_dataset(name, data=column)
        handle.attrs["max_charge"] = catalog.max_charge
        handle.attrs["counts_json"] = json.dumps(catalog.counts)
        for key, value in catalog.counts.items():
            handle.attrs[f"count_{key}"] = value


def _write_csv(path, catalog) -> None:
    import csv

    table = _table(catalog)
    names = list(table)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for i in range(len(table["index"])):
            writer.writerow([_cell(table[name][i]) for name in names])


def _cell(value):
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    return value


def _summary(catalog) -> str:
    counts = catalog.counts
    lines = [
        f"Anomaly-free quark-universal U(1)_X charge sets, |X| <= {catalog.max_charge} (SM + 3 nu_R, X_H = 0)",
        f"  total {counts['total']} (the paper's count would be {counts['hypercharge_included_total']} if it also"
        " counted the hypercharge direction: a hypothesis)",
        f"  muoquark (13) {counts['muoquark']}: (14a) {counts['muoquark_14a']}, (14b) {counts['muoquark_14b']}"
        f" (GSSTZ: the chirality the leptoquark couples to; both chiralities: {counts['muoquark_14a_strict']},"
        f" {counts['muoquark_14b_strict']})",
        f"  vector: (14a) {counts['vector_14a']}, (14b) {counts['vector_14b']}; class 1 (14a) {counts['class1_14a']},"
        f" (14b) {counts['class1_14b']}; class 2 {counts['class2']}; class 1 and 2 {counts['class1_and_class2']};"
        f" class 3 {counts['class3']}",
        f"  chiral {counts['chiral']} (reflection type {counts['chiral_reflection']})",
        f"  third-family S3 muoquark sets {counts['third_family']} (vector {counts['third_family_vector']},"
        f" chiral {counts['third_family_chiral']}); (set, muon) pairs {counts['third_family_pairs']}"
        f" (vector {counts['third_family_pairs_vector']}, chiral {counts['third_family_pairs_chiral']})",
    ]
    return "\n".join(lines)


def run(args) -> int:
    from flavorscan.kernels.charges import catalog as build_catalog

    max_charge = _max_charge(args.max_charge)
    writer = None
    if args.output is not None:
        suffix = args.output.lower()
        if suffix.endswith((".h5", ".hdf5")):
            writer = _write_hdf5
        elif suffix.endswith(".csv"):
            writer = _write_csv
        else:
            raise UserError(f"-o {args.output}: output file must end in {', '.join(OUTPUT_SUFFIXES)}")
        from flavorscan.scanner.files import check_output_path

        check_output_path(args.output, "catalog file")
    catalog = build_catalog(max_charge)
    if writer is not None:
        try:
            writer(args.output, catalog)
        except OSError as exc:
            raise UserError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps({"counts": catalog.counts}))
    else:
        print(_summary(catalog))
        if writer is not None:
            print(f"wrote {len(catalog.columns['index'])} sets to {args.output}")
    return 0
