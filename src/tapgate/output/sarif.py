"""SARIF 2.1.0 through sarif-om: one `rules` entry per rule id, one result per FAIL / WAIVED / SUPPRESSED
finding (the accepted ones carry a `suppressions` entry), as GitHub code scanning expects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attr
import sarif_om as om

from tapgate import __version__
from tapgate.model import Finding, GateResult, Severity, Status

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning"}
REPORTED = (Status.FAIL, Status.WAIVED, Status.SUPPRESSED)


def render_sarif(result: GateResult) -> str:
    reported = [f for f in result.findings if f.status in REPORTED]
    rules, index = _rules(reported)
    run = om.Run(
        tool=om.Tool(driver=om.ToolComponent(name="tapgate", version=__version__, rules=rules)),
        results=[_result(f, index[_rule_id(f)]) for f in reported],
        invocations=[_invocation(result)],
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA, runs=[run])
    return json.dumps(to_dict(log), indent=2) + "\n"


def _rule_id(finding: Finding) -> str:
    return f"{finding.engine}/{finding.rule}"


def _rules(findings: list[Finding]) -> tuple[list[om.ReportingDescriptor], dict[str, int]]:
    rules: list[om.ReportingDescriptor] = []
    index: dict[str, int] = {}
    for finding in findings:
        rule_id = _rule_id(finding)
        if rule_id in index:
            continue
        index[rule_id] = len(rules)
        rules.append(
            om.ReportingDescriptor(
                id=rule_id,
                name=finding.rule,
                short_description=om.MultiformatMessageString(text=f"{finding.engine} {finding.rule}"),
                full_description=om.MultiformatMessageString(text=finding.message or finding.rule),
                help=om.MultiformatMessageString(text=finding.fix or finding.message or finding.rule),
                default_configuration=om.ReportingConfiguration(level=LEVEL.get(finding.severity, "note")),
                properties={"tags": sorted(finding.controls), "engine": finding.engine},
            )
        )
    return rules, index


def _result(finding: Finding, rule_index: int) -> om.Result:
    message = finding.message + (f" Fix: {finding.fix}" if finding.fix else "")
    result = om.Result(
        rule_id=_rule_id(finding),
        rule_index=rule_index,
        level=LEVEL.get(finding.severity, "note"),
        message=om.Message(text=message or finding.rule),
        locations=[_location(finding)],
        partial_fingerprints={"tapgateFindingId/v1": finding.id},
        properties={
            "controls": finding.controls,
            "resource": finding.resource,
            "status": finding.status.name,
        },
    )
    if finding.status is not Status.FAIL:
        kind = "inSource" if finding.status is Status.SUPPRESSED else "external"
        why = finding.reason or ""
        result.suppressions = [om.Suppression(kind=kind, justification=why)]
    return result


def _location(finding: Finding) -> om.Location:
    region = om.Region(start_line=max(1, finding.line or 1), start_column=max(1, finding.column or 1))
    uri = Path(finding.file).as_posix()
    if Path(uri).is_absolute():
        try:
            uri = Path(uri).relative_to(Path.cwd()).as_posix()
        except ValueError:
            uri = Path(uri).as_uri()
    physical = om.PhysicalLocation(artifact_location=om.ArtifactLocation(uri=uri), region=region)
    logical = [om.LogicalLocation(name=finding.resource, kind="resource")] if finding.resource else None
    return om.Location(physical_location=physical, logical_locations=logical)


def _invocation(result: GateResult) -> om.Invocation:
    notes = [
        om.Notification(message=om.Message(text=run.error or f"{run.name} failed"), level="error")
        for run in result.engines
        if not run.ok
    ]
    return om.Invocation(
        execution_successful=all(run.ok for run in result.engines),
        exit_code=result.summary.exit_code,
        command_line=result.provenance.command,
        tool_execution_notifications=notes or None,
    )


def to_dict(obj: Any) -> Any:
    """sarif-om objects to SARIF JSON: schema property names, defaults and Nones left out."""
    if attr.has(type(obj)):
        out = {}
        for field in attr.fields(type(obj)):
            value = getattr(obj, field.name)
            if value is None or (field.default is not attr.NOTHING and value == field.default):
                continue
            out[field.metadata.get("schema_property_name", field.name)] = to_dict(value)
        return out
    if isinstance(obj, list | tuple):
        return [to_dict(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_dict(value) for key, value in obj.items()}
    return obj
