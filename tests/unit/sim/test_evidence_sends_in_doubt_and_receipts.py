"""evidence.py's send and receipt invariants, on hand-built evidence:

- `every_send_recorded` / `db_ses_agree` / `none_sent_twice`: an SES message is recorded when its report's
  deliveries row holds its id; a claim in doubt (`sending`, no message id) accounts for at most one message
  of its report, and only while the report is not confirmed or quarantined; a second message for any
  report, a message recorded nowhere, a recorded id SES never accepted, or a message recorded against
  another report than its header names, break them;
- `confirmed_have_receipts`: confirmations are exactly the confirmed reports, each with its receipt; a
  receipt without a confirmation (a Confirm that died in its transaction) is allowed for a sent report
  that is not confirmed or quarantined, not for a report never sent, a quarantined one, or one filed
  under another jurisdiction.
"""

from __future__ import annotations

from tapgate.sim.evidence import DayEvidence

DATE = "2026-11-26"
SENT = {"status": "sent", "report_key": "k", "version_id": "v"}
IN_DOUBT = {"status": "sending", "message_id": None, "report_key": None, "version_id": None}
SEND_INVARIANTS = ("every_send_recorded", "db_ses_agree", "none_sent_twice")


def _receipt(report_id: str, jurisdiction: str = "UK_FCA") -> str:
    return f"confirmations/{jurisdiction}/{DATE}/{report_id}.json"


def _day(jobs, deliveries, messages, *, earlier=None, receipts=None, confirmations=None, batch_failures=()):
    """`messages`: (message id, report id in its header) accepted during the run; `earlier`: before it."""
    confirmed = {r for r, s in jobs.items() if s == "confirmed"}
    return DayEvidence(
        business_date=DATE,
        jobs={r: {"jurisdiction": "UK_FCA", "status": s} for r, s in jobs.items()},
        generated=set(jobs),
        validated=set(jobs),
        quarantined_with_violations={r for r, s in jobs.items() if s == "quarantined"},
        deliveries=deliveries,
        confirmations=confirmed if confirmations is None else confirmations,
        batch_failure_reports=set(batch_failures),
        s3_reports={f"reports/UK_FCA/{DATE}/{r}.csv": 1 for r in confirmed},
        s3_receipts={_receipt(r) for r in confirmed} if receipts is None else receipts,
        s3_quarantine={f"quarantine/UK_FCA/{DATE}/{r}" for r, s in jobs.items() if s == "quarantined"},
        ses_messages=[m for m, _ in messages],
        ses_reports=dict(earlier or []) | dict(messages),
        metrics={  # what the handlers would have emitted
            "ReportsConfirmed": len(confirmed),
            "ReportsDelivered": sum(1 for d in deliveries.values() if d.get("message_id")),
            "ValidationFailures": sum(1 for s in jobs.values() if s == "quarantined"),
        },
    )


def _verdicts(day: DayEvidence, names=SEND_INVARIANTS) -> dict[str, bool]:
    invariants = day.invariants()
    return {name: invariants[name] for name in names}


def _in_doubt_day(**overrides):
    """r1 confirmed and recorded; r2's process died after SES accepted m2 and before the record."""
    args = {
        "jobs": {"r1": "confirmed", "r2": "failed"},
        "deliveries": {"r1": {**SENT, "message_id": "m1"}, "r2": IN_DOUBT},
        "messages": [("m1", "r1"), ("m2", "r2")],
    }
    return _day(**(args | overrides))


def test_one_message_of_a_failed_report_in_doubt_is_accounted_for():
    day = _in_doubt_day()
    assert day.send_account({"r1": "confirmed", "r2": "failed"}).doubt_sends == {"r2": 1}
    assert _verdicts(day) == dict.fromkeys(SEND_INVARIANTS, True)
    assert day.invariants() == dict.fromkeys(day.invariants(), True)


def test_a_claim_in_doubt_with_nothing_sent_is_fine_too():
    day = _in_doubt_day(messages=[("m1", "r1")])
    assert _verdicts(day) == dict.fromkeys(SEND_INVARIANTS, True)


def test_a_claim_in_doubt_accounts_for_one_message_never_two():
    day = _in_doubt_day(messages=[("m1", "r1"), ("m2", "r2"), ("m3", "r2")])
    assert _verdicts(day) == {"every_send_recorded": True, "db_ses_agree": False, "none_sent_twice": False}


def test_a_second_message_in_a_later_run_is_sent_twice():
    day = _in_doubt_day(messages=[("m3", "r2")], earlier=[("m1", "r1"), ("m2", "r2")])
    assert not day.invariants()["none_sent_twice"]


