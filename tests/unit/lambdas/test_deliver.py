"""deliver: one SES email per valid report (API v2 SendEmail, Raw content) through the configuration set
(attached or linked, as the pack says), the report locked in the report bucket with the validated SHA-256 as
its S3 checksum, the message id recorded; idempotency (a retry, a re-run or an in-doubt claim never sends a
second email); SES refusals fail the report, release the claim, and a later attempt may claim it again."""

from __future__ import annotations

import base64
import contextlib
import email

import boto3
from handler_harness import Pipeline, sent_messages

import deliver
from tapcommon.packs import load_pack


def test_each_valid_report_is_sent_once_and_locked(pipeline, platform):
    (out,) = pipeline.deliver()
    (validated,) = pipeline.validated
    assert {d["report_id"] for d in out["delivered"]} == {r["report_id"] for r in validated["valid"]}
    assert out["failed"] == []
    messages = sent_messages()
    assert len(messages) == len(out["delivered"])
    s3 = boto3.client("s3")
    for item in out["delivered"]:
        head = s3.head_object(
            Bucket="tapstack-reports",
            Key=item["report_key"],
            VersionId=item["version_id"],
            ChecksumMode="ENABLED",
        )
        assert head["ObjectLockMode"] == "COMPLIANCE" and head["ServerSideEncryption"] == "aws:kms"
        # the locked object carries the validated SHA-256 as its S3 checksum (S3 refuses other bytes)
        assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(item["sha256"])).decode()
        assert item["report_key"].startswith(f"reports/{item['jurisdiction']}/")
    rows = platform.query("SELECT report_id, status, message_id FROM deliveries")
    assert {(r["report_id"], r["message_id"]) for r in rows} == {
        (d["report_id"], d["message_id"]) for d in out["delivered"]
    }
    assert {r["status"] for r in rows} == {"sent"}


