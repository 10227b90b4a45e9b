"""evidence.py's invariants judge a faulted day right, built with `tapgate simulate --faults` schedules:

- a send in doubt (`crash-any:DeliverFunction@5`: Deliver dies at its record of the first send, the
  statement that also claims the next report, after SES accepted the mail): the claim stays `sending`
  without a message id; `every_send_recorded`, `db_ses_agree` and `none_sent_twice` hold (the claim
  accounts for that one message). The same message
  sent a second time, or a message for a report whose claim is not in doubt, still breaks them;
- a Confirm that dies at its record, after its receipts (`crash-any:ConfirmFunction@6` with the first send
  rejected): the receipts are written, no confirmation is, the reports are failed with a record;
  `confirmed_have_receipts` holds. A receipt for the report that was never sent still breaks it, and the
  next run confirms the reports with the receipts already there.
"""

from __future__ import annotations

import email

import pytest
from faultday import REPORT_ID_HEADER, run_date, run_with_faults, sends, unaccounted

from tapgate.sim.evidence import collect
from tapgate.sim.faults import FaultPlan

pytestmark = pytest.mark.integration

SEND_INVARIANTS = ("every_send_recorded", "db_ses_agree", "none_sent_twice")


@pytest.fixture(scope="module")
def doubt_day():
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=5) as day:
        yield day


def _schedule(spec: str, *counted: str) -> dict[str, set[int]]:
    """The ordinals of a `--faults` SPEC, plus kinds that never fire, only count (`Injected.seen`)."""
    return FaultPlan.parse(spec).ordinals | {kind: set() for kind in counted}


def _recollect(day, run):
    return collect(day.stack, run.business_date.isoformat(), ses_from=run.ses_from)


def _send_in_doubt(day):
    run = run_with_faults(day, _schedule("crash-any:DeliverFunction@5", "ses-reject"), reports=5)
    (fault,) = run.faults
    assert fault.operation == "ExecuteStatement" and fault.seen["ses-reject"] == 1  # the record, after a send
    (in_doubt,) = run.outcome.evidence.in_doubt()
    messages = sends(day, run.ses_from)
    assert [report for _, report in messages] == [in_doubt]  # SES accepted it; the database has no id
    return run, in_doubt, messages[0][0]


def _send_again(day, message_id: str, report_id: str | None = None) -> None:
    """SES accepts the message `message_id` once more (for another report when `report_id` is given)."""
    from moto.ses.models import ses_backends

    backend = ses_backends[day.stack.deployment.resolver.account][day.stack.deployment.region]
    (message,) = [m for m in backend.sent_messages if m.id == message_id]
    raw, original = message.raw_data, email.message_from_string(message.raw_data)[REPORT_ID_HEADER]
    if report_id:
        raw = raw.replace(f"{REPORT_ID_HEADER}: {original}", f"{REPORT_ID_HEADER}: {report_id}", 1)
    day.stack.client("ses").send_raw_email(
        Source=message.source, Destinations=message.destinations, RawMessage={"Data": raw}
    )


def test_a_send_in_doubt_is_accounted_for_by_its_claim(doubt_day):
    run, in_doubt, _ = _send_in_doubt(doubt_day)
    assert run.outcome.evidence.final_status(in_doubt) == "failed"
    assert run.result["invariants"] == dict.fromkeys(run.result["invariants"], True)
    assert unaccounted(doubt_day, run) == []


def test_a_second_message_for_a_report_in_doubt_is_still_sent_twice(doubt_day):
    run, _, message_id = _send_in_doubt(doubt_day)
    _send_again(doubt_day, message_id)
    invariants = _recollect(doubt_day, run).invariants()
    assert {name: invariants[name] for name in SEND_INVARIANTS} == {
        "every_send_recorded": True,  # each is a message of the claim in doubt …
        "db_ses_agree": False,  # … which accounts for one only
        "none_sent_twice": False,
    }


def test_a_message_for_a_failed_report_not_in_doubt_is_still_unrecorded(doubt_day):
    run, in_doubt, message_id = _send_in_doubt(doubt_day)
    other = sorted(set(run.outcome.evidence.jobs) - {in_doubt})[0]
    assert run.outcome.evidence.final_status(other) == "failed"  # the batch failed with the crash
    _send_again(doubt_day, message_id, report_id=other)
    invariants = _recollect(doubt_day, run).invariants()
    assert not invariants["every_send_recorded"] and not invariants["db_ses_agree"]
    assert invariants["none_sent_twice"]


def _confirm_died_at_its_record(day):
    # the first send is refused (that report is never sent); Confirm's calls: the read of confirmations,
    # four receipt puts, then the one statement that records the sends, confirmations, jobs and audit
    # events: the 6th
    schedule = _schedule("crash-any:ConfirmFunction@6,ses-reject@1")
    run = run_with_faults(day, schedule, reports=5)
    assert run.injected == {"crash-any:ConfirmFunction": 1, "ses-reject": 1}
    ev = run.outcome.evidence
    (never_sent,) = [r for r, d in ev.deliveries.items() if d["status"] == "failed"]
    sent = set(ev.jobs) - {never_sent}
    assert ev.confirmations == set()  # the process died before its record
    assert {key.rsplit("/", 1)[-1].removesuffix(".json") for key in ev.s3_receipts} == sent
    assert {ev.final_status(r) for r in ev.jobs} == {"failed"}
    return run, never_sent


def test_receipts_left_by_a_confirm_that_died_at_its_record_are_no_failure(doubt_day):
    run, _ = _confirm_died_at_its_record(doubt_day)
    assert run.result["invariants"] == dict.fromkeys(run.result["invariants"], True)
    assert unaccounted(doubt_day, run) == []
    again = run_date(doubt_day, run.business_date, {}, run.data)  # the next run confirms with them
    assert again.result["confirmed"] == len(again.outcome.evidence.jobs)  # the refused one sent now
    assert run.outcome.evidence.s3_receipts < again.outcome.evidence.s3_receipts
    assert again.result["invariants"]["confirmed_have_receipts"]
    assert again.result["invariants"]["none_sent_twice"]


def test_a_receipt_for_the_report_never_sent_is_still_a_failure(doubt_day):
    run, never_sent = _confirm_died_at_its_record(doubt_day)
    ev = run.outcome.evidence
    jurisdiction = ev.jobs[never_sent]["jurisdiction"]
    doubt_day.stack.client("s3").put_object(
        Bucket=doubt_day.stack.deployment.physical("ReportBucket"),
        Key=f"confirmations/{jurisdiction}/{ev.business_date}/{never_sent}.json",
        Body=b"{}",
        ChecksumAlgorithm="SHA256",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=doubt_day.stack.deployment.resolver.get_att("DataKey", "Arn"),
    )
    assert not _recollect(doubt_day, run).invariants()["confirmed_have_receipts"]
