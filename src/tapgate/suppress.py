"""The one reading of tapgate's inline suppression, `Metadata.tapgate.Suppress: [{rule, reason}]`.

A FAIL whose rule is listed with a reason becomes SUPPRESSED (the register shows where: `suppressed_at`);
listed without a reason, it still FAILs and says why. Applying it twice changes nothing, so a check, the
gate's in-process engine and `tapgate crosscheck` can all apply it (docs/contract.md, suppression keys).
"""

from __future__ import annotations

from typing import Any

from tapgate.model import Finding, Status
from tapgate.template import pointer

NO_REASON = " (its inline suppression has no reason, so it still fails)"


def apply_inline(finding: Finding, resource: dict[str, Any] | None) -> None:
    """Suppress `finding` if its resource lists its rule with a reason (see the module docstring)."""
    if finding.status is not Status.FAIL or not finding.resource or finding.extra.get("suppression"):
        return
    entries = (((resource or {}).get("Metadata") or {}).get("tapgate") or {}).get("Suppress") or []
    entry = next((e for e in entries if isinstance(e, dict) and e.get("rule") == finding.rule), None)
    if entry is None:
        return
    finding.extra["suppression"] = True
    reason = str(entry.get("reason") or "").strip()
    if reason:
        finding.status, finding.reason = Status.SUPPRESSED, reason
        finding.extra["suppressed_at"] = pointer(
            "Resources", finding.resource, "Metadata", "tapgate", "Suppress"
        )
    else:
        finding.message += NO_REASON


def apply_inline_all(findings: list[Finding], resources: dict[str, Any]) -> list[Finding]:
    """`apply_inline` over findings of one template whose resources are `resources`."""
    for finding in findings:
        apply_inline(finding, resources.get(finding.resource) if finding.resource else None)
    return findings
