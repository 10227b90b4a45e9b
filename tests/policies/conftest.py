"""Fixtures of the policy tests: the cfn-guard binary (skip-free: a missing engine fails the suite)."""

from __future__ import annotations

import pytest
from guardrun import guard_binary


@pytest.fixture(scope="session")
def guard() -> str:
    binary = guard_binary()
    assert binary, "cfn-guard not found: set CFN_GUARD_PATH or let tapgate provision it"
    return binary
