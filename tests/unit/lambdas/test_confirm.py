"""confirm: receipts under confirmations/ in the locked bucket and confirmation rows (message id, checksum,
version, run id), idempotent on retry; `record_failure` for a failed batch whatever step failed; the
discriminated union of actions; `finalize_run` totals; ReportsConfirmed metrics."""

from __future__ import annotations

import json

import boto3
import pytest
from handler_harness import BUSINESS_DATE

import confirm
from tapcommon.errors import PermanentError


def test_confirm_writes_receipts_and_records(pipeline, platform, capsys):
    (out,) = pipeline.confirm()
    (delivered,) = pipeline.delivered
    assert out == {"run_id": "run-1", "batch_id": f"{BUSINESS_DATE}-1", "confirmed": 8, "failed": 0}
    s3 = boto3.client("s3")
    rows = platform.query(
        "SELECT report_id, run_id, message_id, sha256, version_id, receipt_key FROM confirmations"
    )
    assert len(rows) == 8
    by_id = {d["report_id"]: d for d in delivered["delivered"]}
    for row in rows:
        d = by_id[row["report_id"]]
        assert (
            row["receipt_key"] == f"confirmations/{d['jurisdiction']}/{BUSINESS_DATE}/{d['report_id']}.json"
        )
        assert (row["message_id"], row["sha256"], row["version_id"], row["run_id"]) == (
            d["message_id"],
            d["sha256"],
            d["version_id"],
            "run-1",
        )
        obj = s3.get_object(Bucket="tapstack-reports", Key=row["receipt_key"])
        assert obj["ObjectLockMode"] == "COMPLIANCE" and obj["ServerSideEncryption"] == "aws:kms"
        receipt = json.loads(obj["Body"].read())
        assert receipt["message_id"] == d["message_id"] and receipt["report_version_id"] == d["version_id"]
    assert {
        r["status"] for r in platform.query("SELECT status FROM report_jobs WHERE status <> 'quarantined'")
    } == {"confirmed"}
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "ReportsConfirmed" in line]
    assert sum(m["ReportsConfirmed"][0] for m in emf if "jurisdiction" in m) == 8


def test_confirm_is_idempotent(pipeline, platform, lambda_context):
    (first,) = pipeline.confirm()
    again = confirm.lambda_handler(pipeline.delivered[0], lambda_context)
    assert again == first
    assert platform.query("SELECT count(*) AS n FROM confirmations") == [{"n": 8}]
    assert platform.query("SELECT count(*) AS n FROM audit_events WHERE action = 'report_confirmed'") == [
        {"n": 8}
    ]
    s3 = boto3.client("s3")
    for row in platform.query("SELECT receipt_key FROM confirmations"):
        versions = s3.list_object_versions(Bucket="tapstack-reports", Prefix=row["receipt_key"])["Versions"]
        assert len(versions) == 1


@pytest.mark.parametrize("failed_step", ["generate", "deliver"])
def test_record_failure_marks_the_batch(pipeline, platform, lambda_context, failed_step):
    pipeline.validate()
    if failed_step == "generate":
        failed_input = {"batch": pipeline.batches()[0], "run_id": "run-1", "business_date": BUSINESS_DATE}
    else:
        failed_input = pipeline.validated[0]
    event = {
        "action": "record_failure",
        "run_id": "run-1",
        "business_date": BUSINESS_DATE,
        "failed_input": failed_input,
        "error": {
            "Error": "TransientError",
            "Cause": json.dumps({"errorMessage": "THROTTLED: slow down", "errorType": "TransientError"}),
        },
    }
    out = confirm.lambda_handler(event, lambda_context)
    assert out["batch_id"] == f"{BUSINESS_DATE}-1" and out["recorded"] is True
    (row,) = platform.query(
        "SELECT error_type, error_message, report_ids FROM batch_failures", json_fields=["report_ids"]
    )
    assert (row["error_type"], row["error_message"]) == ("TransientError", "THROTTLED: slow down")
    expected = (
        set(pipeline.batches()[0]["report_ids"])
        if failed_step == "generate"
        else {r["report_id"] for r in pipeline.validated[0]["valid"]}
    )
    assert set(row["report_ids"]) == expected
    failed = {
        r["report_id"] for r in platform.query("SELECT report_id FROM report_jobs WHERE status = 'failed'")
    }
    assert failed == {
        r["report_id"] for r in pipeline.validated[0]["valid"]
    }  # quarantined ones keep their status
    confirm.lambda_handler(event, lambda_context)  # recorded once per (run, batch)
    assert platform.query("SELECT count(*) AS n FROM batch_failures") == [{"n": 1}]


