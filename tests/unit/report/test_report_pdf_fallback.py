"""PDF without a working browser: no renderer is `PdfUnavailable` (skipped with a warning by callers); a
renderer that crashes, writes nothing, answers garbage on its DevTools pipe or hangs is `PdfError`. All are
one line, never a traceback, and no browser process or temporary profile is left behind."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from tapgate.report import pdf, render
from tapgate.report.html import render_html
from tapgate.report.pdf import PdfError, PdfUnavailable, find_chromium


@pytest.fixture(autouse=True)
def own_tmp(tmp_path, monkeypatch):
    """Browser profiles go to a directory of this test's own, to check that none is left behind."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))


def _fake(tmp_path, body: str):
    """A 'chromium' that records its pid, then does `body` (fd 3 is its command pipe, fd 4 its reply pipe)."""
    script = tmp_path / "fake-chromium"
    script.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'pid'}\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def _assert_gone(tmp_path) -> None:
    pid = int((tmp_path / "pid").read_text())
    assert not Path(f"/proc/{pid}").exists(), f"fake chromium {pid} still running"
    assert list((tmp_path / "tmp").iterdir()) == [], "temporary browser profile left behind"


def test_no_renderer_is_unavailable(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "absent"))
    assert find_chromium() is None
    with pytest.raises(PdfUnavailable, match="no headless Chromium found"):
        render(failing, "pdf")


def test_renderer_that_cannot_start_is_unavailable(failing, tmp_path, monkeypatch):
    script = _fake(tmp_path, "exit 0")
    script.chmod(0o644)  # found, but not executable
    monkeypatch.setenv("CHROMIUM_PATH", str(script))
    with pytest.raises(PdfUnavailable, match=r"cannot start .*fake-chromium"):
        render(failing, "pdf")


def test_renderer_that_crashes_is_an_error(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, "echo 'boom: no display' >&2; exit 1")))
    with pytest.raises(PdfError, match="Chromium exited 1: boom: no display"):
        render(failing, "pdf")
    _assert_gone(tmp_path)


def test_renderer_that_writes_nothing_is_an_error(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, "exit 0")))
    with pytest.raises(PdfError, match="wrote no PDF"):
        render(failing, "pdf")


def test_renderer_that_answers_garbage_is_an_error(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, r"printf 'Segmentation fault\0' >&4; sleep 30")))
    with pytest.raises(PdfError, match="not a DevTools message"):
        render(failing, "pdf")
    _assert_gone(tmp_path)


def test_renderer_that_hangs_is_killed(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, "sleep 30 & wait")))
    monkeypatch.setattr(pdf, "TIMEOUT_S", 1.0)
    start = time.monotonic()
    with pytest.raises(PdfError, match="did not finish in 1 s"):
        render(failing, "pdf")
    assert time.monotonic() - start < 10
    _assert_gone(tmp_path)


def test_prestarted_browser_is_killed_when_the_run_is_interrupted(tmp_path, monkeypatch):
    """Ctrl-C (or SIGTERM, which the gate turns into KeyboardInterrupt) while the engines run."""
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, "sleep 30 & wait")))
    with pytest.raises(KeyboardInterrupt), pdf.prestarted_browser():
        printer = pdf._prestarted
        _wait_for(lambda: (tmp_path / "pid").is_file() and printer._browser is not None)
        assert printer._browser.root.is_dir()
        raise KeyboardInterrupt
    assert pdf._prestarted is None
    _assert_gone(tmp_path)


def test_prestarted_browser_is_a_no_op_without_chromium(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "absent"))
    with pdf.prestarted_browser():
        assert pdf._prestarted is None


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_print_in_background_ends_when_the_run_is_interrupted(failing, tmp_path, monkeypatch):
    """The gate prints on a thread while it writes the other formats: Ctrl-C must not leave it waiting."""
    monkeypatch.setenv("CHROMIUM_PATH", str(_fake(tmp_path, "sleep 30 & wait")))
    with pytest.raises(KeyboardInterrupt), pdf.prestarted_browser():
        pending = pdf.BackgroundPdf(render_html(failing))
        _wait_for(lambda: (tmp_path / "pid").is_file())
        raise KeyboardInterrupt
    start = time.monotonic()
    with pytest.raises(PdfError):
        pending.result()
    assert time.monotonic() - start < 10
    _assert_gone(tmp_path)


def test_print_in_background_gives_the_render_error(failing, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "absent"))
    with pytest.raises(PdfUnavailable, match="no headless Chromium found"):
        pdf.BackgroundPdf(render_html(failing)).result()
