"""Engine plug-ins: each turns one tool's machine output into `tapgate.model.Finding`s (see base.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model imports pydantic: keep it out of a cached run's start-up
    from tapgate.engines.base import Engine

ALL_ENGINES = ("checkov", "cfn-lint", "cfn-guard", "tapgate", "crosscheck")  # slowest first: it starts first
FAST_ENGINES = ("cfn-guard", "tapgate")
# plug-ins with a `start(ctx)` that launches their processes ahead of `run` (the gate calls it first thing)
STARTS_EARLY = ("cfn-guard",)


def create(name: str) -> Engine:
    """A fresh engine object by name; imports stay local so `tapgate --help` stays cheap."""
    if name == "cfn-lint":
        from tapgate.engines.cfnlint import CfnLintEngine

        return CfnLintEngine()
    if name == "checkov":
        from tapgate.engines.checkov import CheckovEngine

        return CheckovEngine()
    if name == "cfn-guard":
        from tapgate.engines.guard import GuardEngine

        return GuardEngine()
    if name in ("tapgate", "crosscheck"):
        from tapgate.engines.inprocess import InProcessEngine

        return InProcessEngine(name)
    raise ValueError(f"unknown engine {name!r}")
