"""Engine versions for provenance and the cache key, without a process start per run (issue 8).

Python engines: package metadata of the interpreter's own install. A binary (cfn-guard, or an engine given
as a command): asked once with `--version`, remembered by path, mtime and size in the user cache.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tapgate.engines.executables import distribution_version
from tapgate.engines.provision import cache_dir

VERSION_RE = re.compile(r"\d+\.\d+(?:\.\d+)?")


def python_engine_version(name: str, command: list[str] | None) -> str:
    if not command:
        return distribution_version(name)
    return binary_identity(command[0])


def binary_version(path: str) -> str:
    """`3.1.1` for a real binary; remembered per path+mtime+size so a changed binary is asked again."""
    identity = binary_identity(path)
    store = cache_dir() / "versions.json"
    known = _read(store)
    if identity in known:
        return known[identity]
    version = _ask(path)
    if version:
        known[identity] = version
        _write(store, known)
    return version or identity


def binary_identity(path: str) -> str:
    try:
        stat = Path(path).stat()
    except OSError:
        return f"{path}:missing"
    return f"{Path(path).resolve()}:{stat.st_mtime_ns}:{stat.st_size}"


def _ask(path: str) -> str:
    import subprocess  # only when a binary's version is not remembered yet

    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    found = VERSION_RE.search(done.stdout or "")
    return found.group(0) if done.returncode == 0 and found else ""


def _read(store: Path) -> dict[str, str]:
    try:
        return json.loads(store.read_text())
    except (OSError, ValueError):
        return {}


def _write(store: Path, known: dict[str, str]) -> None:
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
        tmp.replace(store)
    except OSError:
        pass  # a read-only cache only costs a --version call next time
