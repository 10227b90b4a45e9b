"""The monthly summary export: MonthlySummaryFunction, invoked as its scheduled rule in TapStack.json would
invoke it on the 1st of the next month, writes exports/YYYY-MM/summary.json and summary.csv to the report
bucket, and what they say matches the database rows of that month."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import psycopg
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def export(sim_day, sim_outcome):
    if getattr(sim_day, "monthly_export", None) is None:  # run the export once per shared day
        sim_day.monthly_export = _run_export(sim_day)
    return sim_day.monthly_export


def _run_export(sim_day):
    first_next = (sim_day.business_date.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    answer = sim_day.stack.invoke_scheduled("MonthlySummaryFunction", f"{first_next.isoformat()}T06:00:00Z")
    bucket = sim_day.stack.deployment.physical("ReportBucket")
    s3 = sim_day.stack.client("s3")
    summary = json.loads(s3.get_object(Bucket=bucket, Key=answer["json_key"])["Body"].read())
    rows = list(
        csv.DictReader(
            io.StringIO(s3.get_object(Bucket=bucket, Key=answer["csv_key"])["Body"].read().decode())
        )
    )
    return answer, summary, rows


def _database_counts(dsn: str, month: str) -> dict[tuple[str, str], int]:
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT jurisdiction, status, count(*) FROM report_jobs WHERE business_date >= %s "
            "AND business_date < %s GROUP BY 1, 2",
            (first, following),
        ).fetchall()
    return {(j, s): n for j, s, n in rows}


def test_export_lands_under_the_month(sim_day, export):
    answer, summary, _ = export
    month = sim_day.business_date.strftime("%Y-%m")
    assert summary["month"] == month
    assert answer["json_key"] == f"exports/{month}/summary.json"
    assert answer["csv_key"] == f"exports/{month}/summary.csv"


def test_export_counts_match_the_database(sim_day, export):
    _, summary, rows = export
    db = _database_counts(sim_day.stack.postgres.dsn, summary["month"])
    assert {(r["jurisdiction"], r["status"]): r["reports"] for r in summary["by_jurisdiction_status"]} == db
    csv_counts = {(r["jurisdiction"], r["key"]): int(r["value"]) for r in rows if r["section"] == "reports"}
    assert csv_counts == db


def test_export_totals_match_the_day(sim_day, sim_outcome, export):
    answer, _, _ = export
    assert answer["totals"]["reports"] == sim_day.reports
    assert answer["totals"]["quarantined"] == sim_outcome.evidence.status_counts()["quarantined"]
