"""The waiver register: `policies/waivers.yaml` (WAIVED) and every inline suppression (SUPPRESSED).

`tapgate.catalog.load_waivers` validates the file (a broken file is bad input, exit 2) and marks a waiver
without a reason or past its expiry as invalid. An invalid waiver waives nothing and adds a FAIL of its own
(TAP_WAIVER_EXPIRED / TAP_WAIVER_NO_REASON).
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from tapgate.model import Finding, Severity, Status, WaiverEntry

# The gate's own findings on the register (engine `tapgate`); policies/controls.yaml maps them like any rule.
WAIVER_EXPIRED = "TAP_WAIVER_EXPIRED"
WAIVER_NO_REASON = "TAP_WAIVER_NO_REASON"
RULE_IDS: frozenset[str] = frozenset({WAIVER_EXPIRED, WAIVER_NO_REASON})


def load_register(path: Path, today: dt.date) -> list[WaiverEntry]:
    if not path.exists():
        return []
    from tapgate.catalog import load_waivers

    return [register_entry(checked) for checked in load_waivers(path, today)]


def register_entry(checked: Any) -> WaiverEntry:
    waiver = checked.waiver
    return WaiverEntry(
        kind="waiver",
        id=waiver.id,
        engine=waiver.engine,
        rule=waiver.rule,
        resource=waiver.resource,
        reason=(waiver.reason or "").strip() or None,
        owner=waiver.owner,
        expires=waiver.expires.isoformat(),
        expired=bool(checked.problem and checked.problem.startswith("expired")),
        valid=checked.valid,
        problem=checked.problem,
    )


def apply_waivers(findings: list[Finding], entries: list[WaiverEntry]) -> None:
    live = [e for e in entries if e.valid]
    for finding in findings:
        if finding.status is not Status.FAIL or finding.extra.get("suppression"):
            continue
        waiver = next((w for w in live if _covers(w, finding)), None)
        if waiver is not None:
            finding.status, finding.waiver, finding.reason = Status.WAIVED, waiver.id, waiver.reason
            waiver.used = True


def _covers(waiver: WaiverEntry, finding: Finding) -> bool:
    return (
        waiver.engine == finding.engine
        and waiver.rule == finding.rule
        and fnmatchcase(finding.resource or "", waiver.resource or "")
    )


def problem_findings(entries: list[WaiverEntry], waivers_file: Path) -> list[Finding]:
    problems = []
    for entry in entries:
        if entry.valid:
            continue
        problems.append(
            Finding(
                engine="tapgate",
                rule=WAIVER_EXPIRED if entry.expired else WAIVER_NO_REASON,
                file=str(waivers_file),
                resource=entry.resource,
                status=Status.FAIL,
                severity=Severity.HIGH,
                message=f"waiver {entry.id} ({entry.rule} on {entry.resource}) is invalid: {entry.problem}",
                fix="renew it with a new expiry and a reason, or fix the finding and delete the waiver",
                waiver=entry.id,
            )
        )
    return problems


def suppression_entries(findings: list[Finding]) -> list[WaiverEntry]:
    """One register row per inline suppression the engines reported (valid only with a reason)."""
    rows = []
    for finding in findings:
        if finding.status is Status.SUPPRESSED or finding.extra.get("suppression"):
            rows.append(
                WaiverEntry(
                    kind="suppression",
                    id=f"{finding.engine}:{finding.rule}:{finding.resource}",
                    engine=finding.engine,
                    rule=finding.rule,
                    resource=finding.resource,
                    reason=finding.reason,
                    valid=bool(finding.reason),
                    problem=None if finding.reason else "no reason",
                    used=True,
                )
            )
    return rows
