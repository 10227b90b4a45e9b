"""tapgate's own Python checks and the cross-checks, run in the gate's process beside the subprocesses.

Each checker gets a `CheckContext` per template. A checker that raises, or returns something other than a
list of Findings, is an engine failure: the gate exits 3 rather than pass on a check that did not run.
Inline `Metadata.tapgate.Suppress: [{rule, reason}]` turns a FAIL into SUPPRESSED (not with --strict).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapgate.engines import registry
from tapgate.engines.base import EngineContext, EngineOutput
from tapgate.errors import EngineError
from tapgate.model import Finding
from tapgate.suppress import apply_inline
from tapgate.template import Template


@dataclass
class CheckContext:
    """What a checker sees: one template, where the project is, and the run's options."""

    template: Template
    root: Path
    policies: Path
    lambdas: Path
    strict: bool = False
    templates: list[Template] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.template.path

    @property
    def data(self) -> dict[str, Any]:
        return self.template.data


class InProcessEngine:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, ctx: EngineContext) -> EngineOutput:
        started = time.monotonic()
        try:
            checkers = registry.checkers(self.name)
        except Exception as err:  # noqa: BLE001 - any import failure means the checks did not run
            raise EngineError(self.name, f"cannot load checks: {type(err).__name__}: {err}") from None
        findings: list[Finding] = []
        for tpl in ctx.templates:
            check_ctx = CheckContext(
                tpl, ctx.root, ctx.policies, ctx.root / "lambdas", ctx.strict, ctx.templates
            )
            for checker in checkers:
                findings.extend(self._call(checker, check_ctx))
        output = EngineOutput(self.name, [f"python:{registry.PACKAGES[self.name]}"], findings=findings)
        output.duration_s = time.monotonic() - started
        output.stdout = f"{len(checkers)} checkers"
        return output

    def _call(self, checker: registry.Checker, check_ctx: CheckContext) -> list[Finding]:
        name = registry.checker_name(checker)
        try:
            result = checker(check_ctx)
        except Exception as err:  # noqa: BLE001 - a crashing check must fail the gate, not vanish
            raise EngineError(self.name, f"{name} raised {type(err).__name__}: {err}") from None
        if not isinstance(result, list | tuple) or not all(isinstance(f, Finding) for f in result):
            raise EngineError(self.name, f"{name} returned {type(result).__name__}, not a list of Finding")
        for finding in result:
            finding.engine = finding.engine or self.name
        return list(result)

    def parse(self, output: EngineOutput, ctx: EngineContext) -> list[Finding]:
        findings = output.findings or []
        if not ctx.strict:
            by_path = {tpl.path: tpl for tpl in ctx.templates}
            for finding in findings:
                tpl = by_path.get(finding.file)
                apply_inline(
                    finding, tpl.resources.get(finding.resource) if tpl and finding.resource else None
                )
        return findings
