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

# sub-command -> the module whose register(subparsers) -> None adds it
COMMANDS = {
    "check": "tapgate.gate.command",
    "report": "tapgate.report.command",  # tapgate report FILE.json
    "crosscheck": "tapgate.crosscheck.command",
    "simulate": "tapgate.sim.command",
    "guard-test": "tapgate.guardtest.command",  # the pre-commit hook for guard rule repos
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every sub-command, or only `command`'s when that is one of them: `tapgate check`
    runs on every commit, and importing the other pieces' command modules cost it ~0.04 s (issue 8).
    Arguments after a known command name are parsed by that command's sub-parser alone, so the result is
    the same."""
    import importlib

    parser = argparse.ArgumentParser(prog="tapgate", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"tapgate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        if command not in COMMANDS or command == name:
            importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
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
