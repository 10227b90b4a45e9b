"""Paths and helpers shared by the gate's tests (a module, not conftest, so tests can import it)."""

from __future__ import annotations

import sys
from pathlib import Path

ENGINE_FIXTURES = Path(__file__).parents[2] / "fixtures" / "engines"
TEMPLATES = ENGINE_FIXTURES / "templates"
POLICIES = ENGINE_FIXTURES / "policies"
FAKE = ENGINE_FIXTURES / "fake" / "fake_engine.py"
REPO = Path(__file__).parents[3]


def fake(mode: str) -> str:
    """An --engine-command value that runs the fake engine in MODE."""
    return f"{sys.executable} {FAKE} {mode}"


def clean_fakes(**broken: str) -> list[str]:
    """--engine-command args for all three external engines: clean fakes, except those given as broken."""
    args = []
    for engine in ("cfn-lint", "checkov", "cfn-guard"):
        mode = broken.get(engine.replace("-", "_"), f"clean-{engine}")
        args += ["--engine-command", f"{engine}={fake(mode)}"]
    return args
