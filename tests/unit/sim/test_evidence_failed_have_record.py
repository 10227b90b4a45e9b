"""evidence.py's `failed_have_record`: a failed report's record is a batch failure, a failed delivery, or a
claim in doubt (deliveries row left `sending` without a message id); a failed report with none of them
breaks the invariant. faultday.py's checks use the same definition (`DayEvidence.failure_records`)."""

from __future__ import annotations

from tapgate.sim.evidence import DayEvidence


def _day(jobs: dict[str, str], deliveries: dict[str, dict], batch_failures: set[str] = frozenset()):
    return DayEvidence(
        business_date="2026-11-26",
        jobs={r: {"jurisdiction": "UK", "status": s} for r, s in jobs.items()},
        generated=set(jobs),
        validated=set(jobs),
        quarantined_with_violations=set(),
        deliveries=deliveries,
        confirmations=set(),
        batch_failure_reports=set(batch_failures),
        s3_reports={},
        s3_receipts=set(),
        s3_quarantine=set(),
        ses_messages=[],
    )


IN_DOUBT = {"status": "sending", "message_id": None, "report_key": "k", "version_id": "v"}


def test_a_claim_in_doubt_is_the_failed_reports_record():
    day = _day({"r1": "failed"}, {"r1": IN_DOUBT})
    assert day.in_doubt() == {"r1"}
    assert day.failure_records() == {"r1"}
    assert day.invariants()["failed_have_record"]


def test_a_failed_report_without_any_record_breaks_the_invariant():
    day = _day({"r1": "failed", "r2": "failed"}, {"r1": IN_DOUBT})
    assert day.failure_records() == {"r1"}
    assert not day.invariants()["failed_have_record"]


def test_a_sending_claim_with_a_message_id_is_not_in_doubt():
    sent = {**IN_DOUBT, "message_id": "m-1"}
    day = _day({"r1": "failed"}, {"r1": sent})
    assert day.in_doubt() == set()
    assert not day.invariants()["failed_have_record"]


def test_batch_failures_and_failed_deliveries_are_records():
    failed_delivery = {**IN_DOUBT, "status": "failed"}
    day = _day({"r1": "failed", "r2": "failed"}, {"r2": failed_delivery}, batch_failures={"r1"})
    assert day.failure_records() == {"r1", "r2"}
    assert day.invariants()["failed_have_record"]
