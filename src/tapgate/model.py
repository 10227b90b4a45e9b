"""The one normalised finding model, and the machine form of a gate run (`GateResult`).

Every engine (cfn-lint, checkov, cfn-guard, the Control Tower pack, tapgate's own checks and cross-checks)
is parsed into `Finding`s. The gate maps them to controls and writes one `GateResult`; every report format
(text, JSON, SARIF, JUnit, Markdown, HTML, PDF) is rendered from a `GateResult` alone, so a stored JSON
result can be re-rendered without re-running the engines.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"


class Status(str, Enum):  # noqa: UP042 - str() and JSON of a member stay its value
    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    FAIL = "FAIL"
    WAIVED = "WAIVED"  # failed, but covered by a live waiver in policies/waivers.yaml
    SUPPRESSED = "SUPPRESSED"  # failed, but suppressed inline in the resource's Metadata (with a reason)
    SKIP = "SKIP"  # the rule did not apply, or could not be evaluated (the message says why)


class Severity(str, Enum):  # noqa: UP042
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class ControlStatus(str, Enum):  # noqa: UP042
    HELD = "HELD"  # every finding mapped to it passes (or was skipped as not applicable)
    FAILED = "FAILED"  # at least one FAIL
    WAIVED = "WAIVED"  # no FAIL left, but at least one WAIVED or SUPPRESSED
    NOT_EVALUATED = "NOT_EVALUATED"  # no rule of it produced any result


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Finding(_Model):
    """One verdict of one rule of one engine on one resource (or the template as a whole)."""

    id: str = ""  # stable within a result: sha1 of engine/rule/file/resource/path, set by the gate
    engine: str  # cfn-lint | checkov | cfn-guard | control-tower | tapgate | crosscheck
    rule: str  # the engine's native rule id (E3012, CKV_AWS_19, S3_BUCKET_SSE_KMS_CMK, ct-s3-pr-1 ...)
    controls: list[str] = Field(default_factory=list)  # control ids from policies/controls.yaml
    file: str  # the template (or code file) as given on the command line
    resource: str | None = None  # logical id, or a parameter's name; None for template-wide findings
    resource_type: str | None = None  # AWS::S3::Bucket ...
    # JSON pointer into the template, e.g. /Resources/ReportBucket/Properties/VersioningConfiguration
    path: str = ""
    line: int | None = None  # 1-based line in `file`
    column: int | None = None
    status: Status
    severity: Severity = Severity.MEDIUM
    message: str = ""
    fix: str = ""
    snippet: str | None = None  # the offending JSON fragment, quoted from the template
    reason: str | None = None  # why WAIVED / SUPPRESSED / SKIP
    waiver: str | None = None  # waiver id from policies/waivers.yaml when WAIVED
    code_location: str | None = None  # file:line in lambdas/ for cross-check findings
    group: str | None = None  # findings of several engines about the same fact share a group key
    extra: dict[str, Any] = Field(default_factory=dict)  # engine-specific detail (numbers, actions ...)


class EngineRun(_Model):
    name: str
    version: str = ""
    ok: bool  # False => the gate fails closed (exit 3)
    duration_s: float = 0.0
    command: list[str] = Field(default_factory=list)
    error: str | None = None
    findings: int = 0  # how many findings it produced


class Regulation(_Model):
    id: str  # e.g. SEC-17a-4f
    title: str
    citation: str = ""
    url: str = ""


class ControlResult(_Model):
    id: str  # TAP-ENC-01
    title: str
    family: str
    rationale: str = ""
    severity: Severity = Severity.MEDIUM
    regulations: list[str] = Field(default_factory=list)  # Regulation ids
    rules: dict[str, list[str]] = Field(default_factory=dict)  # engine -> native rule ids
    status: ControlStatus
    resources: list[str] = Field(default_factory=list)  # logical ids checked under this control
    findings: list[str] = Field(default_factory=list)  # Finding ids
    counts: dict[str, int] = Field(default_factory=dict)  # Status value -> count


class WaiverEntry(_Model):
    """One row of the waivers and suppressions register (`GateResult.waivers`)."""

    kind: str  # "waiver" (policies/waivers.yaml) or "suppression" (inline Metadata)
    id: str
    engine: str
    rule: str
    resource: str | None = None
    reason: str | None = None
    owner: str | None = None
    expires: str | None = None  # ISO date
    expired: bool = False
    valid: bool = True  # False: no reason, expired, or malformed => counts as a failure
    problem: str | None = None
    used: bool = False  # matched at least one finding in this run


class Provenance(_Model):
    template: str
    template_sha256: str
    templates: dict[str, str] = Field(default_factory=dict)  # every template checked -> its sha256
    git_commit: str | None = None
    git_clean: bool | None = None
    started_at: str  # ISO 8601 UTC
    finished_at: str = ""
    command: str  # the exact command line, re-runnable
    tool_versions: dict[str, str] = Field(default_factory=dict)  # tapgate, cfn-lint, checkov, cfn-guard ...
    ruleset_sha256: str = ""  # hash over policies/ rules, controls.yaml and waivers.yaml
    controls_sha256: str = ""
    waivers_sha256: str = ""
    cache_key: str = ""
    cached: bool = False
    options: dict[str, Any] = Field(default_factory=dict)  # strict, fast, reports_per_day ...


class Summary(_Model):
    verdict: str  # PASS | FAIL | ERROR
    exit_code: int
    controls: dict[str, int] = Field(default_factory=dict)  # ControlStatus value -> count
    findings: dict[str, int] = Field(default_factory=dict)  # Status value -> count
    failing_by_severity: dict[str, int] = Field(default_factory=dict)


class GateResult(_Model):
    schema_version: str = SCHEMA_VERSION
    provenance: Provenance
    summary: Summary
    engines: list[EngineRun] = Field(default_factory=list)
    controls: list[ControlResult] = Field(default_factory=list)
    regulations: list[Regulation] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    waivers: list[WaiverEntry] = Field(default_factory=list)
    flow_evidence: dict[str, Any] | None = None  # the last `tapgate simulate` result, when present
    cost_estimate: dict[str, Any] | None = None  # monthly cost at the checked volume (cross-checks)