def test_attach_or_link_as_the_pack_says(pipeline):
    pipeline.deliver()
    for message in sent_messages():
        parsed = email.message_from_string(message.raw_data)
        jurisdiction = parsed["Subject"].split("]")[0].strip("[")
        pack = load_pack(jurisdiction)
        assert parsed["To"] == pack.regulator.recipient
        attachments = [p for p in parsed.walk() if p.get_filename()]
        text = next(p for p in parsed.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
        if pack.delivery == "attach":
            assert len(attachments) == 1 and b"Download" not in text
        else:
            assert attachments == [] and b"X-Amz-Signature" in text


def test_a_retry_sends_nothing_and_answers_the_same(pipeline, lambda_context):
    (first,) = pipeline.deliver()
    count = len(sent_messages())
    again = deliver.lambda_handler(pipeline.validated[0], lambda_context)
    assert len(sent_messages()) == count
    assert again["delivered"] == first["delivered"]


def test_a_rerun_of_the_day_sends_nothing_new(pipeline, lambda_context):
    pipeline.confirm()
    count = len(sent_messages())
    rerun = Pipeline(lambda_context)
    rerun.run_id = "run-2"
    assert rerun.plan()["reports"] == 6  # only the quarantined ones are planned again
    rerun.deliver()
    assert len(sent_messages()) == count


def test_a_claim_without_a_message_id_is_in_doubt_and_never_resent(pipeline, platform, lambda_context):
    (validated,) = pipeline.validate()
    victim = validated["valid"][0]["report_id"]
    platform.execute(
        "INSERT INTO deliveries (report_id, run_id, status, recipient) "
        "VALUES (:r, 'run-0', 'sending', 'x@example.com')",
        {"r": victim},
    )
    out = deliver.lambda_handler(validated, lambda_context)
    assert [f["report_id"] for f in out["failed"]] == [victim]
    assert "DELIVERY_IN_DOUBT" in out["failed"][0]["error"]
    assert len(sent_messages()) == len(validated["valid"]) - 1


def test_ses_refusal_fails_the_report_and_a_later_attempt_can_claim_it(
    pipeline, platform, lambda_context, monkeypatch
):
    (validated,) = pipeline.validate()
    monkeypatch.setenv("SES_SENDER", "reports@unverified.example.net")
    out = deliver.lambda_handler(validated, lambda_context)
    assert out["delivered"] == [] and len(out["failed"]) == len(validated["valid"])
    assert all("MessageRejected" in f["error"] for f in out["failed"])
    assert {r["status"] for r in platform.query("SELECT status FROM deliveries")} == {"failed"}
    monkeypatch.setenv("SES_SENDER", "reports@reports.example.com")
    retry = deliver.lambda_handler(validated, lambda_context)
    assert len(retry["delivered"]) == len(validated["valid"]) and retry["failed"] == []
    assert len(sent_messages()) == len(validated["valid"])


@contextlib.contextmanager
def _failing_ses(monkeypatch, error):
    """While the block runs, SES v2's SendEmail raises `error` (on the shared client, as a fault would)."""
    from tapcommon.aws import client

    def refuse(**kwargs):
        raise error

    with monkeypatch.context() as patched:
        patched.setattr(client("sesv2"), "send_email", refuse)
        yield


def test_a_lost_ses_answer_leaves_the_claim_in_doubt(pipeline, platform, lambda_context, monkeypatch):
    from botocore.exceptions import ReadTimeoutError

    (validated,) = pipeline.validate()
    with _failing_ses(monkeypatch, ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")):
        out = deliver.lambda_handler(validated, lambda_context)
    assert out["delivered"] == [] and all("DELIVERY_IN_DOUBT" in f["error"] for f in out["failed"])
    assert {r["status"] for r in platform.query("SELECT status FROM deliveries")} == {"sending"}
    again = deliver.lambda_handler(validated, lambda_context)
    assert again["delivered"] == [] and len(sent_messages()) == 0  # never resent automatically


def test_throttling_is_transient_and_releases_the_claim(pipeline, platform, lambda_context, monkeypatch):
    import pytest
    from botocore.exceptions import ClientError

    from tapcommon.errors import TransientError

    (validated,) = pipeline.validate()
    throttled = ClientError(
        {
            "Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "SendEmail",
    )
    with _failing_ses(monkeypatch, throttled), pytest.raises(TransientError, match="Throttling"):
        deliver.lambda_handler(validated, lambda_context)
    assert {r["status"] for r in platform.query("SELECT status FROM deliveries")} == {"failed"}
    retry = deliver.lambda_handler(validated, lambda_context)  # what the Task's Retry does
    assert len(retry["delivered"]) == len(validated["valid"]) == len(sent_messages())


def _statements(monkeypatch, fail_joint: int = 0) -> list[str]:
    """Record which of deliver's statements run (by name); the first `fail_joint` joint statements fail."""
    from tapcommon.db import Database
    from tapcommon.errors import PermanentError

    names = {
        deliver._CLAIM_SQL: "claim",
        deliver._RECORD_SENT_SQL: "record",
        deliver._RECORD_AND_CLAIM_SQL: "record+claim",
    }
    seen: list[str] = []
    real = Database.query

    def query(self, sql, params=None, json_fields=()):
        name = names.get(sql, "other")
        seen.append(name)
        if name == "record+claim" and seen.count(name) <= fail_joint:
            raise PermanentError("BadRequestException", "injected")
        return real(self, sql, params, json_fields)

    monkeypatch.setattr(Database, "query", query)
    return seen


def test_each_send_is_recorded_with_the_next_claim_and_the_last_alone(
    pipeline, platform, lambda_context, monkeypatch
):
    (validated,) = pipeline.validate()
    seen = _statements(monkeypatch)
    out = deliver.lambda_handler(validated, lambda_context)
    sent = len(out["delivered"])
    assert sent == len(validated["valid"]) > 2 and out["failed"] == []
    assert seen == ["claim"] + ["record+claim"] * (sent - 1) + ["record"]  # one Data API call a report, + 1
    rows = platform.query("SELECT report_id, status, message_id FROM deliveries")
    assert {(r["report_id"], r["status"], r["message_id"]) for r in rows} == {
        (d["report_id"], "sent", d["message_id"]) for d in out["delivered"]
    }
    jobs = platform.query(
        "SELECT DISTINCT status FROM report_jobs WHERE report_id IN (SELECT report_id FROM deliveries)"
    )
    assert {j["status"] for j in jobs} == {"delivered"}


def test_a_failed_joint_statement_records_and_claims_each_alone(
    pipeline, platform, lambda_context, monkeypatch
):
    (validated,) = pipeline.validate()
    seen = _statements(monkeypatch, fail_joint=1)
    out = deliver.lambda_handler(validated, lambda_context)
    assert len(out["delivered"]) == len(validated["valid"]) == len(sent_messages()) and out["failed"] == []
    assert seen[:4] == ["claim", "record+claim", "record", "claim"]
    rows = platform.query("SELECT status, message_id FROM deliveries")
    assert {r["status"] for r in rows} == {"sent"} and all(r["message_id"] for r in rows)


def test_a_report_twice_in_a_batch_is_sent_once(pipeline, platform, lambda_context):
    (validated,) = pipeline.validate()
    first = validated["valid"][0]
    out = deliver.lambda_handler(validated | {"valid": [first, first]}, lambda_context)
    assert [d["report_id"] for d in out["delivered"]] == [first["report_id"]] * 2 and out["failed"] == []
    assert out["delivered"][0]["message_id"] == out["delivered"][1]["message_id"]
    assert len(sent_messages()) == 1
    (row,) = platform.query("SELECT status, message_id FROM deliveries")
    assert row == {"status": "sent", "message_id": out["delivered"][0]["message_id"]}
