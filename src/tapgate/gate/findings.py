"""Finish every engine's findings the same way: resource type, line and snippet from the template,
controls from the catalog, a group key shared by engines that speak of the same fact, and a stable id.
"""

from __future__ import annotations

import hashlib

from tapgate.gate.catalog import GateCatalog
from tapgate.model import Finding, Status
from tapgate.template import Template, _split_pointer

# Engines without a severity of their own (checkov without a platform key, cfn-guard): the gravest control.
SEVERITY_FROM_CONTROLS = ("checkov", "cfn-guard", "control-tower")


def finish(findings: list[Finding], templates: list[Template], catalog: GateCatalog) -> list[Finding]:
    by_path = {tpl.path: tpl for tpl in templates}
    for finding in findings:
        tpl = by_path.get(finding.file)
        if tpl is not None:
            _locate(finding, tpl)
        finding.controls = finding.controls or catalog.controls_for(finding.engine, finding.rule)
        finding.group = finding.group or group_key(finding)
        if finding.engine in SEVERITY_FROM_CONTROLS and finding.controls:
            finding.severity = catalog.severity_of(finding.controls) or finding.severity
    _assign_ids(findings)
    return sorted(findings, key=_order)


def _locate(finding: Finding, tpl: Template) -> None:
    if finding.resource and not finding.resource_type:
        resource = tpl.resources.get(finding.resource)
        finding.resource_type = resource.get("Type") if isinstance(resource, dict) else None
    if not finding.path and finding.resource and finding.resource in tpl.resources:
        finding.path = f"/Resources/{finding.resource}"
    if finding.path and finding.line is None:
        finding.line, finding.column = tpl.locate(finding.path)
    if finding.path and finding.snippet is None and finding.status is not Status.PASS:
        finding.snippet = tpl.snippet(finding.path) or None


def group_key(finding: Finding) -> str | None:
    """`file#Resource/TopProperty`: cfn-guard, checkov and cfn-lint findings on one property share it."""
    parts = _split_pointer(finding.path)
    if len(parts) >= 2 and parts[0] in ("Resources", "Parameters", "Outputs"):
        tail = parts[3:4] if len(parts) > 3 and parts[2] == "Properties" else parts[2:3]
        return f"{finding.file}#{'/'.join([parts[1], *tail])}"
    if finding.resource:
        return f"{finding.file}#{finding.resource}"
    return None


def _assign_ids(findings: list[Finding]) -> None:
    seen: dict[str, int] = {}
    for finding in findings:
        basis = "|".join([finding.engine, finding.rule, finding.file, finding.resource or "", finding.path])
        digest = hashlib.sha1(basis.encode(), usedforsecurity=False).hexdigest()[:12]
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        finding.id = digest if count == 0 else f"{digest}-{count}"


STATUS_ORDER = {Status.FAIL: 0, Status.WAIVED: 1, Status.SUPPRESSED: 2, Status.SKIP: 3, Status.PASS: 4}


def _order(finding: Finding) -> tuple:
    return (STATUS_ORDER[finding.status], finding.file, finding.resource or "", finding.engine, finding.rule)


def not_reported(
    catalog: GateCatalog, ran_ok: set[str], findings: list[Finding], templates: list[Template]
) -> list[Finding]:
    """A catalog rule of an engine that ran but said nothing: cfn-lint only reports failures (so PASS);
    the others report what they evaluated (so SKIP: nothing of the rule's kind was there)."""
    said = {(f.engine, f.rule, f.file) for f in findings}
    extra = []
    for engine in sorted(ran_ok):
        status = Status.PASS if engine == "cfn-lint" else Status.SKIP
        message = "no match" if status is Status.PASS else "no result: nothing the rule applies to"
        for rule in sorted(catalog.rules_of(engine)):
            for tpl in templates:
                if (engine, rule, tpl.path) not in said:
                    extra.append(
                        Finding(engine=engine, rule=rule, file=tpl.path, status=status, message=message)
                    )
    return extra
