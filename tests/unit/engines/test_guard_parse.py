"""Parsing cfn-guard's structured report: a pathless summary record (a filter tested with empty / !empty)
joins the located clause before it, so a fact is one FAIL on its resource; ';'-joined custom messages are
turned back into text; line marks of the file cfn-guard read stay out of the findings."""

from __future__ import annotations

import json
from pathlib import Path

from tapgate.engines.base import EngineContext, EngineOutput
from tapgate.engines.guard import GuardEngine
from tapgate.template import load

REPO = Path(__file__).parents[3]
STATEMENT = "/Resources/DataKey/Properties/KeyPolicy/Statement/6/Condition/StringEquals"
JOINED = (
    ";            Violation: A key policy statement allows every principal without a narrowing condition;"
    "                       (kms:CallerAccount alone lets every identity of the account use the key).;"
    "            Fix: Name the principals, or add a condition on aws:PrincipalArn,;"
    "                 aws:SourceArn or kms:ViaService.;        "
)


def located(path: str, custom: str = "") -> dict:
    error = f"Check was not compliant as property value [Path={path}[L:269,C:9] Value=1] not equal to value."
    check = {"Resolved": {"from": {"path": path, "value": 1}, "to": {"path": "", "value": 2}}}
    messages = {"custom_message": custom, "error_message": error}
    return {"Clause": {"Binary": {"context": "", "check": check, "messages": messages}}}


def context_record(custom: str) -> dict:
    context = " Condition.*. (map-key-filter-clauses) not EMPTY  "
    messages = {"custom_message": custom, "error_message": "was not empty"}
    return {
        "Clause": {
            "Unary": {"context": context, "check": {"UnResolvedContext": context}, "messages": messages}
        }
    }


def parse(checks: list[dict]) -> list:
    ctx = EngineContext(templates=[load(REPO / "TapStack.json")], root=REPO, policies=REPO / "policies")
    rule = {"name": "KMS_KEY_POLICY_NO_OPEN_PRINCIPAL", "metadata": {}, "messages": {}, "checks": checks}
    report = {"name": str(REPO / "TapStack.json"), "metadata": {}, "status": "FAIL", "compliant": [],
              "not_applicable": [], "not_compliant": [{"Rule": rule}]}  # fmt: skip
    output = EngineOutput("cfn-guard", [], 19, json.dumps([report]))
    return [f for f in GuardEngine().parse(output, ctx) if f.status.value == "FAIL"]


def test_pathless_summary_joins_its_resource_once_with_a_clean_message() -> None:
    [finding] = parse([located(STATEMENT), context_record(JOINED)])
    assert (finding.resource, finding.path) == ("DataKey", STATEMENT)
    assert finding.message == (
        "A key policy statement allows every principal without a narrowing condition "
        "(kms:CallerAccount alone lets every identity of the account use the key)."
    )
    assert (
        finding.fix
        == "Name the principals, or add a condition on aws:PrincipalArn, aws:SourceArn or kms:ViaService."
    )
    assert [c["path"] for c in finding.extra["clauses"]] == [STATEMENT, STATEMENT]
    assert "[L:" not in json.dumps(finding.extra)


def test_pathless_record_alone_stays_template_wide() -> None:
    """Nothing located to join: the failure is kept (never dropped), on no resource."""
    [finding] = parse([context_record(JOINED)])
    assert finding.resource is None
    assert not finding.message.endswith(";")


def test_a_located_clause_with_its_own_message_is_not_merged_into() -> None:
    findings = parse([located(STATEMENT, "Violation: own fact"), context_record(JOINED)])
    assert sorted((f.resource or "-", f.message[:12]) for f in findings) == [
        ("-", "A key policy"),
        ("DataKey", "own fact"),
    ]


def test_a_semicolon_inside_a_normal_message_is_kept() -> None:
    [finding] = parse([located(STATEMENT, "\n  Violation: one; two\n  Fix: three\n")])
    assert (finding.message, finding.fix) == ("one; two", "three")


def test_block_whose_query_stopped_short_is_located_on_its_resource() -> None:
    """`%buckets.Properties.X { ... }` on a bucket without Properties: cfn-guard reports a Block with an
    `unresolved` part and no clause; it is a FAIL at the deepest existing part plus the missing query."""
    error = "Check was not compliant as property [Properties.BucketEncryption.X[*].Y] is missing."
    block = {
        "Block": {
            "context": "GuardBlockAccessClause#Location[file:r.guard, line:35, column:5]",
            "messages": {"custom_message": "", "error_message": error},
            "unresolved": {
                "traversed_to": {"path": "/Resources/WorkBucket", "value": {"Type": "AWS::S3::Bucket"}},
                "remaining_query": "Properties.BucketEncryption.X[*].Y",
                "reason": "Could not find key Properties inside struct at /Resources/WorkBucket",
            },
        }
    }
    [finding] = parse([block])
    assert (finding.resource, finding.path) == (
        "WorkBucket",
        "/Resources/WorkBucket/Properties/BucketEncryption",
    )
    assert finding.message == error
