"""The `tapgate` command line: one parser, a sub-command per capability.

Each capability registers its own sub-command from its package (`register(subparsers)` sets `func`),
so this file stays small and the pieces stay apart.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tapgate import __version__
from tapgate.errors import EXIT_USAGE, TapgateError

# module path -> each exposes register(subparsers) -> None
COMMANDS = (
    "tapgate.gate.command",  # tapgate check
    "tapgate.report.command",  # tapgate report FILE.json
    "tapgate.crosscheck.command",  # tapgate crosscheck
    "tapgate.sim.command",  # tapgate simulate
    "tapgate.guardtest.command",  # tapgate guard-test (the pre-commit hook for guard rule repos)
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="tapgate", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"tapgate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except TapgateError as err:
        print(f"tapgate: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("tapgate: interrupted", file=sys.stderr)
        return 130
