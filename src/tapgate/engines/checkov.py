"""checkov as one subprocess: `checkov -o json --framework cloudformation -f T ...`.

Exit 0 (no failed check) and 1 (some failed) are its documented codes. A skipped check carries the
`Metadata.checkov.skip` comment: it becomes SUPPRESSED with that reason, or FAIL when the comment is missing,
since a suppression without a reason is not an accepted risk.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tapgate.engines.base import EngineContext, EngineOutput, load_json, run_process, unparseable
from tapgate.engines.executables import python_tool
from tapgate.template import pointer

if TYPE_CHECKING:
    from tapgate.model import Finding

OK_CODES = {0, 1}
RESULT_LISTS = {
    "passed_checks": "PASS",
    "failed_checks": "FAIL",
    "skipped_checks": "SUPPRESSED",
}
QUIET_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "LOG_LEVEL": "WARNING",
    # One framework: checkov would fork a child to run it and pickle the report and the whole resource graph
    # back to the parent. In-process, the same checks give the same results for less CPU (issue 8).
    "CHECKOV_PARALLELIZATION_TYPE": "none",
    # Its graph checks report evaluated keys out of sets; the gate takes the first for the pointer, line and
    # group key. A fixed hash seed keeps that order, so those fields, the same on every run.
    "PYTHONHASHSEED": "0",
}
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


def checkov_command() -> list[str]:
    """checkov's CLI run through tapgate.engines.checkov_main (its JSONPath parser tables built once, not per
    parse: about a third of its CPU on TapStack.json) when checkov is installed beside us, else its console
    script."""
    import importlib.util

    if importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "tapgate.engines.checkov_main"]
    return python_tool("checkov")


class CheckovEngine:
    name = "checkov"

    def command(self, ctx: EngineContext) -> list[str]:
        exe = ctx.commands.get(self.name) or checkov_command()
        files = [arg for path in ctx.input_files() for arg in ("-f", path)]
        return [*exe, "-o", "json", "--framework", "cloudformation", "--skip-download", "--compact", *files]

    def run(self, ctx: EngineContext) -> EngineOutput:
        return run_process(self.name, self.command(ctx), OK_CODES, ctx.timeout_s, env=QUIET_ENV)

    def parse(self, output: EngineOutput, ctx: EngineContext) -> list[Finding]:
        reports = load_json(self.name, output.stdout)
        reports = reports if isinstance(reports, list) else [reports]
        findings: list[Finding] = []
        for report in reports:
            findings.extend(self._parse_report(report, ctx))
        return findings

    def _parse_report(self, report: object, ctx: EngineContext) -> list[Finding]:
        if not isinstance(report, dict):
            raise unparseable(self.name, "expected a JSON object per framework", str(report))
        if "results" not in report:  # nothing to scan: checkov prints the bare summary
            if report.get("parsing_errors"):
                count = report["parsing_errors"]
                raise unparseable(self.name, f"checkov could not parse {count} file(s)", "")
            if "passed" in report and "failed" in report:
                return []
            raise unparseable(self.name, "no results and no summary", str(report))
        errors = report["results"].get("parsing_errors") or []
        if errors:
            raise unparseable(self.name, f"checkov could not parse {errors[0]}", "")
        findings = []
        for key, status in RESULT_LISTS.items():
            for check in report["results"].get(key, []):
                findings.append(self._finding(check, status, ctx))
        return findings

    def _finding(self, check: dict, status: str, ctx: EngineContext) -> Finding:
        from tapgate.model import Finding, Status

        try:
            rule, resource_ref = check["check_id"], check["resource"]
            result = check["check_result"]
        except (KeyError, TypeError) as err:
            raise unparseable(self.name, f"check without {err}", str(check)) from None
        tpl = ctx.template_for(check.get("file_abs_path") or check.get("file_path", ""))
        resource_type, _, logical_id = resource_ref.rpartition(".")
        finding = Finding(
            engine=self.name,
            rule=rule,
            file=tpl.path if tpl else check.get("file_abs_path", ""),
            resource=logical_id or None,
            resource_type=resource_type or None,
            path=_pointer(logical_id, result.get("evaluated_keys") or []),
            status=status,
            severity=_severity(check.get("severity")),
            message=check.get("check_name", ""),
            fix=f"See {check['guideline']}" if check.get("guideline") else "",
        )
        if finding.status is Status.SUPPRESSED:
            _apply_skip_reason(finding, tpl.data if tpl else {}, logical_id)
        return finding


def _pointer(logical_id: str, evaluated_keys: list[str]) -> str:
    parts: list[str] = ["Resources", logical_id] if logical_id else []
    if evaluated_keys and logical_id:
        parts += [seg.strip("[]") for seg in str(evaluated_keys[0]).split("/") if seg and seg != "*"]
    return pointer(*parts) if parts else ""


def _severity(given: object) -> str:
    value = str(given or "").upper()
    return value.lower() if value in SEVERITIES else "medium"


def _apply_skip_reason(finding: Finding, data: dict, logical_id: str) -> None:
    """The reason is the skip entry's comment in the template itself (checkov invents a default text)."""
    from tapgate.model import Status

    resource = data.get("Resources", {}).get(logical_id, {})
    skips = ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
    entry = next((s for s in skips if isinstance(s, dict) and s.get("id") == finding.rule), {})
    reason = str(entry.get("comment") or "").strip()
    finding.path = pointer("Resources", logical_id, "Metadata", "checkov", "skip")
    finding.extra["suppression"] = True
    if reason:
        finding.reason = reason
        return
    finding.status = Status.FAIL
    finding.message = f"inline checkov skip of {finding.rule} has no comment: {finding.message}"
    finding.fix = "give the skip entry a 'comment' with the reason, or fix the resource"
