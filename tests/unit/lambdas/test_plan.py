"""plan: the business date rule, batching, the manifest in S3 (SSE-KMS), the run record, re-runs that skip
confirmed reports, and malformed events as PermanentError."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from handler_harness import BUSINESS_DATE

import plan
from tapcommon.errors import PermanentError
from tapcommon.events import ExecutionInput


@pytest.mark.parametrize(
    "scheduled, expected",
    [
        ("2026-11-27T10:00:00Z", "2026-11-26"),
        ("2026-11-30T10:00:00Z", "2026-11-27"),
        ("2026-11-29T10:00:00Z", "2026-11-27"),
    ],
)
def test_business_date_is_the_previous_weekday(scheduled, expected):
    assert plan.business_date_for(ExecutionInput(scheduled_time=scheduled)).isoformat() == expected


def test_an_explicit_business_date_wins():
    given = ExecutionInput(business_date="2026-01-05", scheduled_time="2026-11-27T10:00:00Z")
    assert plan.business_date_for(given) == dt.date(2026, 1, 5)


def test_batches_hold_at_most_25_reports():
    batches = plan.make_batches(dt.date(2026, 11, 26), [f"r{i}" for i in range(51)])
    assert [b["batch_id"] for b in batches] == ["2026-11-26-1", "2026-11-26-2", "2026-11-26-3"]
    assert [len(b["report_ids"]) for b in batches] == [25, 25, 1]


def test_plan_writes_the_manifest_and_records_the_run(pipeline, seeded, platform):
    out = pipeline.plan()
    assert out == {
        "run_id": "run-1",
        "business_date": BUSINESS_DATE,
        "manifest": {"bucket": "tapstack-work", "key": f"manifests/{BUSINESS_DATE}/run-1.json"},
        "reports": 14,
        "batches": 1,
    }
    head = boto3.client("s3").head_object(Bucket="tapstack-work", Key=out["manifest"]["key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    (batch,) = pipeline.batches()
    assert sorted(batch["report_ids"]) == sorted(seeded.report_ids)
    assert platform.query("SELECT planned, batches FROM runs WHERE run_id = 'run-1'") == [
        {"planned": 14, "batches": 1}
    ]
    assert platform.query("SELECT action FROM audit_events") == [{"action": "run_planned"}]


def test_a_rerun_plans_only_what_is_not_confirmed(pipeline, platform):
    platform.execute("UPDATE report_jobs SET status = 'confirmed' WHERE jurisdiction = 'US_SEC'")
    pipeline.run_id = "run-2"
    out = pipeline.plan()
    planned = {rid for batch in pipeline.batches() for rid in batch["report_ids"]}
    assert out["reports"] == len(planned) == 10
    assert not any("US_SEC" in rid for rid in planned)


def test_malformed_event_is_permanent(platform, lambda_context):
    with pytest.raises(PermanentError, match="MALFORMED_EVENT: run_id"):
        plan.lambda_handler({"execution_input": {}}, lambda_context)
    with pytest.raises(PermanentError, match="business_date"):
        plan.lambda_handler(
            {"execution_input": {"business_date": "26/11/2026"}, "run_id": "r"}, lambda_context
        )
