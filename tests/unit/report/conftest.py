"""Fixtures for the report's tests: the stored results, and headless Chromium.

Browser tests use `chromium`: it skips (with the reason) where Chromium is not installed, but fails
instead when the environment variable CI is set, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os

import pytest
from report_test_helpers import RESULTS

from tapgate.model import GateResult
from tapgate.report.load import load_result
from tapgate.report.pdf import find_chromium


@pytest.fixture(autouse=True)
def own_cache_dir(tmp_path_factory, monkeypatch):
    """A PDF cache of this test session only: a PDF printed by an earlier run never stands in for a print."""
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "tapgate-cache"))


@pytest.fixture(scope="session")
def failing() -> GateResult:
    return load_result(RESULTS / "failing.json")


@pytest.fixture(scope="session")
def tapstack() -> GateResult:
    return load_result(RESULTS / "tapstack.json")


@pytest.fixture(scope="session")
def chromium() -> str:
    found = find_chromium()
    if not found:
        reason = "headless Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {reason}: browser tests must run in CI")
        pytest.skip(reason)
    return found
