"""monthly_summary: the month rule, the CSV and JSON exports under exports/YYYY-MM/ with SSE-KMS, their
counts by jurisdiction and status, late/failed deliveries and quarantine reasons, and the SNS notice."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import boto3
import pytest

import monthly_summary
from tapcommon.errors import PermanentError


@pytest.mark.parametrize(
    "event, first",
    [
        ({"time": "2026-12-01T06:00:00Z"}, dt.date(2026, 11, 1)),
        ({"time": "2026-01-01T06:00:00Z"}, dt.date(2025, 12, 1)),
        ({"month": "2026-11"}, dt.date(2026, 11, 1)),
    ],
)
def test_month_for(event, first):
    assert monthly_summary.month_for(event) == first


def test_a_bad_month_is_permanent():
    with pytest.raises(PermanentError, match="YYYY-MM"):
        monthly_summary.month_for({"month": "2026-13"})


def test_export_writes_csv_and_json_and_notifies(pipeline, platform, lambda_context):
    pipeline.confirm()
    queue = boto3.client("sqs").create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    import os

    boto3.client("sns").subscribe(TopicArn=os.environ["ALERT_TOPIC_ARN"], Protocol="sqs", Endpoint=queue_arn)
    out = monthly_summary.lambda_handler({"month": "2026-11"}, lambda_context)
    assert (out["csv_key"], out["json_key"]) == (
        "exports/2026-11/summary.csv",
        "exports/2026-11/summary.json",
    )
    assert out["totals"] == {"reports": 14, "late": 1, "failed": 0, "quarantined": 6}
    s3 = boto3.client("s3")
    summary_obj = s3.get_object(Bucket="tapstack-reports", Key=out["json_key"])
    assert summary_obj["ServerSideEncryption"] == "aws:kms"
    summary = json.loads(summary_obj["Body"].read())
    reasons = {(r["jurisdiction"], r["rule"]) for r in summary["quarantine_reasons"]}
    assert reasons == {
        ("AU_ASIC", "LEI"),
        ("AU_ASIC", "TOTALS"),
        ("AU_ASIC", "REQUIRED"),
        ("EU_ESMA", "FILE_SIZE"),
        ("SG_MAS", "CURRENCY"),
        ("US_SEC", "DATE"),
    }
    rows = list(
        csv.DictReader(
            io.StringIO(s3.get_object(Bucket="tapstack-reports", Key=out["csv_key"])["Body"].read().decode())
        )
    )
    assert {"section": "reports", "jurisdiction": "US_SEC", "key": "confirmed", "value": "3"} in rows
    notice = boto3.client("sqs").receive_message(QueueUrl=queue)["Messages"][0]
    assert json.loads(json.loads(notice["Body"])["Message"])["totals"] == out["totals"]
