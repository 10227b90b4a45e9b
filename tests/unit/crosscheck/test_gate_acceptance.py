"""Acceptance through `tapgate check`: on copies of the real project, a call its role lacks or a grant no code
uses makes the gate exit 1 and name the action; the untouched project exits 0."""

from __future__ import annotations

import json

import pytest


def _gate(project, tmp_path) -> tuple[int, list[dict]]:
    from tapgate.cli import main

    out = tmp_path / "result.json"
    code = main(
        [
            "check",
            "--engines",
            "crosscheck",
            "--no-cache",
            "-f",
            "json",
            "-o",
            str(out),
            str(project.template_path),
        ]
    )
    if not out.exists():
        pytest.fail(f"the gate wrote no result (exit {code})")
    return code, [f for f in json.loads(out.read_text())["findings"] if f["status"] == "FAIL"]


def test_untouched_project_passes_the_gate(real_project, tmp_path):
    code, failing = _gate(real_project, tmp_path)
    assert (code, failing) == (0, [])


def test_a_call_the_role_lacks_fails_the_gate_and_names_the_action(real_project, tmp_path):
    real_project.edit_code(
        "deliver.py",
        "from tapcommon.aws import classify, client, get_object, put_object",
        "from tapcommon.aws import classify, client, get_object, put_object\n\n\n"
        'def _audit():\n    client("s3").delete_object(Bucket="b", Key="k")',
    )
    text = (real_project.root / "lambdas" / "deliver.py").read_text()
    handler_line = next(line for line in text.splitlines() if line.startswith("def lambda_handler("))
    real_project.edit_code("deliver.py", handler_line, handler_line + "\n    _audit()")
    code, failing = _gate(real_project, tmp_path)
    assert code == 1
    assert {(f["rule"], f["resource"], f["extra"]["action"]) for f in failing} == {
        ("TAPX_IAM_MISSING_ACTION", "DeliverRole", "s3:DeleteObject")
    }
    assert "s3:DeleteObject" in failing[0]["message"]


def test_a_grant_no_code_uses_fails_the_gate(real_project, tmp_path):
    data = real_project.template
    statements = data["Resources"]["PlanRolePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements.append({"Sid": "Unused", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"})
    real_project.write_template(data)
    code, failing = _gate(real_project, tmp_path)
    assert code == 1
    assert {(f["rule"], f["resource"], f["extra"]["action"]) for f in failing} == {
        ("TAPX_IAM_UNUSED_ACTION", "PlanRole", "dynamodb:GetItem")
    }
