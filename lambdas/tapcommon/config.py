"""Environment variables the handlers read (each one is set on the function in TapStack.json)."""

from __future__ import annotations

import os

from tapcommon.errors import PermanentError


def setting(name: str) -> str:
    """The value of a required environment variable; a missing one is a deployment error, not transient."""
    value = os.environ.get(name)
    if not value:
        raise PermanentError("MISSING_SETTING", f"environment variable {name} is not set")
    return value


def database_name() -> str:
    return os.environ.get("DB_NAME") or "tapstack"


def environment() -> str:
    """The deployment's environment name (dev/test/prod), added to every log line."""
    return os.environ.get("ENVIRONMENT") or "unknown"
