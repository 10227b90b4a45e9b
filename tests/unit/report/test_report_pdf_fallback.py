"""PDF without a browser: no renderer is `PdfUnavailable` (skipped with a warning by callers), a renderer
that fails or writes nothing is `PdfError`; both are one line, never a traceback."""

from __future__ import annotations

import pytest

from tapgate.report import render
from tapgate.report.pdf import PdfError, PdfUnavailable, find_chromium


def _fake(tmp_path, body: str):
    script = tmp_path / "fake-chromium"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_no_renderer_is_unavailable(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "absent"))
    assert find_chromium() is None
    with pytest.raises(PdfUnavailable, match="no headless Chromium found"):
        render(failing, "pdf")


def test_renderer_that_crashes_is_an_error(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, "echo 'boom: no display' >&2; exit 1")))
    with pytest.raises(PdfError, match="Chromium exited 1: boom: no display"):
        render(failing, "pdf")


def test_renderer_that_writes_nothing_is_an_error(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, "exit 0")))
    with pytest.raises(PdfError, match="wrote no PDF"):
        render(failing, "pdf")
