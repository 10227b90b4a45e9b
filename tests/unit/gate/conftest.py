"""Fixtures for the gate's tests: run `tapgate check` in-process with an isolated result cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tapgate.cli import main


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("tapgate-cache")
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(cache))
    guard = os.environ.get("CFN_GUARD_PATH") or shutil.which("cfn-guard") or "/work/tools/cfn-guard"
    if Path(guard).exists():
        monkeypatch.setenv("CFN_GUARD_PATH", guard)
    return cache


@pytest.fixture
def gate(capsys):
    """gate(*args) -> (exit code, stdout, stderr) of `tapgate check *args`."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["check", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run
