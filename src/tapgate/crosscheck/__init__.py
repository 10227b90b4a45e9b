"""Cross-checks between the template and the Lambda code: least privilege, drift, scale budgets, cost.

`check(ctx) -> list[Finding]` is the engine `crosscheck` the gate runs in-process. `ctx` carries the loaded
template (and optionally `code_dir`/`lambdas`, `reports_per_day`, `ses_rate`, `deadline_minutes`).
"""

from __future__ import annotations

from typing import Any

# Every rule id the cross-checks emit (policies/controls.yaml maps them to controls).
RULES = (
    "TAPX_IAM_MISSING_ACTION",
    "TAPX_IAM_UNUSED_ACTION",
    "TAPX_IAM_UNDECIDABLE",
    "TAPX_DRIFT_HANDLER",
    "TAPX_DRIFT_ENV",
    "TAPX_DRIFT_STATE_FUNCTION",
    "TAPX_DRIFT_JURISDICTION",
    "TAPX_SCALE_HISTORY",
    "TAPX_SCALE_CONCURRENCY",
    "TAPX_SCALE_SES_RATE",
    "TAPX_SCALE_DATA_API",
    "TAPX_SCALE_WINDOW",
)


def check(ctx: Any) -> list:
    """Every cross-check on one template: PASS for what was checked, FAIL for violations, SKIP (why)."""
    from tapgate.crosscheck import drift, leastpriv, scale
    from tapgate.crosscheck.context import CrossContext
    from tapgate.crosscheck.project import Project

    cross = CrossContext.of(ctx)
    project = Project.load(cross)
    return [*leastpriv.check(cross, project), *drift.check(cross, project), *scale.check(cross, project)]
