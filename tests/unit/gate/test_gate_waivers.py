"""Waivers (policies/waivers.yaml → WAIVED), inline suppressions with reasons (→ SUPPRESSED), the failures
for expired / reasonless waivers and reasonless suppressions, `--strict`, and the register in the result."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
import yaml
from gate_test_helpers import POLICIES, REPO, TEMPLATES

from tapgate.engines.inline import inline_suppressions
from tapgate.errors import InputError
from tapgate.gate.waivers import apply_waivers, load_register, problem_findings, suppression_entries
from tapgate.model import Finding, Status
from tapgate.suppress import NO_REASON, apply_inline
from tapgate.template import load

TODAY = dt.date(2026, 11, 27)
FAILING = TEMPLATES / "bucket_fail.json"


def waiver(**overrides):
    raw = {
        "id": "WVR-9",
        "engine": "cfn-guard",
        "rule": "S3_VERSIONED",
        "resource": "PlainBucket",
        "reason": "migrating next sprint",
        "owner": "platform",
        "expires": "2027-01-31",
    }
    return {**raw, **overrides}


def register(tmp_path, *raws):
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": list(raws)}))
    return load_register(path, TODAY)


def fail(rule="S3_VERSIONED", resource="PlainBucket", engine="cfn-guard"):
    return Finding(engine=engine, rule=rule, file="t.json", resource=resource, status=Status.FAIL)


def test_live_waiver_waives_only_its_rule_and_resource(tmp_path):
    entries = register(tmp_path, waiver())
    findings = [fail(), fail(resource="OtherBucket"), fail(rule="S3_BUCKET_SSE_KMS"), fail(engine="checkov")]
    apply_waivers(findings, entries)
    assert [f.status for f in findings] == [Status.WAIVED, Status.FAIL, Status.FAIL, Status.FAIL]
    assert findings[0].waiver == "WVR-9" and findings[0].reason == "migrating next sprint"
    assert entries[0].used and entries[0].valid


@pytest.mark.parametrize(
    ("overrides", "rule", "problem"),
    [
        ({"expires": "2026-11-26"}, "TAP_WAIVER_EXPIRED", "expired on 2026-11-26"),
        ({"reason": "  "}, "TAP_WAIVER_NO_REASON", "no reason"),
        ({"reason": None}, "TAP_WAIVER_NO_REASON", "no reason"),
    ],
)
def test_bad_waiver_waives_nothing_and_fails(tmp_path, overrides, rule, problem):
    entries = register(tmp_path, waiver(**overrides))
    findings = [fail()]
    apply_waivers(findings, entries)
    assert findings[0].status is Status.FAIL
    assert not entries[0].valid and entries[0].problem == problem
    problems = problem_findings(entries, tmp_path / "waivers.yaml")
    assert [(p.rule, p.resource, p.status) for p in problems] == [(rule, "PlainBucket", Status.FAIL)]


def test_waiver_expiring_today_still_holds(tmp_path):
    assert register(tmp_path, waiver(expires=TODAY.isoformat()))[0].valid


def test_malformed_register_is_bad_input(tmp_path):
    with pytest.raises(InputError, match=r"waivers\.yaml"):
        register(tmp_path, waiver(owner=None))


def test_inline_guard_suppressions_with_and_without_reason():
    found = list(inline_suppressions("cfn-guard", [load(FAILING)]))
    assert {(f.resource, f.status) for f in found} == {
        ("SuppressedBucket", Status.SUPPRESSED),
        ("ReasonlessBucket", Status.FAIL),
    }
    register = suppression_entries(found)
    expected = {("SuppressedBucket", True), ("ReasonlessBucket", False)}
    assert {(r.resource, r.valid) for r in register} == expected


def test_inline_tapgate_suppress_needs_a_reason(tmp_path):
    path = tmp_path / "t.json"
    meta = {"tapgate": {"Suppress": [{"rule": "TAP_A", "reason": "known"}, {"rule": "TAP_B"}]}}
    path.write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": meta}}}))
    tpl = load(path)
    with_reason, without = fail("TAP_A", "Q", "tapgate"), fail("TAP_B", "Q", "tapgate")
    with_reason.file = without.file = str(path)
    for _ in range(2):  # a check and the in-process engine both apply it: the second time changes nothing
        apply_inline(with_reason, tpl.resources["Q"])
        apply_inline(without, tpl.resources["Q"])
    assert (with_reason.status, with_reason.reason) == (Status.SUPPRESSED, "known")
    assert with_reason.extra["suppressed_at"] == "/Resources/Q/Metadata/tapgate/Suppress"
    assert without.status is Status.FAIL
    assert without.message.count(NO_REASON) == 1


def test_reasonless_tapgate_suppression_noted_once_through_the_gate(gate, tmp_path):
    """A check applies the suppression and so does the gate's in-process engine: the note appears once."""
    out = tmp_path / "r.json"
    bad = REPO / "tests/fixtures/templates/bad/tap_enc_bucket_tls_policy.json"
    code, _, _ = gate(bad, "--engines=tapgate", "--no-cache", "-f", "json", "-o", out)
    notes = [
        f["message"]
        for f in json.loads(out.read_text())["findings"]
        if f["resource"] == "ReasonlessSuppression"
    ]
    assert code == 1
    assert notes and all(message.count(NO_REASON) == 1 for message in notes)


