"""Output formats rendered from one GateResult: JSON (the documented finding fields), SARIF 2.1.0 shape
(one rules entry per rule id, results pointing at them, GitHub code scanning's required fields), JUnit XML
(parses, counts add up), the text summary, and --report-dir."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from gate_test_helpers import POLICIES, TEMPLATES

from tapgate.model import EngineRun, Finding, GateResult, Provenance, Severity, Status, Summary
from tapgate.output import render

FINDING_FIELDS = {
    "engine",
    "rule",
    "controls",
    "resource",
    "path",
    "line",
    "status",
    "severity",
    "message",
    "fix",
}
SARIF_LEVELS = {"none", "note", "warning", "error"}


def _finding(rule, status, resource="Bucket", engine="cfn-guard", **extra):
    return Finding(
        id=f"{rule}-{resource}",
        engine=engine,
        rule=rule,
        controls=["TAP-ENC-01"],
        file="TapStack.json",
        resource=resource,
        path=f"/Resources/{resource}/Properties",
        line=12,
        column=7,
        status=status,
        severity=Severity.HIGH,
        message=f"{rule} says no",
        fix="do the right thing",
        **extra,
    )


@pytest.fixture
def result():
    findings = [
        _finding("S3_SSE", Status.FAIL),
        _finding("S3_SSE", Status.FAIL, resource="Other"),
        _finding("CKV_AWS_21", Status.WAIVED, engine="checkov", reason="legacy", waiver="WVR-1"),
        _finding("S3_VERSIONED", Status.SUPPRESSED, reason="scratch"),
        _finding("E3012", Status.PASS, engine="cfn-lint"),
    ]
    return GateResult(
        provenance=Provenance(
            template="TapStack.json",
            template_sha256="0" * 64,
            started_at="2026-11-27T00:00:00Z",
            command="tapgate check",
        ),
        summary=Summary(verdict="FAIL", exit_code=1, findings={"FAIL": 2}),
        engines=[EngineRun(name="cfn-guard", ok=True), EngineRun(name="checkov", ok=False, error="engine x")],
        findings=findings,
    )


def test_json_findings_carry_the_documented_fields(result):
    data = json.loads(render(result, "json"))
    assert data["schema_version"] == "1.0"
    for finding in data["findings"]:
        assert FINDING_FIELDS <= finding.keys()
    assert {f["status"] for f in data["findings"]} == {"FAIL", "WAIVED", "SUPPRESSED", "PASS"}
    assert GateResult.model_validate(data).findings[0].rule == "S3_SSE"  # round-trips


def test_sarif_has_one_rule_per_rule_id_and_valid_results(result):
    log = json.loads(render(result, "sarif"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert sorted(ids) == ["cfn-guard/S3_SSE", "cfn-guard/S3_VERSIONED", "checkov/CKV_AWS_21"]
    assert len(ids) == len(set(ids))
    assert len(run["results"]) == 4  # PASS is not a result
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in SARIF_LEVELS and res["message"]["text"]
        location = res["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "TapStack.json"
        assert location["region"]["startLine"] >= 1
    accepted = [r for r in run["results"] if r.get("suppressions")]
    assert {r["suppressions"][0]["kind"] for r in accepted} == {"external", "inSource"}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "engine x"


def test_junit_parses_and_counts_add_up(result):
    root = ET.fromstring(render(result, "junit"))  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    assert int(root.get("failures")) == 2 and int(root.get("errors")) == 1 and int(root.get("skipped")) == 2
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in root)
    failure = root.find(".//failure")
    assert failure is not None and "TapStack.json:12" in failure.text


def test_text_names_failing_resources_and_verdict(result):
    text = render(result, "text").decode()
    assert "S3_SSE" in text and "Other" in text and "FAIL" in text
    assert "ERROR engine x" in text


@pytest.mark.engines
def test_report_dir_writes_every_own_format(gate, tmp_path):
    out_dir = tmp_path / "reports"
    code, _, _ = gate(
        TEMPLATES / "bucket_fail.json",
        "--policies",
        POLICIES,
        "--engines=cfn-guard",
        "--report-dir",
        out_dir,
        "-f",
        "json",
    )
    assert code == 1
    names = {p.name for p in out_dir.iterdir()}
    assert {"gate.txt", "gate.json", "gate.sarif", "gate.xml"} <= names
    ET.parse(out_dir / "gate.xml")  # noqa: S314 - our own output
    assert json.loads((out_dir / "gate.sarif").read_text())["runs"][0]["results"]
