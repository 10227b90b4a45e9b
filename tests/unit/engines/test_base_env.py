"""tapgate.engines.base: a variable tapgate sets for its own process (PYDANTIC_DISABLE_PLUGINS, set by
`tapgate check`) is not passed on to engine processes; one the user set is, as it was, and so is the
rest of the environment."""

from __future__ import annotations

import sys

import pytest

from tapgate.engines import base

PRINT_ENV = [sys.executable, "-c", "import os; print(os.environ.get('TAPGATE_TEST_OWN', '<unset>'))"]


@pytest.fixture(autouse=True)
def _no_own_env(monkeypatch):
    monkeypatch.setattr(base, "_OWN_ENV", {})
    monkeypatch.delenv("TAPGATE_TEST_OWN", raising=False)


def test_own_variable_is_set_here_but_not_in_engines():
    base.set_own_env("TAPGATE_TEST_OWN", "1")
    assert base.os.environ["TAPGATE_TEST_OWN"] == "1"
    assert base.run_process("cfn-guard", PRINT_ENV, {0}, timeout_s=30).stdout.strip() == "<unset>"
    assert "TAPGATE_TEST_OWN" not in base.engine_env({"X": "y"}) and base.engine_env({"X": "y"})["X"] == "y"
    base.os.environ.pop("TAPGATE_TEST_OWN")


def test_the_users_own_setting_is_kept_and_passed_on(monkeypatch):
    monkeypatch.setenv("TAPGATE_TEST_OWN", "users")
    base.set_own_env("TAPGATE_TEST_OWN", "1")
    assert base.os.environ["TAPGATE_TEST_OWN"] == "users"
    assert base.run_process("cfn-guard", PRINT_ENV, {0}, timeout_s=30).stdout.strip() == "users"
