"""Inline suppressions for `tapgate crosscheck` alone: `Metadata.tapgate.Suppress: [{rule, reason}]`.

The gate applies the same contract (docs/contract.md) to every in-process engine; the stand-alone command
applies it here so both give the same verdict. A suppression without a reason does not suppress.
"""

from __future__ import annotations

from typing import Any

from tapgate.model import Finding, Status
from tapgate.template import pointer


def apply_inline(findings: list[Finding], template: dict[str, Any]) -> list[Finding]:
    resources = template.get("Resources") or {}
    for finding in findings:
        if finding.status is not Status.FAIL or not finding.resource:
            continue
        metadata = (resources.get(finding.resource) or {}).get("Metadata") or {}
        entries = ((metadata.get("tapgate") or {}).get("Suppress")) or []
        entry = next((e for e in entries if isinstance(e, dict) and e.get("rule") == finding.rule), None)
        reason = str((entry or {}).get("reason") or "").strip()
        if entry is not None and reason:
            finding.status, finding.reason = Status.SUPPRESSED, reason
            finding.extra["suppressed_at"] = pointer(
                "Resources", finding.resource, "Metadata", "tapgate", "Suppress"
            )
        elif entry is not None:
            finding.message += " (its inline suppression has no reason, so it still fails)"
    return findings
