"""Step Functions history estimate: inline Map iterations count in the parent, Distributed children not."""

from __future__ import annotations

import copy

from tapgate.crosscheck.budgets import HISTORY_LIMIT, estimate_history_events, history_estimates


def _task(next_state: str | None = None, retry: bool = True) -> dict:
    body: dict = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"}
    if retry:
        body["Retry"] = [{"ErrorEquals": ["TransientError"], "MaxAttempts": 3}]
    body.update({"Next": next_state} if next_state else {"End": True})
    return body


def _processor() -> dict:
    return {
        "StartAt": "Generate",
        "States": {
            "Generate": _task("Validate"),
            "Validate": _task("AnyValid"),
            "AnyValid": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Deliver"}],
                "Default": "Done",
            },
            "Deliver": _task("Confirm"),
            "Confirm": _task("Done"),
            "Done": {"Type": "Succeed"},
        },
    }


def _template(mode: str) -> dict:
    processor = _processor()
    processor["ProcessorConfig"] = {"Mode": mode, "ExecutionType": "STANDARD"}
    map_state = {"Type": "Map", "ItemProcessor": processor, "Next": "Finalize", "MaxConcurrency": 10}
    definition = {
        "StartAt": "Plan",
        "States": {"Plan": _task("Process"), "Process": map_state, "Finalize": _task()},
    }
    return {
        "Resources": {
            "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": definition}}
        }
    }


def test_inline_map_over_every_report_breaks_the_limit_at_2000():
    events = estimate_history_events(_template("INLINE"), 2000, retry_rate=0)
    # 2 (execution) + 5 (Plan) + 4 (Map) + 2000 × (2 + 4 tasks × 5 + Choice 2 + Succeed 2) + 5 (Finalize)
    assert events == 2 + 5 + 4 + 2000 * 26 + 5
    assert events > HISTORY_LIMIT


def test_distributed_map_keeps_the_parent_small_and_checks_each_child():
    histories = history_estimates(_template("DISTRIBUTED"), 2000, retry_rate=0)
    assert [(h.scope, h.events, h.executions) for h in histories] == [
        ("execution", 2 + 5 + 4 + 5, 1),
        ("child of Process", 2 + 4 * 5 + 2 + 2, 2000),
    ]
    assert estimate_history_events(_template("DISTRIBUTED"), 50_000) < HISTORY_LIMIT


def test_retries_add_three_events_per_retry_on_average():
    without = estimate_history_events(_template("INLINE"), 10, retry_rate=0)
    with_retries = estimate_history_events(_template("INLINE"), 10, retry_rate=1.0)
    assert with_retries - without == 3 * (2 + 10 * 4)  # every Task with a Retry: Plan, Finalize, 4 per item


def test_item_batcher_and_reports_per_item_reduce_iterations():
    template = _template("INLINE")
    batched = copy.deepcopy(template)
    batched["Resources"]["Machine"]["Properties"]["Definition"]["States"]["Process"]["ItemBatcher"] = {
        "MaxItemsPerBatch": 25
    }
    assert estimate_history_events(batched, 2000, retry_rate=0) == 2 + 5 + 4 + 80 * 26 + 5
    assert (
        estimate_history_events(template, 2000, reports_per_item=25, retry_rate=0) == 2 + 5 + 4 + 80 * 26 + 5
    )


def test_definition_string_with_fn_sub_is_read():
    import json

    template = _template("INLINE")
    props = template["Resources"]["Machine"]["Properties"]
    props["DefinitionString"] = {"Fn::Sub": [json.dumps(props.pop("Definition")), {"X": "y"}]}
    assert estimate_history_events(template, 2000, retry_rate=0) == 2 + 5 + 4 + 2000 * 26 + 5


def test_a_loop_is_counted_once_and_reported():
    definition = {
        "StartAt": "A",
        "States": {
            "A": _task("B", retry=False),
            "B": {"Type": "Choice", "Choices": [{"Next": "A"}], "Default": "C"},
            "C": {"Type": "Succeed"},
        },
    }
    template = {
        "Resources": {
            "M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": definition}}
        }
    }
    (history,) = history_estimates(template, 1)
    assert history.events == 2 + 5 + 2 + 2
    assert history.loops == ["A"]


def test_no_state_machine_means_no_history():
    assert estimate_history_events({"Resources": {}}, 2000) == 0
