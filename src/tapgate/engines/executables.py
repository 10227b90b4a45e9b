"""Where the Python engines live: the console script beside our interpreter, else PATH.

Running the interpreter's own copy keeps the engine and the version we read from package metadata the same,
so reading a version never costs a process start (issue 8).
"""

from __future__ import annotations

import shutil
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

DISTRIBUTIONS = {"cfn-lint": "cfn-lint", "checkov": "checkov"}


def python_tool(script: str) -> list[str]:
    beside = Path(sys.executable).parent / script
    if beside.exists():
        return [str(beside)]
    found = shutil.which(script)
    return [found] if found else [script]  # a missing engine fails in run_process with "not found"


@cache
def distribution_version(name: str) -> str:
    try:
        return metadata.version(DISTRIBUTIONS.get(name, name))
    except metadata.PackageNotFoundError:
        return ""
