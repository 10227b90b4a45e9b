"""monthly_summary: export a month's summary (CSV and JSON, SSE-KMS) under exports/ and notify the SNS topic.

The month is the one before the scheduled event's time, or `{"month": "YYYY-MM"}` for a manual run. The
summary has counts by jurisdiction and status, late and failed deliveries, and quarantines with reasons.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from tapcommon.aws import classify, client, put_object
from tapcommon.config import environment, setting
from tapcommon.db import Database
from tapcommon.errors import PermanentError
from tapcommon.keys import export_keys
from tapcommon.metrics import metrics

logger = Logger()
tracer = Tracer()

_QUERIES = {
    "by_jurisdiction_status": (
        "SELECT jurisdiction, status, count(*) AS reports FROM report_jobs "
        "WHERE business_date >= :first AND business_date < :next GROUP BY jurisdiction, status "
        "ORDER BY jurisdiction, status"
    ),
    "deliveries": (
        "SELECT j.jurisdiction, count(*) FILTER (WHERE d.late) AS late, "
        "count(*) FILTER (WHERE d.status IN ('failed', 'bounced', 'complained')) AS failed, "
        "count(*) AS total FROM deliveries d JOIN report_jobs j USING (report_id) "
        "WHERE j.business_date >= :first AND j.business_date < :next GROUP BY j.jurisdiction "
        "ORDER BY j.jurisdiction"
    ),
    "quarantine_reasons": (
        "SELECT j.jurisdiction, v.rule, count(DISTINCT j.report_id) AS reports FROM report_jobs j "
        "JOIN validations val ON val.report_id = j.report_id AND NOT val.valid "
        "CROSS JOIN LATERAL jsonb_to_recordset(val.violations) AS v(rule text, severity text) "
        "WHERE j.status = 'quarantined' AND v.severity = 'error' "
        "AND j.business_date >= :first AND j.business_date < :next "
        "GROUP BY j.jurisdiction, v.rule ORDER BY j.jurisdiction, v.rule"
    ),
}


def month_for(event: dict[str, Any]) -> dt.date:
    """First day of the month to summarise."""
    if isinstance(event, dict) and event.get("month"):
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(event["month"])):
            raise PermanentError("MALFORMED_EVENT", f"month must be YYYY-MM, got {event['month']!r}")
        return dt.date.fromisoformat(f"{event['month']}-01")
    when = event.get("time") if isinstance(event, dict) else None
    moment = dt.datetime.fromisoformat(when.replace("Z", "+00:00")) if when else dt.datetime.now(dt.UTC)
    first_this = moment.date().replace(day=1)
    return (first_this - dt.timedelta(days=1)).replace(day=1)


def summarise(db: Database, first: dt.date) -> dict[str, Any]:
    following = (first + dt.timedelta(days=32)).replace(day=1)
    params = {"first": first, "next": following}
    sections = {name: db.query(sql, params) for name, sql in _QUERIES.items()}
    return {"month": first.strftime("%Y-%m"), "generated_at": dt.datetime.now(dt.UTC).isoformat(), **sections}


def to_csv(summary: dict[str, Any]) -> bytes:
    """One table: section, jurisdiction, key, value (readable in a spreadsheet, diffable in review)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "jurisdiction", "key", "value"])
    for row in summary["by_jurisdiction_status"]:
        writer.writerow(["reports", row["jurisdiction"], row["status"], row["reports"]])
    for row in summary["deliveries"]:
        for key in ("total", "late", "failed"):
            writer.writerow(["deliveries", row["jurisdiction"], key, row[key]])
    for row in summary["quarantine_reasons"]:
        writer.writerow(["quarantine_reasons", row["jurisdiction"], row["rule"], row["reports"]])
    return out.getvalue().encode()


def export(db: Database, first: dt.date, bucket: str, topic_arn: str) -> dict[str, Any]:
    summary = summarise(db, first)
    csv_key, json_key = export_keys(summary["month"])
    put_object(bucket, csv_key, to_csv(summary), "text/csv")
    put_object(bucket, json_key, json.dumps(summary, indent=2).encode(), "application/json")
    totals = {
        "reports": sum(r["reports"] for r in summary["by_jurisdiction_status"]),
        "late": sum(r["late"] for r in summary["deliveries"]),
        "failed": sum(r["failed"] for r in summary["deliveries"]),
        "quarantined": sum(
            r["reports"] for r in summary["by_jurisdiction_status"] if r["status"] == "quarantined"
        ),
    }
    try:
        client("sns").publish(
            TopicArn=topic_arn,
            Subject=f"TapStack monthly summary {summary['month']}",
            Message=json.dumps(
                {"month": summary["month"], "totals": totals, "csv_key": csv_key, "json_key": json_key}
            ),
        )
    except (ClientError, BotoCoreError) as err:
        raise classify(err, "SNS publish of the monthly summary") from err
    with db.transaction() as tx:
        tx.audit("monthly_summary", "summary_exported", None, None, {"month": summary["month"], **totals})
    return {"month": summary["month"], "csv_key": csv_key, "json_key": json_key, "totals": totals}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    return export(Database.from_env(), month_for(event), setting("REPORT_BUCKET"), setting("ALERT_TOPIC_ARN"))
