# PYTHON_ARGCOMPLETE_OK
"""Console entry point ``flavorscan``: dispatches to flavorscan.scanner.commands.<name>.

Building the parser imports only the command modules (argparse definitions); each imports JAX, h5py or
matplotlib inside its ``run``, so ``--help``, ``--version``, shell completion and argument errors never pay
for them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from flavorscan.scanner.errors import UserError
from flavorscan.version import __version__

COMMANDS = ("point", "run", "discover", "refine", "fit", "info", "merge", "card", "export", "plot", "report",
            "constraints", "observables", "charges", "wcxf", "bench")

DESCRIPTION = """\
flavorscan: vectorised, JIT-compiled JAX scans of the leptoquark and light Z' models behind the flavour
anomalies. Evaluate one point of a card, scan millions of random points into HDF5, refine or discover viable
points, and summarise, plot or export the results."""

EPILOG = """\
-q/-v may also follow the command (flavorscan run -q ...). `flavorscan COMMAND --help` lists a command's
options. Shell completion (pip install argcomplete): eval "$(register-python-argcomplete flavorscan)"."""


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr with exit status 2 (argparse prints usage + message)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_output_options(parser, default) -> None:
    """-q/-v of the top-level parser (default False) and of every command (default SUPPRESS, so that an
    option given before the command is not reset by the command's parser)."""
    parser.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="no progress or notes on stderr, errors only (results are still printed)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default,
                        help="also JAX/device information and per-step timings on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="flavorscan", description=DESCRIPTION, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"flavorscan {__version__}")
    _add_output_options(parser, False)
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", parser_class=_OneLineParser)
    for name in COMMANDS:
        importlib.import_module(f"flavorscan.scanner.commands.{name}").register(sub)
    for command in sub.choices.values():
        _add_output_options(command, argparse.SUPPRESS)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        import argcomplete  # the optional "completion" extra
    except ImportError:
        pass
    else:
        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    if args.command is None:  # bare `flavorscan`: the command list, as a usage error (status 2)
        parser.print_help(sys.stderr)
        return 2
    if args.quiet and args.verbose:  # contradictory (they may sit in different parsers, so no argparse group)
        parser.error("-q/--quiet and -v/--verbose cannot be used together")
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
    except KeyboardInterrupt:  # progress bars are closed on the way out (finally blocks), so a line of its own
        print("flavorscan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
