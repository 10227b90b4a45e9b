"""Least privilege from the code on the mini fixture: missing, unused, undecidable; any role name."""

from __future__ import annotations

from tapgate.crosscheck.leastpriv import MISSING, UNDECIDABLE, UNUSED


def test_untouched_fixture_has_no_failure(mini):
    findings = mini.findings()
    assert [f for f in findings if f.status.value == "FAIL"] == []
    passed = {(f.rule, f.resource) for f in findings if f.status.value == "PASS"}
    for role in ("WorkRole", "MachineRole", "StartRole"):
        assert {(MISSING, role), (UNUSED, role), (UNDECIDABLE, role)} <= passed


def test_a_new_boto3_call_the_role_lacks_is_missing_with_its_code_location(mini):
    mini.add_sns_publish()
    findings = [f for f in mini.findings() if f.status.value == "FAIL"]
    assert {(f.rule, f.resource, f.extra["action"]) for f in findings} == {
        (MISSING, "WorkRole", "sns:Publish")
    }
    assert findings[0].code_location == "lambdas/work.py:13"


def test_a_helper_factory_and_getattr_forwarder_are_followed(mini):
    from tapgate.crosscheck.codescan import CodeAnalyzer

    facts = CodeAnalyzer(mini.root / "lambdas").facts("work", "lambda_handler")
    assert {(c.service, c.method) for c in facts.calls} == {
        ("s3", "put_object"),
        ("rds-data", "execute_statement"),
    }
    assert {e.name for e in facts.env_reads} == {"DB_CLUSTER_ARN", "WORK_BUCKET", "KMS_KEY_ARN"}
    assert facts.uses_tracer


def test_a_grant_no_code_uses_is_unused_with_its_pointer(mini):
    data = mini.template
    statements = data["Resources"]["WorkRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    statements.append({"Sid": "Extra", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"})
    mini.write_template(data)
    (finding,) = [f for f in mini.findings() if f.status.value == "FAIL"]
    assert (finding.rule, finding.resource, finding.extra["action"]) == (
        UNUSED,
        "WorkRole",
        "sqs:SendMessage",
    )
    assert finding.path == "/Resources/WorkRole/Properties/Policies/0/PolicyDocument/Statement/6/Action/0"
    assert finding.line is not None


def test_a_dynamic_service_name_is_undecidable_not_guessed(mini):
    mini.edit_code(
        "work.py", '    return {"ok": True}', '    client(event["svc"]).do_it()\n    return {"ok": True}'
    )
    mini.edit_code(
        "work.py",
        "from common.aws import Db, put, setting",
        "from common.aws import Db, client, put, setting",
    )
    assert mini.failing() == {(UNDECIDABLE, "WorkRole")}


def test_a_role_on_an_attached_policy_loses_a_needed_action(mini):
    data = mini.template
    data["Resources"]["MachinePolicy"]["Properties"]["PolicyDocument"]["Statement"][1]["Action"].remove(
        "states:StartExecution"
    )
    mini.write_template(data)
    assert mini.failing() == {(MISSING, "MachineRole")}


def test_renamed_logical_ids_keep_the_verdicts(mini):
    text = mini.template_path.read_text().replace("WorkRole", "R1").replace("WorkFunction", "F1")
    mini.template_path.write_text(text.replace('"sqs:', '"sqs:'))
    data = mini.template
    data["Resources"]["R1"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    )
    mini.write_template(data)
    assert mini.failing() == {(UNUSED, "R1")}


def test_without_code_the_function_roles_skip_with_a_reason(mini):
    findings = mini.findings(code=False)
    skipped = {(f.rule, f.resource) for f in findings if f.status.value == "SKIP"}
    assert {(MISSING, "WorkRole"), (UNUSED, "WorkRole"), (UNDECIDABLE, "WorkRole")} <= skipped
    assert all(f.reason for f in findings if f.status.value == "SKIP")
    assert not [f for f in findings if f.status.value == "FAIL"]


def test_a_role_from_outside_the_template_is_undecidable_on_the_function(mini):
    data = mini.template
    data["Resources"]["WorkFunction"]["Properties"]["Role"] = "arn:aws:iam::123456789012:role/elsewhere"
    mini.write_template(data)
    failing = mini.failing()
    assert (UNDECIDABLE, "WorkFunction") in failing
    assert not any(resource == "WorkRole" for _, resource in failing)  # no longer anyone's role: not judged


def test_the_eventbridge_role_must_allow_starting_its_target(mini):
    data = mini.template
    statement = data["Resources"]["StartRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    statement["Resource"] = "arn:aws:states:us-east-1:123456789012:stateMachine:other"
    mini.write_template(data)
    (finding,) = [f for f in mini.findings() if f.status.value == "FAIL"]
    assert (finding.rule, finding.resource, finding.extra["target"]) == (MISSING, "StartRole", "Machine")
    assert "states:StartExecution on Machine" in finding.message
