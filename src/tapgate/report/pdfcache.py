"""Printed PDFs kept by the hash of the HTML they came from: an unchanged report is not printed again.

A cached gate run (or `tapgate report` on the same stored result) renders the same HTML byte for byte; its PDF
is then read back instead of starting Chromium. The key also covers the renderer (its path, size and mtime: an
upgraded Chromium misses) and the print settings. Only the newest `KEEP` PDFs are kept. Where the cache cannot
be read or written, every PDF is printed.

A PDF can also be filed under a label (a cached gate run's result key): `labelled(label)` tells, before any
HTML is rendered, that the report's PDF was printed, so a cached run starts no browser it would not use.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

KEEP = 16


def pdf_cache_dir() -> Path:
    from tapgate.engines.provision import cache_dir

    return cache_dir() / "pdf"


def pdf_key(html: str, chromium: str, settings: dict) -> str:
    try:
        stat = os.stat(os.path.realpath(chromium))
        renderer = [os.path.realpath(chromium), stat.st_size, stat.st_mtime_ns]
    except OSError:
        renderer = [chromium]
    digest = hashlib.sha256(json.dumps([renderer, settings], sort_keys=True).encode())
    digest.update(html.encode("utf-8"))
    return digest.hexdigest()


def load_pdf(key: str) -> bytes | None:
    path = pdf_cache_dir() / f"{key}.pdf"
    try:
        content = path.read_bytes()
        os.utime(path)  # recently used: pruned last
    except OSError:
        return None
    return content if content.startswith(b"%PDF-") else None


def store_pdf(key: str, content: bytes) -> None:
    directory = pdf_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f"{key}.{os.getpid()}.tmp"
        partial.write_bytes(content)
        partial.replace(directory / f"{key}.pdf")  # atomic: a concurrent reader sees all of it or nothing
        _prune(directory)
    except OSError:
        return


def label(name: str, key: str) -> None:
    """File the PDF of `key` under the label `name` (a hex digest, or anything safe in a file name)."""
    directory = pdf_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f"{name}.{os.getpid()}.tmp"
        partial.write_text(key, encoding="ascii")
        partial.replace(directory / f"{name}.label")
    except OSError:
        return


def labelled(name: str) -> bool:
    """Whether a PDF filed under `name` is still in the cache."""
    directory = pdf_cache_dir()
    try:
        key = (directory / f"{name}.label").read_text(encoding="ascii").strip()
    except OSError:
        return False
    return bool(key) and (directory / f"{key}.pdf").is_file()


def _prune(directory: Path) -> None:
    for pattern in ("*.pdf", "*.label"):  # a label whose PDF was pruned only says "not printed"
        kept = sorted(directory.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
