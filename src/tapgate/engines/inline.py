"""Inline Metadata suppressions that an engine applies silently (cfn-guard's let-filters, cfn-lint's
ignore_checks): the gate reads them from the template so the register shows each one, with its reason.

Keys (docs/contract.md): `Metadata.guard.SuppressedRules: [RULE]`, `Metadata.cfn-lint.config.ignore_checks:
[ID]`, the reason for either in `Metadata.tapgate.SuppressionReasons: {RULE: reason}`. No reason: FAIL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tapgate.template import Template, pointer

if TYPE_CHECKING:
    from tapgate.model import Finding

SUPPRESSION_KEYS = {
    "cfn-guard": ("guard", "SuppressedRules"),
    "cfn-lint": ("cfn-lint", "config", "ignore_checks"),
}


def suppressed_rules(resource: dict, engine: str) -> list[str]:
    node: object = resource.get("Metadata") or {}
    for key in SUPPRESSION_KEYS[engine]:
        node = node.get(key) if isinstance(node, dict) else None
    return [str(rule) for rule in node] if isinstance(node, list) else []


def suppression_reason(resource: dict, rule: str) -> str:
    reasons = ((resource.get("Metadata") or {}).get("tapgate") or {}).get("SuppressionReasons") or {}
    return str(reasons.get(rule) or "").strip() if isinstance(reasons, dict) else ""


def inline_suppressions(engine: str, templates: list[Template]) -> Iterator[Finding]:
    """One SUPPRESSED finding per (resource, rule) named in the engine's Metadata key; FAIL without reason."""
    for tpl in templates:
        for logical_id, resource in tpl.resources.items():
            if not isinstance(resource, dict):
                continue
            for rule in suppressed_rules(resource, engine):
                yield _suppression(engine, tpl, logical_id, resource, rule)


def _suppression(engine: str, tpl: Template, logical_id: str, resource: dict, rule: str) -> Finding:
    from tapgate.model import Finding

    reason = suppression_reason(resource, rule)
    finding = Finding(
        engine=engine,
        rule=rule,
        file=tpl.path,
        resource=logical_id,
        resource_type=resource.get("Type"),
        path=pointer("Resources", logical_id, "Metadata", *SUPPRESSION_KEYS[engine]),
        status="SUPPRESSED" if reason else "FAIL",
        severity="medium",
        message=f"{rule} is suppressed inline on {logical_id}",
        reason=reason or None,
        extra={"suppression": True},
    )
    if not reason:
        finding.message = f"inline suppression of {rule} on {logical_id} has no reason"
        finding.fix = f"add Metadata.tapgate.SuppressionReasons.{rule} with the reason, or fix the resource"
    return finding
