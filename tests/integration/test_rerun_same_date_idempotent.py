"""Re-running the same business date (the daily rule fires again for it) sends no second email and writes
no duplicate row: the database, the report bucket's versions and SES's sent mail are what the first run
left."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.integration

_TABLE_COUNTS = {
    "reports": "SELECT count(*) FROM reports",
    "deliveries": "SELECT count(*) FROM deliveries",
    "confirmations": "SELECT count(*) FROM confirmations",
    "validations_valid": "SELECT count(*) FROM validations WHERE valid",
}


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in _TABLE_COUNTS.items()}


@pytest.fixture(scope="module")
def two_runs():
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=40) as day:
        first = day.run()
        before = _counts(day.stack.postgres.dsn)
        second = day.run()
        after = _counts(day.stack.postgres.dsn)
        yield day, first, second, before, after


def test_second_run_sends_no_email(two_runs):
    _, first, second, _, _ = two_runs
    assert first.evidence.ses_messages, "the first run must have sent mail"
    assert second.status == "SUCCEEDED"
    assert second.evidence.ses_messages == []


def test_second_run_writes_no_duplicate_rows(two_runs):
    _, _, _, before, after = two_runs
    assert after["deliveries"] == before["deliveries"]
    assert after["confirmations"] == before["confirmations"]
    assert after["reports"] == before["reports"]


def test_report_objects_keep_one_version_and_statuses_hold(two_runs):
    _, first, second, _, _ = two_runs
    assert second.evidence.s3_reports == first.evidence.s3_reports
    assert set(second.evidence.s3_reports.values()) == {1}
    assert second.evidence.status_counts() == first.evidence.status_counts()
