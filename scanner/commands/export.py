"""``flavorscan export DIR --format parquet|csv|getdist``: a run's rows as Parquet, CSV or getdist chains."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a run's rows as Parquet, CSV or getdist chain files",
        description=(
            "Write the rows of a run directory (or merged HDF5 file), sorted by point_id, as Parquet (needs "
            "pyarrow), CSV (floats in full precision) or getdist chain files ROOT.txt and ROOT.paramnames "
            "(the model's parameters, then the --columns as derived parameters; every row has weight 1 and "
            "-log-likelihood chi2_total/2). See docs/exports.md."
        ),
    )
    parser.add_argument("directory", metavar="DIR", help="run directory (or merged HDF5 file)")
    parser.add_argument("--format", required=True, choices=("parquet", "csv", "getdist"), help="output format")
    parser.add_argument(
        "-o", "--output", metavar="PATH",
        help="output file (getdist: the chain root, without extension); default: beside DIR, named after it "
             "(runs/scan1 -> runs/scan1.parquet, runs/scan1.csv, or the root runs/scan1)",
    )
    parser.add_argument(
        "--columns", metavar="A,B,...",
        help="columns to write (default: all; getdist: observables written after the model's parameters)",
    )
    parser.add_argument("--viable-only", action="store_true", help="only the rows that pass every constraint")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.store import export

    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns is not None else None
    if columns == []:  # --columns "" or ",": not "all columns", and not a file without columns
        raise UserError(f"--columns: no column names in {args.columns!r} (leave the option out for all columns)")
    # -o "" (an unset shell variable) is "." and refused as a directory, not silently the default output
    output = args.output if args.output is not None else export.default_output(args.directory, args.format)
    if args.format == "getdist":
        result = _getdist(args, columns, output)
        print(f"wrote {result['output']}.txt and .paramnames: {result['rows']} rows, {result['columns']} columns")
        if result["dropped"]:
            print(f"left out {result['dropped']} rows with non-finite values")
        if result["constant"]:
            print(f"left out columns with one value in every row: {', '.join(result['constant'])}")
    else:
        result = export.export_table(args.directory, output, args.format, columns, args.viable_only, args.force)
        print(f"wrote {result['output']}: {result['rows']} rows, {result['columns']} columns")
    return 0


def _getdist(args, observables: list[str] | None, root) -> dict:
    """getdist files of the run's model parameters (from its ModelSpec) and ``observables`` (derived)."""
    import json

    from flavorscan.scanner import models
    from flavorscan.scanner.errors import UserError
    from flavorscan.scanner.plots.labels import label  # the plots' LaTeX of each column name
    from flavorscan.scanner.store import export, reader

    export.check_free(export.output_files(root, "getdist"), args.force)
    cat = reader.catalog(args.directory)
    schema = cat.schema()
    card = json.loads(reader.run_summary(cat)["card_json"] or "{}")
    if not card.get("model"):
        raise UserError(f"{args.directory}: the run records no model, so its parameters are unknown to getdist")
    spec = models.get(card["model"])
    records = {o.name: o for o in tuple(spec.stored_parameters(card)) + tuple(spec.observables)}
    # Parameter columns the spec names but the rows lack (a card that keeps fewer columns) are skipped.
    params = [o.name for o in spec.stored_parameters(card) if o.name in schema]
    derived = [c for c in observables or () if c not in params]
    if not params + derived:
        raise UserError(f"{args.directory}: no parameter columns of model {card['model']!r}; name some with --columns")
    # -log-likelihood is chi2_total/2; chi2_total is read for it even when it is not a written column.
    extra = ["chi2_total"] if "chi2_total" in schema and "chi2_total" not in params + derived else []
    data = export.load_rows(args.directory, params + derived + extra, args.viable_only)
    chi2 = data.pop("chi2_total") if extra else data.get("chi2_total")
    labels = {n: export.getdist_label(_with_unit(label(n), records.get(n))) for n in data}
    with export.writing(root):
        dropped, constant = export.write_getdist(root, data, labels, set(derived),
                                                 None if chi2 is None else chi2 / 2, args.force)
    rows = len(next(iter(data.values()))) if data else 0
    return {"output": str(root), "rows": rows - dropped, "columns": len(data) - len(constant),
            "dropped": dropped, "constant": constant}


def _with_unit(text: str, record) -> str:
    """``text`` with the record's unit appended as ``[unit]`` (plain units only: none for dimensionless)."""
    unit = getattr(record, "unit", "") or ""
    return f"{text} [{unit}]" if unit not in ("", "1") else text
