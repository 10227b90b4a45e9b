"""Errors that end a tapgate command with a one-line message and a distinct exit code."""

from __future__ import annotations

# Exit codes of every tapgate command (documented in docs/gate.md).
EXIT_OK = 0  # every control holds / the command did what it was asked
EXIT_FINDINGS = 1  # at least one failing finding that is not waived
EXIT_USAGE = 2  # bad input or usage
EXIT_ENGINE = 3  # an engine could not run: missing, crashed, timed out, unparseable. Never a pass.


class TapgateError(Exception):
    """Base class: `str(err)` is the whole one-line message shown to the user."""

    exit_code = EXIT_USAGE


class UsageError(TapgateError):
    """The command line is wrong."""

    exit_code = EXIT_USAGE


class InputError(TapgateError):
    """An input file is missing, empty or malformed. The message starts with `file:line:col:` where known."""

    exit_code = EXIT_USAGE

    def __init__(
        self, message: str, path: str | None = None, line: int | None = None, col: int | None = None
    ):
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f":{line}"
                if col is not None:
                    where += f":{col}"
            where += ": "
        super().__init__(where + message)
        self.path, self.line, self.col = path, line, col


class EngineError(TapgateError):
    """An engine could not give a trustworthy answer. The gate fails closed with exit 3."""

    exit_code = EXIT_ENGINE

    def __init__(self, engine: str, message: str):
        super().__init__(f"engine {engine}: {message}")
        self.engine = engine