def test_a_message_of_a_report_not_in_doubt_and_not_recorded_is_unrecorded():
    day = _in_doubt_day(deliveries={"r1": {**SENT, "message_id": "m1"}})  # r2 has no claim at all
    verdicts = _verdicts(day)
    assert not verdicts["every_send_recorded"] and not verdicts["db_ses_agree"]


def test_a_confirmed_report_cannot_hide_an_extra_message_behind_a_claim_in_doubt():
    day = _in_doubt_day(jobs={"r1": "confirmed", "r2": "confirmed"})
    assert not day.invariants()["every_send_recorded"]


def test_a_quarantined_report_in_doubt_is_never_sent():
    day = _in_doubt_day(jobs={"r1": "confirmed", "r2": "quarantined"})
    invariants = day.invariants()
    assert not invariants["every_send_recorded"] and not invariants["quarantined_never_sent"]


def test_a_message_without_the_header_is_matched_by_its_recorded_id_only():
    recorded = _in_doubt_day(messages=[("m1", None)], deliveries={"r1": {**SENT, "message_id": "m1"}})
    assert _verdicts(recorded) == dict.fromkeys(SEND_INVARIANTS, True)
    stray = _in_doubt_day(messages=[("m1", "r1"), ("m9", None)])  # in doubt or not, m9 names no report
    assert not stray.invariants()["every_send_recorded"]


def test_a_message_recorded_against_another_report_is_not_recorded():
    day = _in_doubt_day(messages=[("m1", "r2")], deliveries={"r1": {**SENT, "message_id": "m1"}})
    assert not day.invariants()["every_send_recorded"]


def test_a_recorded_message_id_ses_never_accepted_breaks_db_ses_agree():
    day = _in_doubt_day(messages=[("m2", "r2")])  # r1's row holds m1, which SES never had
    assert _verdicts(day) == {"every_send_recorded": True, "db_ses_agree": False, "none_sent_twice": True}


def test_a_rerun_that_sends_nothing_agrees_with_the_earlier_runs_messages():
    day = _in_doubt_day(messages=[], earlier=[("m1", "r1"), ("m2", "r2"), ("m0", "other-day")])
    assert _verdicts(day) == dict.fromkeys(SEND_INVARIANTS, True)


def _crashed_confirm_day(**overrides):
    """r1 confirmed; r2 delivered, its receipt written, and then Confirm died before its record."""
    args = {
        "jobs": {"r1": "confirmed", "r2": "failed"},
        "deliveries": {"r1": {**SENT, "message_id": "m1"}, "r2": {**SENT, "message_id": "m2"}},
        "messages": [("m1", "r1"), ("m2", "r2")],
        "receipts": {_receipt("r1"), _receipt("r2")},
        "batch_failures": {"r2"},
    }
    return _day(**(args | overrides))


def test_a_receipt_left_by_a_confirm_that_died_before_its_record_is_allowed():
    day = _crashed_confirm_day()
    assert day.invariants() == dict.fromkeys(day.invariants(), True)


def test_a_receipt_of_a_send_in_doubt_is_allowed():
    day = _crashed_confirm_day(deliveries={"r1": {**SENT, "message_id": "m1"}, "r2": IN_DOUBT})
    assert day.invariants()["confirmed_have_receipts"]


def test_a_confirmed_report_without_its_receipt_fails():
    day = _crashed_confirm_day(receipts={_receipt("r2")})
    assert not day.invariants()["confirmed_have_receipts"]


def test_a_confirmed_report_without_its_confirmation_row_fails():
    day = _crashed_confirm_day(confirmations=set())
    assert not day.invariants()["confirmed_have_receipts"]


def test_a_receipt_of_a_report_never_sent_fails():
    day = _crashed_confirm_day(deliveries={"r1": {**SENT, "message_id": "m1"}}, messages=[("m1", "r1")])
    assert not day.invariants()["confirmed_have_receipts"]


def test_a_receipt_of_a_quarantined_report_fails():
    day = _crashed_confirm_day(jobs={"r1": "confirmed", "r2": "quarantined"})
    assert not day.invariants()["confirmed_have_receipts"]


def test_a_receipt_under_another_jurisdiction_or_of_an_unknown_report_fails():
    other = _crashed_confirm_day(receipts={_receipt("r1", "EU_ESMA"), _receipt("r2")})
    unknown = _crashed_confirm_day(receipts={_receipt("r1"), _receipt("r2"), _receipt("r9")})
    assert not other.invariants()["confirmed_have_receipts"]
    assert not unknown.invariants()["confirmed_have_receipts"]
