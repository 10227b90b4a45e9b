"""Regressions found by the fault property (test_faults_property_invariants.py), replayed as plain tests.

- A Data API BadRequest on Deliver's record of a send (after SES accepted the mail; the record goes with the
  next report's claim, and alone when that joint statement fails): the report was left
  `validated`, its claim `sending` with no message id, so the mail out was recorded nowhere. Now the report
  is reported delivered (its message id is known) and Confirm records the send with the confirmation,
  or RecordBatchFailure does if that batch's Confirm fails too.
- A crash at an SES send leaves that report's claim in doubt (`sending`, no message id: the mail may be
  out). The next run of the date found the claim, reported the report failed, and recorded nothing: the
  report went back to `validated` and stayed there. Now Deliver fails the job and notes the doubt on its
  claim, which stays `sending`, so it is never sent again.
- A Data API BadRequest on Deliver's claim put the report in the Task's `failed` list, which nothing
  records: the report stayed `validated`. A database failure in Deliver (claim, release, in-doubt record)
  now fails the batch, and RecordBatchFailure fails its unfinished reports with a record.
"""

from __future__ import annotations

import pytest
from faultday import run_date, run_with_faults, sends, unaccounted

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def regression_day():
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=5) as day:
        yield day


def test_bad_request_on_delivers_record_of_a_send_leaves_the_send_recorded_and_the_report_final(
    regression_day,
):
    # Deliver's Data API calls: the first report's claim; then, after its send, one statement that records
    # that send and claims the next report (2); when it fails, the record alone (3), then the claim alone.
    # Failing 2 and 3 fails the record of the first send. `ses-reject` with no ordinal never fires: it counts
    # the sends, to show the faults came after one.
    schedule = {"dataapi-badrequest:DeliverFunction": {2, 3}, "ses-reject": set()}
    run = run_with_faults(regression_day, schedule, reports=30)
    assert [(f.kind, f.seen["ses-reject"]) for f in run.faults] == [
        ("dataapi-badrequest:DeliverFunction", 1)
    ] * 2  # after a send
    assert unaccounted(regression_day, run) == []
    assert run.result["invariants"] == dict.fromkeys(run.result["invariants"], True)
    assert len(sends(regression_day, run.ses_from)) == run.result["confirmed"]


def test_a_claim_left_in_doubt_by_a_crash_at_the_send_fails_with_a_record_on_the_next_run(regression_day):
    run = run_with_faults(regression_day, {"crash": {1}}, reports=30)
    assert run.injected == {"crash": 1}
    again = run_date(regression_day, run.business_date, {}, run.data)
    assert again.outcome.status == "SUCCEEDED"
    assert unaccounted(regression_day, again, since=run.ses_from) == []
    (in_doubt,) = [r for r, d in again.outcome.evidence.deliveries.items() if not d["message_id"]]
    assert again.outcome.evidence.deliveries[in_doubt]["status"] == "sending"  # never claimed again
    assert again.outcome.evidence.final_status(in_doubt) == "failed"


def test_bad_request_on_delivers_claim_fails_the_batch_with_a_record(regression_day):
    schedule = {"dataapi-badrequest:DeliverFunction": {1}, "ses-reject": set()}
    run = run_with_faults(regression_day, schedule, reports=30)
    (fault,) = run.faults
    assert fault.seen.get("ses-reject", 0) == 0  # the first report's claim, before any send
    assert unaccounted(regression_day, run) == []
    assert run.result["metrics"]["BatchFailures"] >= 1
    assert run.result["invariants"]["failed_have_record"] and run.result["invariants"]["every_report_final"]


def test_sends_deliver_could_not_record_are_recorded_by_confirm_or_by_record_batch_failure(regression_day):
    # Every record of a send in Deliver's first batch fails: after the first claim its Data API calls go in
    # threes (the joint record-and-claim fails, the record alone fails, the claim alone succeeds), and the
    # batch's last record (alone) fails too. The first Confirm's first call fails as well, so that batch's
    # sends are recorded by RecordBatchFailure. (The same pattern fails the next batch's first claim: that
    # batch fails before any send, with a record.)
    schedule = {
        "dataapi-badrequest:DeliverFunction": {n for n in range(2, 120) if n % 3 != 1},
        "dataapi-badrequest:ConfirmFunction": {1},
    }
    run = run_with_faults(regression_day, schedule, reports=30)
    assert run.injected["dataapi-badrequest:ConfirmFunction"] == 1
    assert unaccounted(regression_day, run) == []
    deliveries = run.outcome.evidence.deliveries
    messages = sends(regression_day, run.ses_from)
    assert messages and all(deliveries[report]["message_id"] == message for message, report in messages)
    assert run.result["metrics"]["BatchFailures"] >= 1
