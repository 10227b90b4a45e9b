"""Cross-checks between the template and the Lambda code: least privilege, drift, scale budgets, cost.

`check(ctx) -> list[Finding]` is the engine `crosscheck` the gate runs in-process. `ctx` carries the loaded
template (and optionally `code_dir`/`lambdas`, `reports_per_day`, `ses_rate`, `deadline_minutes`).
"""

from __future__ import annotations

from typing import Any


def check(ctx: Any) -> list:
    """Every cross-check on one template: PASS for what was checked, FAIL for violations, SKIP (why)."""
    from tapgate.crosscheck import drift, leastpriv, scale
    from tapgate.crosscheck.context import CrossContext
    from tapgate.crosscheck.project import Project

    cross = CrossContext.of(ctx)
    project = Project.load(cross)
    return [*leastpriv.check(cross, project), *drift.check(cross, project), *scale.check(cross, project)]
