"""Console entry point ``flavorscan``: dispatches to flavorscan.scanner.commands.<name>."""

from __future__ import annotations

import argparse
import importlib
import sys

from flavorscan.scanner.errors import UserError

COMMANDS = ("point", "run", "info", "merge", "bench", "refine", "fit", "plot", "report", "charges", "constraints",
            "observables", "wcxf", "discover", "card")


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr with exit status 2 (argparse prints usage + message)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="flavorscan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    for name in COMMANDS:
        importlib.import_module(f"flavorscan.scanner.commands.{name}").register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"flavorscan: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    except OSError as exc:  # the file system refused (read-only or missing directory, disk full, ...)
        where = f": {exc.filename}" if exc.filename else ""
        print(f"flavorscan: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        end_progress_line = "\n" if sys.stderr.isatty() else ""
        print(f"{end_progress_line}flavorscan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
