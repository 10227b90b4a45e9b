"""generate: renders every report of a batch into staging with SSE-KMS, records SHA-256 and S3 version id in
one transaction with the audit events, emits ReportsGenerated per jurisdiction; missing rows and unknown
jurisdictions are PermanentError and leave nothing recorded."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import boto3
import pytest
from handler_harness import BUSINESS_DATE

import generate
from tapcommon.errors import PermanentError


def test_generate_stages_and_records_each_report(pipeline, platform, capsys):
    (out,) = pipeline.generate()
    assert out["batch_id"] == f"{BUSINESS_DATE}-1" and len(out["reports"]) == 14
    s3 = boto3.client("s3")
    for report in out["reports"]:
        assert (
            report["staging_key"] == f"staging/{report['jurisdiction']}/{BUSINESS_DATE}/{report['file_name']}"
        )
        obj = s3.get_object(
            Bucket="tapstack-work",
            Key=report["staging_key"],
            VersionId=report["version_id"],
            ChecksumMode="ENABLED",
        )
        body = obj["Body"].read()
        assert obj["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(report["sha256"])).decode()
        assert obj["ServerSideEncryption"] == "aws:kms"
        assert obj["SSEKMSKeyId"] == os.environ["KMS_KEY_ARN"]
        assert hashlib.sha256(body).hexdigest() == report["sha256"] and len(body) == report["size"]
    recorded = platform.query("SELECT report_id, sha256, version_id FROM reports ORDER BY report_id")
    assert {(r["report_id"], r["sha256"], r["version_id"]) for r in recorded} == {
        (r["report_id"], r["sha256"], r["version_id"]) for r in out["reports"]
    }
    assert platform.query("SELECT DISTINCT status FROM report_jobs") == [{"status": "generated"}]
    events = platform.query(
        "SELECT report_id, run_id, detail FROM audit_events WHERE action = 'report_generated'",
        json_fields=("detail",),
    )
    assert sorted((e["report_id"], e["run_id"], e["detail"]) for e in events) == sorted(
        (
            r["report_id"],
            "run-1",
            {
                "sha256": r["sha256"],
                "key": r["staging_key"],
                "version_id": r["version_id"],
                "size": r["size"],
            },
        )
        for r in out["reports"]
    )
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    generated = [m for m in emf if "ReportsGenerated" in m]
    assert {m.get("jurisdiction") for m in generated} == {
        None,
        "US_SEC",
        "UK_FCA",
        "EU_ESMA",
        "SG_MAS",
        "AU_ASIC",
    }
    aggregate = next(m for m in generated if "jurisdiction" not in m)
    assert aggregate["service"] == "tapstack" and aggregate["ReportsGenerated"] == [14.0]


def test_formats_follow_the_packs(pipeline):
    (out,) = pipeline.generate()
    assert {(r["jurisdiction"], r["format"]) for r in out["reports"]} == {
        ("US_SEC", "xml"),
        ("UK_FCA", "csv"),
        ("EU_ESMA", "json"),
        ("SG_MAS", "csv"),
        ("AU_ASIC", "json"),
        ("AU_ASIC", "csv"),
    }


def test_missing_rows_are_permanent_and_nothing_is_recorded(pipeline, platform, lambda_context):
    event = {
        "run_id": "run-1",
        "business_date": BUSINESS_DATE,
        "batch": {"batch_id": "b-1", "report_ids": [f"{BUSINESS_DATE}-US_SEC-00007", "no-such-report"]},
    }
    with pytest.raises(PermanentError, match="MISSING_ROWS: no report job for no-such-report"):
        generate.lambda_handler(event, lambda_context)
    assert platform.query("SELECT count(*) AS n FROM reports") == [{"n": 0}]


def test_unknown_jurisdiction_is_permanent(pipeline, platform, lambda_context):
    report_id = f"{BUSINESS_DATE}-US_SEC-00007"
    platform.execute("UPDATE report_jobs SET jurisdiction = 'ZZ_NOPE' WHERE report_id = :r", {"r": report_id})
    event = {
        "run_id": "run-1",
        "business_date": BUSINESS_DATE,
        "batch": {"batch_id": "b-1", "report_ids": [report_id]},
    }
    with pytest.raises(PermanentError, match="UNKNOWN_JURISDICTION"):
        generate.lambda_handler(event, lambda_context)


def test_malformed_batch_is_permanent(platform, lambda_context):
    with pytest.raises(PermanentError, match=r"batch\.report_ids"):
        generate.lambda_handler(
            {"run_id": "r", "business_date": BUSINESS_DATE, "batch": {"batch_id": "b", "report_ids": []}},
            lambda_context,
        )


def test_source_rows_read_a_page_at_a_time_render_the_same(pipeline, platform, monkeypatch):
    """The batch's rows come in pages across report boundaries: a tiny page renders the same bytes."""
    from tapcommon import jobs

    monkeypatch.setattr(jobs, "RECORDS_PAGE", 3)
    (paged,) = pipeline.generate()
    monkeypatch.setattr(jobs, "RECORDS_PAGE", 1000)
    (whole,) = pipeline.generate()
    assert [r["sha256"] for r in paged["reports"]] == [r["sha256"] for r in whole["reports"]]
    assert all(r["size"] > 0 for r in paged["reports"])
