"""Where the Python engines live: the console script beside our interpreter, else PATH.

Running the interpreter's own copy keeps the engine and the version we read from package metadata the same,
so reading a version never costs a process start (issue 8).
"""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
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
    """The installed version, from the `<name>-<version>.dist-info` folder name on sys.path: a cache hit
    needs it, and importing importlib.metadata (email, zipfile ...) cost a third of a cached run."""
    wheel_name = DISTRIBUTIONS.get(name, name).replace("-", "_").lower() + "-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info") and folder.lower().startswith(wheel_name):
                return folder[len(wheel_name) : -len(".dist-info")]
    return _metadata_version(DISTRIBUTIONS.get(name, name))


def _metadata_version(distribution: str) -> str:
    """Installs without a wheel-style dist-info folder (eggs, odd layouts): ask importlib.metadata."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""
