"""TapStack.json hangs together: handlers exist, Tasks invoke the template's functions, the schedule starts
the state machine, and one execution's history stays far under the 25,000-event quota at 2,000 and 50,000
reports.

Each test reads the real template and asserts exact sets, so a renamed, added or dropped piece fails here.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tapgate.crosscheck.budgets import HISTORY_LIMIT, estimate_history_events

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "TapStack.json"
LAMBDAS_DIR = REPO_ROOT / "lambdas"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"

# docs/contract.md, "Lambda functions"
EXPECTED_HANDLERS = {
    "PlanFunction": "plan.lambda_handler",
    "GenerateFunction": "generate.lambda_handler",
    "ValidateFunction": "validate.lambda_handler",
    "DeliverFunction": "deliver.lambda_handler",
    "ConfirmFunction": "confirm.lambda_handler",
    "SesEventsFunction": "confirm.ses_events_handler",
    "MonthlySummaryFunction": "monthly_summary.lambda_handler",
    "DbInitFunction": "db_init.lambda_handler",
}
# docs/contract.md, "The state machine": every Task state and the function it invokes
EXPECTED_TASK_TARGETS = {
    "Plan": "PlanFunction",
    "Generate": "GenerateFunction",
    "Validate": "ValidateFunction",
    "Deliver": "DeliverFunction",
    "Confirm": "ConfirmFunction",
    "RecordBatchFailure": "ConfirmFunction",
    "FinalizeRun": "ConfirmFunction",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))


def resources_of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r.get("Type") == type_}


def module_level_functions(module_path: Path) -> set[str]:
    """Names a deployed module defines at top level (def, async def, or a plain assignment of a callable)."""
    tree = ast.parse(module_path.read_text(encoding="utf-8"), filename=str(module_path))
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def all_states(machine: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of a definition, including those inside Map processors and Parallel branches."""
    found: dict[str, dict[str, Any]] = {}
    for name, body in (machine.get("States") or {}).items():
        found[name] = body
        for inner in [body.get("ItemProcessor") or body.get("Iterator") or {}, *(body.get("Branches") or [])]:
            found |= all_states(inner)
    return found


def the_state_machine(template: dict[str, Any]) -> dict[str, Any]:
    machines = resources_of_type(template, "AWS::StepFunctions::StateMachine")
    assert set(machines) == {"ReportingStateMachine"}
    return machines["ReportingStateMachine"]


def test_every_lambda_has_the_contract_handler(template):
    handlers = {
        lid: r["Properties"]["Handler"]
        for lid, r in resources_of_type(template, "AWS::Lambda::Function").items()
    }
    assert handlers == EXPECTED_HANDLERS


@pytest.mark.parametrize(("logical_id", "handler"), sorted(EXPECTED_HANDLERS.items()))
def test_every_handler_exists_in_lambdas(logical_id, handler):
    module, function = handler.rsplit(".", 1)
    module_path = LAMBDAS_DIR / f"{module}.py"
    assert module_path.is_file(), f"{logical_id}: {module_path.relative_to(REPO_ROOT)} is missing"
    assert function in module_level_functions(module_path), f"{logical_id}: {handler} is not defined"


def test_every_task_invokes_a_function_of_the_template(template):
    machine = the_state_machine(template)["Properties"]
    substitutions = machine["DefinitionSubstitutions"]
    functions = resources_of_type(template, "AWS::Lambda::Function")
    targets = {}
    for name, state in all_states(machine["Definition"]).items():
        if state.get("Type") != "Task":
            continue
        assert state["Resource"] == LAMBDA_INVOKE, name
        placeholder = state["Parameters"]["FunctionName"]
        assert placeholder.startswith("${") and placeholder.endswith("}"), name
        target = substitutions[placeholder[2:-1]]
        assert target == {"Fn::GetAtt": [target["Fn::GetAtt"][0], "Arn"]}, name
        assert target["Fn::GetAtt"][0] in functions, name
        targets[name] = target["Fn::GetAtt"][0]
    assert targets == EXPECTED_TASK_TARGETS


