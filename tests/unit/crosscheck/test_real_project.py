"""Acceptance on copies of the real project (TapStack.json + lambdas/): added calls and grants are caught."""

from __future__ import annotations

from tapgate.crosscheck.leastpriv import MISSING, UNUSED


def test_a_handler_gaining_a_call_its_role_lacks(real_project):
    before = real_project.failing()
    real_project.edit_code(
        "tapcommon/aws.py",
        "def reset_clients() -> None:",
        'def _probe() -> None:\n    client("sqs").purge_queue(QueueUrl="q")\n\n\n'
        "def reset_clients() -> None:",
    )
    real_project.edit_code(
        "db_init.py",
        "    status, reason, data =",
        "    from tapcommon.aws import _probe\n\n    _probe()\n    status, reason, data =",
    )
    added = [
        f for f in real_project.findings() if f.status.value == "FAIL" and (f.rule, f.resource) not in before
    ]
    assert {(f.rule, f.resource, f.extra["action"]) for f in added} == {
        (MISSING, "DbInitRole", "sqs:PurgeQueue")
    }


def test_a_role_gaining_a_grant_no_code_uses(real_project):
    data = real_project.template
    statements = data["Resources"]["PlanRolePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements.append({"Sid": "Unused", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"})
    real_project.write_template(data)
    unused = {
        f.extra["action"]
        for f in real_project.findings()
        if f.status.value == "FAIL" and f.rule == UNUSED and f.resource == "PlanRole"
    }
    assert "dynamodb:GetItem" in unused


def test_the_state_machine_as_an_inline_map_over_all_reports_fails_history_at_2000(real_project):
    from tapgate.crosscheck.budgets import HISTORY_LIMIT, estimate_history_events
    from tapgate.crosscheck.scale import HISTORY

    data = real_project.template
    machine = data["Resources"]["ReportingStateMachine"]["Properties"]["Definition"]
    process = next(s for s in machine["States"].values() if s.get("Type") == "Map")
    process.pop("ItemReader", None)
    process["ItemProcessor"]["ProcessorConfig"] = {"Mode": "INLINE"}
    real_project.write_template(data)
    assert estimate_history_events(data, 2_000) > HISTORY_LIMIT
    failing = {
        (f.rule, f.resource, f.extra.get("reports"))
        for f in real_project.findings()
        if f.status.value == "FAIL"
    }
    assert (HISTORY, "ReportingStateMachine", 2_000) in failing


def test_the_untouched_project_has_no_failure_and_its_suppressions_have_reasons(real_project):
    findings = real_project.findings()
    assert [f for f in findings if f.status.value == "FAIL"] == []
    assert all(f.reason for f in findings if f.status.value in ("SUPPRESSED", "SKIP"))


def test_versioned_reads_are_derived_from_the_dict_splat(real_project):
    """tapcommon.aws.get_object passes VersionId through **args: the role's s3:GetObjectVersion is used."""
    findings = real_project.findings()
    unused = {
        (f.resource, f.extra.get("action"))
        for f in findings
        if f.rule == "TAPX_IAM_UNUSED_ACTION" and f.status.value != "PASS"
    }
    assert ("ValidateRole", "s3:GetObjectVersion") not in unused
    assert ("DeliverRole", "s3:GetObjectVersion") not in unused


def test_the_state_machine_role_must_name_every_function_its_tasks_invoke(real_project):
    data = real_project.template
    statements = data["Resources"]["StateMachineRolePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    invoke = next(s for s in statements if "lambda:InvokeFunction" in s["Action"])
    invoke["Resource"] = [r for r in invoke["Resource"] if "ConfirmFunction" not in str(r)]
    real_project.write_template(data)
    failing = [f for f in real_project.findings() if f.status.value == "FAIL"]
    assert {(f.rule, f.resource, f.extra["action"], f.extra["target"]) for f in failing} == {
        (MISSING, "StateMachineRole", "lambda:InvokeFunction", "ConfirmFunction")
    }
