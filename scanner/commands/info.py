"""``flavorscan info DIR [--json]``: counts, viable fractions per constraint, provenance of a run."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "info",
        help="counts, viable fractions per constraint and provenance of a run",
        description="Summarise a run directory (or a file written by 'flavorscan merge').",
    )
    parser.add_argument("directory", metavar="DIR", help="run directory (or merged HDF5 file)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    import json

    from flavorscan.scanner import store
    from flavorscan.scanner.families import format_families, run_families

    summary = store.info(args.directory)
    found = run_families(args.directory, summary)
    if found is not None:
        summary["families"] = found
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(store.format_info(summary))
        if found is not None:
            print("\n".join(format_families(found)))
    return 0
