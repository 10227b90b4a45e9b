"""Every cross-check rule has its PASS, FAIL, and SKIP or SUPPRESSED case on the mini fixture."""

from __future__ import annotations

from tapgate.crosscheck import RULES, drift, leastpriv, scale
from tapgate.crosscheck.suppress import apply_inline

EMITTED = set(RULES)

CODE_RULES = {
    leastpriv.MISSING,
    leastpriv.UNUSED,
    leastpriv.UNDECIDABLE,
    drift.HANDLER,
    drift.ENV,
    drift.JURISDICTION,
    scale.SES,
}


def _by_status(findings) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in findings:
        found.setdefault(f.status.value, set()).add(f.rule)
    return found


def test_every_rule_passes_on_the_untouched_fixture_but_ses_which_has_no_sender(mini):
    states = _by_status(mini.findings())
    assert states["PASS"] == EMITTED - {scale.SES}
    assert states["SKIP"] == {scale.SES}
    assert "FAIL" not in states


def test_every_code_rule_skips_without_code_and_the_template_rules_still_run(mini):
    states = _by_status(mini.findings(code=False))
    assert states["SKIP"] == CODE_RULES
    assert EMITTED - CODE_RULES <= states["PASS"]


def _suppress(data: dict, resource: str, rule: str, reason: str = "accepted: see the runbook") -> None:
    metadata = data["Resources"][resource].setdefault("Metadata", {})
    metadata.setdefault("tapgate", {}).setdefault("Suppress", []).append({"rule": rule, "reason": reason})


def test_inline_suppression_with_a_reason_turns_each_fail_into_suppressed(mini):
    data = mini.template
    resources = data["Resources"]
    plan = resources["Machine"]["Properties"]["Definition"]["States"]["Plan"]
    plan["Parameters"]["FunctionName"] = (
        "${NotSubstituted}"  # outside the Map: the Map still runs WorkFunction
    )
    resources["WorkFunction"]["Properties"]["ReservedConcurrentExecutions"] = 2
    del resources["WorkFunction"]["Properties"]["Environment"]["Variables"]["KMS_KEY_ARN"]
    resources["WorkRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    )
    for resource, rule in (
        ("Machine", drift.STATE_FUNCTION),
        ("WorkFunction", scale.CONCURRENCY),
        ("WorkFunction", drift.ENV),
        ("WorkRole", leastpriv.UNUSED),
    ):
        _suppress(data, resource, rule)
    mini.write_template(data)
    raw = mini.findings()  # conftest applies Metadata.tapgate.Suppress as the gate does
    suppressed = {(f.rule, f.resource) for f in raw if f.status.value == "SUPPRESSED"}
    assert suppressed == {
        (drift.STATE_FUNCTION, "Machine"),
        (scale.CONCURRENCY, "WorkFunction"),
        (drift.ENV, "WorkFunction"),
        (leastpriv.UNUSED, "WorkRole"),
    }
    assert all(f.reason == "accepted: see the runbook" for f in raw if f.status.value == "SUPPRESSED")


def test_a_suppression_without_a_reason_still_fails(mini):
    data = mini.template
    data["Resources"]["WorkFunction"]["Properties"]["ReservedConcurrentExecutions"] = 2
    _suppress(data, "WorkFunction", scale.CONCURRENCY, reason="  ")
    mini.write_template(data)
    (finding,) = [f for f in apply_inline(mini.findings(), data) if f.status.value == "FAIL"]
    assert finding.rule == scale.CONCURRENCY and "no reason" in finding.message