def test_finalize_run_records_totals(pipeline, platform, lambda_context):
    pipeline.confirm()
    out = confirm.lambda_handler(
        {"action": "finalize_run", "run_id": "run-1", "business_date": BUSINESS_DATE}, lambda_context
    )
    assert out["totals"] == {
        "by_status": {"confirmed": 8, "quarantined": 6},
        "batch_failures": 0,
        "reports": 14,
    }
    (run,) = platform.query(
        "SELECT finished_at IS NOT NULL AS done, totals FROM runs", json_fields=["totals"]
    )
    assert run == {"done": True, "totals": out["totals"]}


@pytest.mark.parametrize(
    "event, message",
    [
        ({"action": "explode", "run_id": "r"}, "action"),
        ({"action": "finalize_run", "run_id": "r"}, "business_date"),
        ({"run_id": "r", "business_date": BUSINESS_DATE}, "batch_id"),
        ([], "MALFORMED_EVENT"),
    ],
)
def test_malformed_actions_are_permanent(platform, lambda_context, event, message):
    with pytest.raises(PermanentError, match=message):
        confirm.lambda_handler(event, lambda_context)


def test_a_receipt_written_before_a_crash_is_kept(pipeline, platform, lambda_context):
    pipeline.deliver()
    (delivered,) = pipeline.delivered
    first = delivered["delivered"][0]
    key = f"confirmations/{first['jurisdiction']}/{BUSINESS_DATE}/{first['report_id']}.json"
    import os

    boto3.client("s3").put_object(
        Bucket="tapstack-reports",
        Key=key,
        Body=b'{"earlier": true}',
        ChecksumAlgorithm="SHA256",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=os.environ["KMS_KEY_ARN"],
    )
    out = confirm.lambda_handler(delivered, lambda_context)
    assert out["confirmed"] == 8
    versions = boto3.client("s3").list_object_versions(Bucket="tapstack-reports", Prefix=key)["Versions"]
    assert len(versions) == 1
    assert platform.query(
        "SELECT receipt_key FROM confirmations WHERE report_id = :r", {"r": first["report_id"]}
    ) == [{"receipt_key": key}]


def test_confirm_records_a_send_deliver_could_not_record(pipeline, platform, lambda_context):
    (delivered,) = pipeline.deliver()
    victim = delivered["delivered"][0]
    platform.execute(  # as if deliver's record of the send had failed: the claim, no message id
        "UPDATE deliveries SET status = 'sending', message_id = NULL, report_key = NULL, version_id = NULL "
        "WHERE report_id = :r",
        {"r": victim["report_id"]},
    )
    confirm.lambda_handler(delivered, lambda_context)
    (row,) = platform.query(
        "SELECT status, message_id, report_key, version_id FROM deliveries WHERE report_id = :r",
        {"r": victim["report_id"]},
    )
    assert row == {
        "status": "sent",
        "message_id": victim["message_id"],
        "report_key": victim["report_key"],
        "version_id": victim["version_id"],
    }
    events = platform.query(
        "SELECT report_id, detail FROM audit_events WHERE action = 'report_confirmed'",
        json_fields=("detail",),
    )
    assert {e["report_id"]: e["detail"]["message_id"] for e in events} == {
        d["report_id"]: d["message_id"] for d in delivered["delivered"]
    }
