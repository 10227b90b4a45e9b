"""Fixtures for the gate's tests: run `tapgate check` in-process with an isolated result cache.

Tests that run the real engines (`engines` marker) get cfn-guard and the Control Tower rules from
$CFN_GUARD_PATH / PATH, else from the pinned wheel, provisioned once per session into the user cache (not
into each test's isolated cache, which would download the wheel again for every test).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tapgate.cli import main
from tapgate.engines import provision

LOCAL_CT_RULES = Path("/work/tools/control-tower-rules")


@pytest.fixture(scope="session")
def real_guard() -> str:
    return os.environ.get("CFN_GUARD_PATH") or shutil.which("cfn-guard") or provision.find_guard(None)


@pytest.fixture(scope="session")
def real_control_tower_rules() -> str:
    given = os.environ.get("TAPGATE_CONTROL_TOWER_RULES")
    if given:
        return given
    return str(LOCAL_CT_RULES if LOCAL_CT_RULES.is_dir() else provision.control_tower_rules())


@pytest.fixture(autouse=True)
def isolated_cache(request, tmp_path_factory, monkeypatch):
    if request.node.get_closest_marker("engines"):  # resolved before the user cache is swapped out
        monkeypatch.setenv("CFN_GUARD_PATH", request.getfixturevalue("real_guard"))
        monkeypatch.setenv("TAPGATE_CONTROL_TOWER_RULES", request.getfixturevalue("real_control_tower_rules"))
    cache = tmp_path_factory.mktemp("tapgate-cache")
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def gate(capsys):
    """gate(*args) -> (exit code, stdout, stderr) of `tapgate check *args`."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["check", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run
