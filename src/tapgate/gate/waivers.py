"""The waiver register: `policies/waivers.yaml` (WAIVED) and every inline suppression (SUPPRESSED).

A waiver needs a rule, a resource, a reason, an owner and an expiry date. An expired, reasonless or
malformed waiver waives nothing and adds a FAIL of its own (TAP_WAIVER_EXPIRED / _NO_REASON / _MALFORMED).
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from tapgate.errors import InputError
from tapgate.model import Finding, Severity, Status, WaiverEntry

REQUIRED = ("id", "rule", "resource", "owner", "expires")


def read_waivers(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        raise InputError(f"invalid YAML: {err.problem}", str(path), mark.line + 1, mark.column + 1) from None
    entries = raw.get("waivers", []) if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise InputError("expected a mapping with a 'waivers' list", str(path), 1, 1)
    return [e if isinstance(e, dict) else {"id": str(e)} for e in entries]


def register_entry(raw: dict[str, Any], today: dt.date) -> WaiverEntry:
    expires = _date(raw.get("expires"))
    missing = [key for key in REQUIRED if not raw.get(key)]
    entry = WaiverEntry(
        kind="waiver",
        id=str(raw.get("id") or "?"),
        engine=str(raw.get("engine") or "*"),
        rule=str(raw.get("rule") or ""),
        resource=str(raw["resource"]) if raw.get("resource") else None,
        reason=str(raw.get("reason") or "").strip() or None,
        owner=str(raw.get("owner")) if raw.get("owner") else None,
        expires=expires.isoformat() if expires else (str(raw["expires"]) if raw.get("expires") else None),
    )
    if not entry.reason:
        entry.valid, entry.problem = False, "no reason"
    elif missing or (raw.get("expires") and expires is None):
        entry.valid, entry.problem = False, f"malformed: missing or bad {', '.join(missing) or 'expires'}"
    elif expires < today:
        entry.valid, entry.expired, entry.problem = False, True, f"expired on {expires.isoformat()}"
    return entry


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


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
        waiver.engine in ("*", finding.engine)
        and fnmatchcase(finding.rule, waiver.rule)
        and fnmatchcase(finding.resource or "", waiver.resource or "")
    )


def problem_findings(entries: list[WaiverEntry], waivers_file: Path) -> list[Finding]:
    problems = []
    for entry in entries:
        if entry.valid:
            continue
        kind = "EXPIRED" if entry.expired else ("NO_REASON" if entry.problem == "no reason" else "MALFORMED")
        problems.append(
            Finding(
                engine="tapgate",
                rule=f"TAP_WAIVER_{kind}",
                file=str(waivers_file),
                resource=entry.resource,
                status=Status.FAIL,
                severity=Severity.HIGH,
                message=f"waiver {entry.id} ({entry.rule} on {entry.resource}) is {entry.problem}",
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
