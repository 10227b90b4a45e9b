"""validate: each seeded defect is caught by its rule and quarantined (copied to quarantine/, recorded with
its violations, never passed on), clean and late-but-deliverable reports pass, tampered bytes are caught,
and the handler runs with a lambda_context."""

from __future__ import annotations

import boto3
from handler_harness import BUSINESS_DATE

import validate
from tapgate.sim.seed import expected_rule


def test_exactly_the_bad_reports_are_quarantined(pipeline, seeded, platform):
    (out,) = pipeline.validate()
    quarantined = {q["report_id"] for q in out["quarantined"]}
    assert quarantined == seeded.expected_quarantined()
    assert {r["report_id"] for r in out["valid"]} == set(seeded.report_ids) - quarantined
    assert (out["valid_count"], out["quarantined_count"]) == (len(out["valid"]), len(quarantined))
    for entry in out["quarantined"]:
        rules = {v["rule"] for v in entry["violations"]}
        assert expected_rule(seeded.bad[entry["report_id"]]) in rules
    rows = platform.query("SELECT report_id, valid, quarantine_key FROM validations WHERE NOT valid")
    assert {r["report_id"] for r in rows} == quarantined
    s3 = boto3.client("s3")
    for row in rows:
        assert row["quarantine_key"].startswith("quarantine/")
        assert (
            s3.head_object(Bucket="tapstack-work", Key=row["quarantine_key"])["ServerSideEncryption"]
            == "aws:kms"
        )
    statuses = platform.query("SELECT report_id, status FROM report_jobs")
    assert {r["report_id"] for r in statuses if r["status"] == "quarantined"} == quarantined
    assert {r["report_id"] for r in statuses if r["status"] == "validated"} == set(
        seeded.report_ids
    ) - quarantined
    stored = platform.query("SELECT report_id, violations FROM validations", json_fields=("violations",))
    counts = {q["report_id"]: q["violation_count"] for q in out["quarantined"]}
    assert {r["report_id"]: len(r["violations"]) for r in stored if r["report_id"] in counts} == counts
    events = platform.query(
        "SELECT report_id, detail FROM audit_events WHERE action = 'report_validated'",
        json_fields=("detail",),
    )
    assert {e["report_id"]: e["detail"]["valid"] for e in events} == {
        r: r not in quarantined for r in seeded.report_ids
    }
    assert {e["report_id"]: e["detail"]["violations"] for e in events if e["report_id"] in counts} == counts


def test_a_late_report_is_delivered_late_where_the_pack_allows(pipeline, seeded):
    (out,) = pipeline.validate()
    late_id = next(rid for rid, kind in seeded.bad.items() if kind == "late")
    late = next(r for r in out["valid"] if r["report_id"] == late_id)  # US_SEC: deliver_late
    assert late["late"] is True
    assert not any(r["late"] for r in out["valid"] if r["report_id"] != late_id)


def test_tampered_staging_bytes_are_quarantined(pipeline, platform):
    (generated,) = pipeline.generate()
    report = generated["reports"][0]
    boto3.client("s3").put_object(Bucket="tapstack-work", Key=report["staging_key"], Body=b"tampered")
    report["version_id"] = None  # read the latest version: the tampered one
    from tapcommon.db import Database
    from tapcommon.events import ValidateEvent

    out = validate.validate(ValidateEvent.model_validate(generated), Database.from_env(), "tapstack-work")
    entry = next(q for q in out["quarantined"] if q["report_id"] == report["report_id"])
    assert [v["rule"] for v in entry["violations"]] == ["CHECKSUM"]


def test_handler_with_lambda_context(pipeline, lambda_context):
    (generated,) = pipeline.generate()
    out = validate.lambda_handler(generated, lambda_context)
    assert out["batch_id"] == f"{BUSINESS_DATE}-1"
    assert out["valid_count"] + out["quarantined_count"] == 14
