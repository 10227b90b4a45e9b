"""The result cache: a re-run on byte-identical inputs reuses the last result (issue 8: ≤ 0.5 s).

The key covers every template's bytes, everything under policies/ and lambdas/, tapgate's own source, the
engine versions, the options that change a verdict, the engine commands, and today's UTC date (a waiver can
expire overnight). Only clean runs are stored: an engine failure is never cached. This module imports no
pydantic, no engine and no parser, so a hit costs hashing and one file read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from tapgate.engines.provision import cache_dir

KEEP_ENTRIES = 32


def results_dir() -> Path:
    return cache_dir() / "results"


def cache_key(templates: list[str], trees: list[Path], facts: dict) -> str:
    digest = hashlib.sha256()
    for path in templates:
        digest.update(
            b"T" + str(Path(path)).encode() + b"\0" + hashlib.sha256(Path(path).read_bytes()).digest()
        )
    for tree in trees:
        digest.update(b"D" + str(tree).encode() + b"\0" + _tree_digest(tree))
    facts = {**facts, "utc_date": dt.datetime.now(dt.UTC).date().isoformat()}
    digest.update(json.dumps(facts, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _tree_digest(root: Path) -> bytes:
    digest = hashlib.sha256()
    if root.is_file():
        digest.update(root.read_bytes())
        return digest.digest()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in ("__pycache__", ".tapgate-cache") and d[0] != "."
        )
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(dirpath) / name
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(_file_digest(path))
    return digest.digest()


def _file_digest(path: Path) -> bytes:
    """The file's hash; a link that points nowhere (a copied tree) is keyed by where it points."""
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except FileNotFoundError:
        if not path.is_symlink():
            raise
        return hashlib.sha256(b"L" + os.readlink(path).encode()).digest()


def load(key: str) -> tuple[int, str] | None:
    """(exit code, GateResult JSON) of the stored run, if any."""
    try:
        stored = json.loads((results_dir() / f"{key}.json").read_text(encoding="utf-8"))
        return int(stored["exit_code"]), stored["result"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, exit_code: int, result_json: str) -> None:
    _write(results_dir() / f"{key}.json", json.dumps({"exit_code": exit_code, "result": result_json}))
    _prune()


def rendered(key: str, fmt: str) -> bytes | None:
    try:
        return (results_dir() / f"{key}.{fmt}.out").read_bytes()
    except OSError:
        return None


def store_rendered(key: str, fmt: str, content: bytes) -> None:
    _write(results_dir() / f"{key}.{fmt}.out", content)


def _write(path: Path, content: str | bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(content.encode() if isinstance(content, str) else content)
        tmp.replace(path)
    except OSError:
        pass  # no cache is slower, never wrong


def _prune() -> None:
    try:
        entries = sorted(results_dir().glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_ENTRIES:]:
            for path in results_dir().glob(old.stem + ".*"):
                path.unlink(missing_ok=True)
    except OSError:
        pass