def _policies_with(tmp_path, waivers_yaml: str):
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    (policies / "waivers.yaml").write_text(waivers_yaml)
    return policies


def _failing_ids(result):
    return {(f["rule"], f["resource"]) for f in result["findings"] if f["status"] == "FAIL"}


@pytest.mark.engines
def test_gate_applies_waiver_and_suppressions_end_to_end(gate, tmp_path):
    policies = _policies_with(
        tmp_path,
        "waivers:\n  - {id: WVR-1, engine: cfn-guard, rule: S3_VERSIONED, resource: PlainBucket,\n"
        "     reason: legacy, owner: me, expires: 2999-01-01}\n",
    )
    out = tmp_path / "r.json"
    code, _, _ = gate(FAILING, "--policies", policies, "--engines=cfn-guard", "-f", "json", "-o", out)
    result = json.loads(out.read_text())
    assert code == 1
    expected = {("S3_BUCKET_SSE_KMS", "PlainBucket"), ("S3_VERSIONED", "ReasonlessBucket")}
    assert _failing_ids(result) == expected
    statuses = {(f["rule"], f["resource"]): f["status"] for f in result["findings"] if f["resource"]}
    assert statuses[("S3_VERSIONED", "PlainBucket")] == "WAIVED"
    assert statuses[("S3_VERSIONED", "SuppressedBucket")] == "SUPPRESSED"
    kinds = {(w["kind"], w["resource"], w["valid"], w["used"]) for w in result["waivers"]}
    assert kinds == {
        ("waiver", "PlainBucket", True, True),
        ("suppression", "SuppressedBucket", True, True),
        ("suppression", "ReasonlessBucket", False, True),
    }


@pytest.mark.engines
def test_strict_ignores_inline_suppressions(gate, tmp_path):
    out = tmp_path / "r.json"
    args = ("--engines=cfn-guard", "--strict", "-f", "json", "-o", out)
    code, _, _ = gate(FAILING, "--policies", POLICIES, *args)
    result = json.loads(out.read_text())
    assert code == 1
    assert _failing_ids(result) == {
        ("S3_BUCKET_SSE_KMS", "PlainBucket"),
        ("S3_VERSIONED", "PlainBucket"),
        ("S3_VERSIONED", "SuppressedBucket"),
        ("S3_VERSIONED", "ReasonlessBucket"),
    }
    assert not any(f["status"] == "SUPPRESSED" for f in result["findings"])
    line = next(f["line"] for f in result["findings"] if f["resource"] == "SuppressedBucket")
    assert line == load(FAILING).locate("/Resources/SuppressedBucket/Properties")[0]  # lines of the original


@pytest.mark.engines
def test_expired_waiver_fails_the_gate(gate, tmp_path):
    policies = _policies_with(
        tmp_path,
        "waivers:\n  - {id: WVR-2, engine: cfn-guard, rule: S3_VERSIONED, resource: '*',\n"
        "     reason: old, owner: me, expires: 2020-01-01}\n",
    )
    code, out, _ = gate(TEMPLATES / "bucket_pass.json", "--policies", policies, "--engines=cfn-guard")
    assert code == 1
    assert "TAP_WAIVER_EXPIRED" in out
