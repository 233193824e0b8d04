"""``flavorscan merge DIR -o FILE [--virtual]``: one HDF5 file from a run's segment files."""

from __future__ import annotations

from flavorscan.scanner.commands import output_path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "merge",
        help="merge a run's segment files into one HDF5 file (or a validated virtual dataset)",
        description=(
            "Write one HDF5 file holding every row of a run, sorted by point_id. With --virtual, write "
            "an HDF5 virtual dataset file that references the segment files instead (rows in segment "
            "order, not sorted; keep the segment files beside it)."
        ),
    )
    parser.add_argument("directory", metavar="DIR", help="run directory")
    parser.add_argument("-o", "--output", metavar="FILE", required=True, type=output_path, help="HDF5 file to write")
    parser.add_argument(
        "--virtual", action="store_true", help="write a virtual dataset referencing the segments"
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    from flavorscan.scanner import store

    result = store.merge(args.directory, args.output, virtual=args.virtual)
    kind = "virtual dataset" if result["virtual"] else "merged file"
    print(f"wrote {kind} {result['output']}: {result['rows']} rows from {result['segments']} segments")
    return 0