def test_every_task_retries_with_backoff_and_full_jitter(template):
    definition = the_state_machine(template)["Properties"]["Definition"]
    tasks = {n: s for n, s in all_states(definition).items() if s.get("Type") == "Task"}
    without = {
        name
        for name, state in tasks.items()
        if not any(
            r.get("BackoffRate", 1) > 1
            and r.get("JitterStrategy") == "FULL"
            and r.get("MaxDelaySeconds")
            and "TransientError" in r.get("ErrorEquals", [])
            for r in state.get("Retry", [])
        )
    }
    assert without == set()


def test_batch_tasks_catch_into_record_batch_failure(template):
    definition = the_state_machine(template)["Properties"]["Definition"]
    processor = definition["States"]["ProcessBatches"]["ItemProcessor"]
    catching = {
        name
        for name, state in processor["States"].items()
        if any(
            c.get("Next") == "RecordBatchFailure" and "States.ALL" in c["ErrorEquals"]
            for c in state.get("Catch", [])
        )
    }
    assert catching == {"Generate", "Validate", "Deliver", "Confirm"}
    assert processor["States"]["RecordBatchFailure"]["Next"] == "BatchFailed"
    assert processor["States"]["BatchFailed"]["Type"] == "Succeed"


def test_the_map_is_distributed_over_the_plans_manifest(template):
    definition = the_state_machine(template)["Properties"]["Definition"]
    batches = definition["States"]["ProcessBatches"]
    assert batches["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert batches["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert "ItemBatcher" not in batches  # the plan pre-batches; moto cannot run ItemBatcher
    assert isinstance(batches["ToleratedFailurePercentage"], float)
    assert 1 <= batches["MaxConcurrency"] <= 40


def test_daily_schedule_starts_the_state_machine(template):
    rules = resources_of_type(template, "AWS::Events::Rule")
    scheduled = {lid for lid, r in rules.items() if "ScheduleExpression" in r["Properties"]}
    assert scheduled == {"DailyReportingRule", "MonthlySummaryRule"}

    daily = rules["DailyReportingRule"]["Properties"]
    assert daily["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    assert template["Parameters"]["ScheduleExpression"]["Default"] == "cron(0 10 * * ? *)"
    assert daily["State"] == "ENABLED"
    [target] = daily["Targets"]
    assert target["Arn"] == {"Ref": "ReportingStateMachine"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}

    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in template["Resources"][role_id]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Sid": "StartReportingRun",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": {"Ref": "ReportingStateMachine"},
        }
    ]


def test_daily_schedule_input_is_the_contract_execution_input(template):
    [target] = template["Resources"]["DailyReportingRule"]["Properties"]["Targets"]
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {"time": "$.time"}
    rendered = transformer["InputTemplate"].replace("<time>", json.dumps("2026-11-27T10:00:00Z"))
    assert json.loads(rendered) == {"scheduled_time": "2026-11-27T10:00:00Z", "trigger": "schedule"}


def test_monthly_schedule_invokes_the_summary(template):
    [target] = template["Resources"]["MonthlySummaryRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["MonthlySummaryFunction", "Arn"]}
    permission = template["Resources"]["MonthlySummaryInvokePermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::GetAtt": ["MonthlySummaryRule", "Arn"]}


@pytest.mark.parametrize("reports", [2_000, 50_000])
def test_history_stays_far_under_the_quota(template, reports):
    events = estimate_history_events(template, reports)
    assert events < HISTORY_LIMIT // 10, f"{events} events at {reports} reports"


def test_history_estimate_would_catch_an_inline_map(template):
    """The same workflow as an inline Map puts every batch in one history: the budget must see it."""
    inline = copy.deepcopy(template)
    batches = inline["Resources"]["ReportingStateMachine"]["Properties"]["Definition"]["States"][
        "ProcessBatches"
    ]
    batches["ItemProcessor"]["ProcessorConfig"] = {"Mode": "INLINE"}
    assert estimate_history_events(inline, 50_000) > HISTORY_LIMIT
