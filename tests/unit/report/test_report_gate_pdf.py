"""`tapgate check --report-dir` with the PDF's Chromium prestarted beside the engines, in a real process: the
PDF is written, and whether the run ends normally or by Ctrl-C (SIGINT) during the engines, no browser process
and no temporary profile is left behind; a cached run prints its own PDF (which says so) once, and a
browser is started for it only that once. The engines are the fake cfn-guard of tests/fixtures/engines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from report_test_helpers import live_processes

pytestmark = pytest.mark.browser
ENGINES = Path(__file__).resolve().parents[2] / "fixtures" / "engines"
FAKE = ENGINES / "fake" / "fake_engine.py"


def _gate(tmp_path, mode: str, report_dir: Path, cached: bool = False, **env) -> subprocess.Popen:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "TAPGATE_CACHE_DIR": str(tmp_path / "cache"), **env}
    argv = [sys.executable, "-m", "tapgate", "check", str(ENGINES / "templates" / "bucket_fail.json")]
    argv += [
        "--policies",
        str(ENGINES / "policies"),
        "--engines=cfn-guard",
        *([] if cached else ["--no-cache"]),
    ]
    argv += ["--engine-command", f"cfn-guard={sys.executable} {FAKE} {mode}", "--report-dir", str(report_dir)]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _nothing_left(tmp_path) -> None:
    deadline = time.monotonic() + 5  # killed at once; orphaned renderers may take a moment to be reaped
    while live_processes(cmdline_contains=f"--user-data-dir={tmp_path / 'tmp'}"):
        assert time.monotonic() < deadline, "a browser process of the run is still alive"
        time.sleep(0.05)
    assert list((tmp_path / "tmp").iterdir()) == [], "temporary browser profile left behind"


def test_report_dir_gets_its_pdf_and_the_browser_goes(chromium, tmp_path):
    out = tmp_path / "reports"
    gate = _gate(tmp_path, "clean-cfn-guard", out)
    _, stderr = gate.communicate(timeout=120)
    assert gate.returncode in (0, 1), stderr
    assert "pdf report not written" not in stderr
    assert (out / "gate.pdf").read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(out / "gate.pdf"), "-"], capture_output=True, text=True).stdout
    assert "1. Provenance" in text and "bucket_fail.json" in text
    _nothing_left(tmp_path)


def test_ctrl_c_during_the_engines_kills_the_prestarted_browser(chromium, tmp_path):
    gate = _gate(tmp_path, "hang", tmp_path / "reports")
    deadline = time.monotonic() + 30
    while not live_processes(cmdline_contains=f"--user-data-dir={tmp_path / 'tmp'}"):
        assert time.monotonic() < deadline and gate.poll() is None, "the browser never started"
        time.sleep(0.05)
    time.sleep(3)  # well into the engines: an earlier SIGINT can race the gate's engine start (reported)
    gate.send_signal(signal.SIGINT)
    try:
        gate.communicate(timeout=60)
    finally:
        gate.kill()
    assert gate.returncode != 0
    assert not (tmp_path / "reports" / "gate.pdf").exists()
    _nothing_left(tmp_path)


def test_a_cached_run_prints_its_own_pdf_once_and_then_starts_no_browser(chromium, tmp_path):
    starts = tmp_path / "browser-starts.log"
    counting = tmp_path / "counting-chromium"  # the real browser, each start noted
    counting.write_text(f'#!/bin/sh\necho start >> "{starts}"\nexec "{chromium}" "$@"\n')
    counting.chmod(0o755)

    def run(name: str, cached: bool) -> bytes:
        gate = _gate(tmp_path, "clean-cfn-guard", tmp_path / name, cached, CHROMIUM_PATH=str(counting))
        _, stderr = gate.communicate(timeout=120)
        assert gate.returncode in (0, 1) and "pdf report not written" not in stderr, stderr
        return (tmp_path / name / "gate.pdf").read_bytes()

    def text(pdf: bytes) -> str:  # words only: where lines wrap depends on the length of the cache key
        done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        return " ".join(done.stdout.decode().split())

    def browser_starts() -> int:
        return len(starts.read_text().splitlines()) if starts.exists() else 0

    fresh = run("fresh", cached=False)
    assert browser_starts() == 1 and "Cached" not in text(fresh)
    first_hit = run("hit", cached=True)
    assert browser_starts() == 2 and "reused the result of an identical earlier run" in text(first_hit)
    again = run("hit-again", cached=True)
    assert browser_starts() == 2 and again == first_hit
    _nothing_left(tmp_path)
