"""The report's reading of a result: engines flagging one fact are grouped without inflating counts, controls
carry their regulations and clauses, framework views hold exactly their controls, evidence is per resource."""

from __future__ import annotations

from tapgate.model import Finding, Severity, Status
from tapgate.report.view import build_view, fact_key, split_reference

FAILING_FACTS = {  # resource -> engines that flag it, in the failing fixture
    ("DataKey", ("cfn-guard", "checkov")),
    ("DbPassword", ("cfn-guard", "tapgate")),
    ("ReportBucket", ("cfn-guard", "control-tower")),
    ("ReportBucket", ("cfn-guard", "checkov")),
    ("DeliverFunctionRole", ("crosscheck",)),
    ("DbInitFunction", ("checkov",)),
    ("DbInitLogGroup", ("cfn-guard",)),
    ("WorkBucket", ("cfn-guard", "cfn-lint")),
}


def test_several_engines_on_one_fact_count_once(failing):
    view = build_view(failing)
    assert {(fact.resource, tuple(fact.engines)) for fact in view.facts} == FAILING_FACTS
    raw_failures = [f for f in failing.findings if f.status is Status.FAIL]
    assert view.failing_engine_findings == len(raw_failures) == 13
    assert sum(view.failing_by_severity.values()) == len(FAILING_FACTS)


def test_a_fact_takes_its_most_severe_engine_and_facts_are_numbered_most_severe_first(failing):
    view = build_view(failing)
    lock = next(f for f in view.facts if f.lead.rule == "S3_OBJECT_LOCK_COMPLIANCE_10Y")
    assert {f.severity for f in lock.findings} == {Severity.CRITICAL, Severity.HIGH}
    assert lock.severity == "critical"
    assert view.failing_by_severity == {"critical": 3, "high": 2, "medium": 3, "low": 0, "info": 0}
    assert [f.label for f in view.facts] == [f"F-{n}" for n in range(1, 9)]
    ranks = ["critical", "high", "medium", "low", "info"]
    assert [ranks.index(f.severity) for f in view.facts] == sorted(
        ranks.index(f.severity) for f in view.facts
    )


def test_the_lead_finding_is_the_one_with_a_line_and_a_snippet(failing):
    view = build_view(failing)
    secret = next(f for f in view.facts if f.resource == "DbPassword")
    assert secret.lead.engine == "cfn-guard" and secret.lead.snippet


def test_a_finding_without_group_is_its_own_fact():
    bare = Finding(engine="checkov", rule="CKV_AWS_1", file="t.json", resource="A", status=Status.FAIL)
    other = bare.model_copy(update={"resource": "B"})
    assert fact_key(bare) != fact_key(other)
    assert fact_key(bare.model_copy(update={"group": "g"})) == fact_key(
        other.model_copy(update={"group": "g"})
    )


def test_control_statuses_and_waived_or_suppressed_findings(failing):
    view = build_view(failing)
    assert view.control_counts == {"HELD": 2, "FAILED": 7, "WAIVED": 1, "NOT_EVALUATED": 0}
    assert {(f.rule, f.status) for f in view.exempt} == {
        ("S3_BUCKET_SSE_KMS_CMK", Status.WAIVED),
        ("CKV_AWS_18", Status.SUPPRESSED),
    }


def test_regulation_references_keep_their_clauses(failing):
    assert split_reference("NIST-800-53:SC-28(1)") == ("NIST-800-53", "SC-28(1)")
    assert split_reference("GDPR-32") == ("GDPR-32", None)
    view = build_view(failing)
    enc = next(cv for cv in view.controls if cv.control.id == "TAP-ENC-01")
    assert enc.clauses_of("NIST-800-53") == ["SC-28", "SC-28(1)", "SC-12"]
    assert [ref.label for ref in enc.regulations] == [
        "SEC Rule 17a-4(f)",
        "GDPR Article 32",
        "NIST SP 800-53 Rev. 5 (SC-28, SC-28(1), SC-12)",
    ]


def test_each_framework_view_holds_exactly_the_controls_that_serve_it(failing):
    views = {fw.regulation.id: fw for fw in build_view(failing).frameworks}
    assert list(views) == ["SEC-17a-4f", "FINRA-4511", "SOX-ITGC", "GDPR-32", "NIST-800-53"]
    finra = views["FINRA-4511"]
    assert [cv.control.id for cv in finra.controls] == ["TAP-RET-01", "TAP-RET-02"]
    assert {f.resource for f in finra.failing} == {"ReportBucket", "WorkBucket"}
    assert {frozenset(f.rule for f in fact.findings) for fact in finra.failing} == {
        frozenset({"S3_OBJECT_LOCK_COMPLIANCE_10Y", "ct-s3-pr-1"}),
        frozenset({"STATEFUL_RESOURCE_RETAIN", "I3011"}),
    }


def test_evidence_is_counted_per_rule_with_resources_by_verdict(failing):
    view = build_view(failing)
    enc = next(cv for cv in view.controls if cv.control.id == "TAP-ENC-01")
    rows = {(row.engine, row.rule): row for row in enc.evidence}
    sse = rows[("cfn-guard", "S3_BUCKET_SSE_KMS_CMK")]
    assert sse.counts == {"FAIL": 1, "WAIVED": 1}
    assert sse.verdicts == [("FAIL", ["ReportBucket"]), ("WAIVED", ["AccessLogBucket"])]
    checkov = rows[("checkov", "CKV_AWS_145")]
    assert checkov.resources == {
        "FAIL": ["ReportBucket"],
        "PASS": ["AuditBucket", "ReportingDbCluster", "StateMachineLogGroup", "WorkBucket"],
    }
    assert rows[("cfn-guard", "RDS_CLUSTER_STORAGE_ENCRYPTED_CMK")].resources == {"PASS": ["(template-wide)"]}
