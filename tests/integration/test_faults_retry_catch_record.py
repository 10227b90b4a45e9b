"""Faults injected at the boto3 level (moto's before-send hook) on the handlers' own calls: SES throttling
and MessageRejected, S3 5xx, Data API timeouts and BadRequest, a handler crash mid-batch.

- transient faults the SDK absorbs leave every report confirmed;
- throttling that outlasts the SDK is retried by the state machine exactly as the template's Retry says
  (MaxAttempts, IntervalSeconds × BackoffRate^n capped by MaxDelaySeconds, FULL jitter), then caught;
- permanent failures are caught, recorded (batch_failures / deliveries) and alarmed through the metric an
  alarm of the template watches; none is retried; nothing is sent twice.
"""

from __future__ import annotations

import pytest
from faultday import run_with_faults

from tapgate.sim.retries import interval_bound, matching_retrier, states_by_name

pytestmark = pytest.mark.integration

ALWAYS = set(range(1, 400))  # every call of the kind in the run


@pytest.fixture(scope="module")
def fault_day():
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=5) as day:
        yield day


def _alarmed_metrics(day) -> set[str]:
    resources = day.stack.template["Resources"].values()
    return {r["Properties"].get("MetricName") for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_transient_faults_absorbed_by_the_sdk_leave_every_report_confirmed(fault_day):
    run = run_with_faults(fault_day, {"s3-5xx": {2}, "dataapi-timeout": {7}, "ses-throttle": {3}})
    assert run.injected == {"s3-5xx": 1, "dataapi-timeout": 1, "ses-throttle": 1}
    assert run.result["invariants"] == dict.fromkeys(run.result["invariants"], True), run.result["metrics"]
    assert run.result["failed"] == 0
    assert run.result["retries"]["sdk_retries"] >= 3


def test_throttling_beyond_the_sdk_is_retried_as_the_template_says_then_caught(fault_day):
    run = run_with_faults(fault_day, {"ses-throttle": ALWAYS})
    deliver = states_by_name(fault_day.definition())["Deliver"]
    retrier = matching_retrier(deliver, "TransientError")
    deliver_retries = [r for r in run.retries if r.state == "Deliver"]
    batches = len([r for r in deliver_retries if r.attempt == 1])
    assert deliver_retries and {r.error for r in deliver_retries} == {"TransientError"}
    # each batch's Deliver was retried exactly MaxAttempts times, within the declared intervals
    attempts = sorted(r.attempt for r in deliver_retries)
    assert attempts == sorted(list(range(1, retrier["MaxAttempts"] + 1)) * batches)
    for record in deliver_retries:
        assert 0 <= record.interval_s <= interval_bound(retrier, record.attempt)
    assert run.result["retries"]["problems"] == []
    assert run.result["invariants"]["retries_follow_template"]
    # then caught, recorded, alarmed; nothing sent
    assert run.result["confirmed"] == 0 and run.result["ses_messages"] == 0
    assert run.result["failed"] == run.result["reports"] - run.result["quarantined"]
    assert run.result["invariants"]["failed_have_record"]
    assert run.result["metrics"].get("BatchFailures", 0) >= 1
    assert "BatchFailures" in _alarmed_metrics(fault_day)


def test_message_rejected_fails_that_report_with_a_record_and_the_rest_confirm(fault_day):
    run = run_with_faults(fault_day, {"ses-reject": {4}})
    assert run.injected == {"ses-reject": 1}
    assert run.result["failed"] == 1
    assert run.result["confirmed"] == run.result["reports"] - run.result["quarantined"] - 1
    assert run.result["metrics"]["DeliveryFailures"] == 1 and "DeliveryFailures" in _alarmed_metrics(
        fault_day
    )
    assert not [r for r in run.retries if r.state == "Deliver"]  # a permanent refusal is not retried
    assert run.result["invariants"] == dict.fromkeys(run.result["invariants"], True)


def test_data_api_bad_request_is_permanent_caught_and_recorded(fault_day):
    run = run_with_faults(fault_day, {"dataapi-badrequest:GenerateFunction": {2}})
    assert run.injected == {"dataapi-badrequest:GenerateFunction": 1}
    assert run.retries == []  # PermanentError: no Retry of the template names it
    assert run.result["failed"] >= 1
    assert run.result["metrics"]["BatchFailures"] >= 1
    assert run.result["invariants"] == dict.fromkeys(run.result["invariants"], True)


def test_handler_crash_mid_batch_every_report_ends_final_and_none_twice(fault_day):
    run = run_with_faults(fault_day, {"crash": {3}})
    assert run.injected == {"crash": 1}
    assert run.result["invariants"]["none_sent_twice"]
    assert run.result["invariants"]["every_report_final"]


def test_handler_crash_mid_batch_is_caught_recorded_and_sends_nothing_twice(fault_day):
    run = run_with_faults(fault_day, {"crash": {3}})
    assert run.outcome.status == "SUCCEEDED"
    assert [r for r in run.retries if r.state == "Deliver"] == []  # Runtime.ExitError is in no Retry
    assert run.result["metrics"]["BatchFailures"] >= 1
    for name in ("none_sent_twice", "every_send_recorded", "no_report_lost", "failed_have_record"):
        assert run.result["invariants"][name], name


def test_a_permanent_plan_failure_fails_the_execution_which_an_alarm_watches_and_touches_no_report(fault_day):
    run = run_with_faults(fault_day, {"dataapi-badrequest:PlanFunction": {1}})
    assert run.outcome.status == "FAILED"
    assert run.result["ses_messages"] == 0 and run.result["generated"] == 0
    assert set(run.outcome.evidence.status_counts()) == {"pending"}  # left for the next run, none lost
    assert "ExecutionsFailed" in _alarmed_metrics(fault_day)


def test_a_permanent_failure_in_confirm_leaves_every_report_final(fault_day):
    run = run_with_faults(fault_day, {"dataapi-badrequest:ConfirmFunction": {1}})
    assert run.injected == {"dataapi-badrequest:ConfirmFunction": 1}
    assert run.result["invariants"]["none_sent_twice"]
    assert run.result["invariants"]["every_report_final"]
