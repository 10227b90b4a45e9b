"""The two error classes the state machine tells apart by name (docs/contract.md).

Step Functions matches `errorType`, which is the exception's class name, so there are exactly these two
classes and no subclasses: the `code` says what went wrong, for logs and the failure record.
"""

from __future__ import annotations


class TransientError(Exception):
    """Worth retrying: throttling, a resuming database, a network hiccup. Every Task's Retry matches it."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class PermanentError(Exception):
    """Retrying cannot help: bad input, unknown jurisdiction, missing rows, an oversized report."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
