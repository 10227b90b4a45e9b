"""The real engines through the gate on small fixtures: each engine's findings land on exactly the broken
resources with a line, engines agreeing on one fact share a group key, inline cfn-lint suppressions become
SUPPRESSED, and the Control Tower pack runs inside the one cfn-guard process as engine `control-tower`."""

from __future__ import annotations

import json

import pytest
from gate_test_helpers import POLICIES, TEMPLATES

pytestmark = pytest.mark.engines


def run_json(gate, tmp_path, template, *args):
    out = tmp_path / "result.json"
    code, _, err = gate(template, "--policies", POLICIES, "--no-cache", "-f", "json", "-o", out, *args)
    assert code in (0, 1), err
    return code, json.loads(out.read_text())


def failing(result, engine, rule):
    return {
        f["resource"]
        for f in result["findings"]
        if (f["engine"], f["rule"], f["status"]) == (engine, rule, "FAIL")
    }


def test_guard_and_checkov_on_exact_resources(gate, tmp_path):
    code, result = run_json(gate, tmp_path, TEMPLATES / "bucket_fail.json", "--engines=cfn-guard,checkov")
    assert code == 1
    assert failing(result, "cfn-guard", "S3_VERSIONED") == {"PlainBucket", "ReasonlessBucket"}
    assert failing(result, "cfn-guard", "S3_BUCKET_SSE_KMS") == {"PlainBucket"}
    assert failing(result, "checkov", "CKV_AWS_21") == {"PlainBucket", "SuppressedBucket", "ReasonlessBucket"}
    assert all(f["line"] for f in result["findings"] if f["status"] == "FAIL")
    groups = {
        f["engine"]: f["group"]
        for f in result["findings"]
        if f["resource"] == "PlainBucket" and f["rule"] in ("S3_VERSIONED", "CKV_AWS_21")
    }
    assert groups["cfn-guard"] == groups["checkov"]
    assert groups["checkov"].endswith("#PlainBucket/VersioningConfiguration")
    assert [e["name"] for e in result["engines"]] == ["checkov", "cfn-guard"]
    assert all(e["ok"] and e["version"] for e in result["engines"])


def test_cfn_lint_error_and_inline_suppression(gate, tmp_path):
    code, result = run_json(gate, tmp_path, TEMPLATES / "lint_error.json", "--engines=cfn-lint")
    assert code == 1
    assert failing(result, "cfn-lint", "E3002") == {"AlertTopic"}
    suppressed = [f for f in result["findings"] if f["status"] == "SUPPRESSED"]
    assert [(f["resource"], f["rule"]) for f in suppressed] == [("QuietTopic", "E3002")]
    lint_error = next(f for f in result["findings"] if f["resource"] == "AlertTopic")
    assert lint_error["line"] == 6 and "NoSuchProperty" in lint_error["snippet"]


def test_strict_turns_cfn_lint_suppression_into_failure(gate, tmp_path):
    _, result = run_json(gate, tmp_path, TEMPLATES / "lint_error.json", "--engines=cfn-lint", "--strict")
    assert failing(result, "cfn-lint", "E3002") == {"AlertTopic", "QuietTopic"}


def test_control_tower_pack_rides_in_the_guard_process(gate, tmp_path):
    args = ("--engines=cfn-guard", "--control-tower")
    code, result = run_json(gate, tmp_path, TEMPLATES / "bucket_fail.json", *args)
    assert code == 1
    assert [e["name"] for e in result["engines"]] == ["cfn-guard"]
    assert failing(result, "control-tower", "ct-s3-pr-10") == {"PlainBucket"}  # SSE-KMS
    assert "GoodBucket" not in failing(result, "control-tower", "ct-s3-pr-10")


def test_several_templates_one_process_per_engine(gate, tmp_path):
    templates = (TEMPLATES / "bucket_fail.json", TEMPLATES / "lint_error.json")
    out = tmp_path / "result.json"
    engines = "--engines=cfn-guard,checkov,cfn-lint"
    code, _, err = gate(*templates, "--policies", POLICIES, "--no-cache", engines, "-f", "json", "-o", out)
    assert code == 1, err
    result = json.loads(out.read_text())
    assert sorted(e["name"] for e in result["engines"]) == ["cfn-guard", "cfn-lint", "checkov"]
    checkov = next(e for e in result["engines"] if e["name"] == "checkov")
    assert checkov["command"].count("-f") == 2
    files = {f["file"] for f in result["findings"] if f["status"] == "FAIL"}
    assert files == {str(t) for t in templates}
    assert set(result["provenance"]["templates"]) == {str(t) for t in templates}
