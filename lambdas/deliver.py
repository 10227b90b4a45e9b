"""deliver: move each valid report under the object-locked prefix and send it once through SES.

Idempotency: a report has at most one row in `deliveries` (its primary key). The row is claimed in its own
committed transaction (one auto-committed statement: INSERT ... ON CONFLICT DO NOTHING RETURNING, with its
audit event) before the email goes out, so a retry, a re-run or a concurrent invocation finds the claim and
never sends a second email:
- claimed and sent (a message id): reported as delivered again, nothing sent;
- claimed but never recorded as sent (the function died in between): in doubt; reported as failed for an
  operator to reconcile against SES, never re-sent;
- a failed claim (SES refused, nothing sent) may be claimed again.
Per report, one Data API call: the claim, which also records the previous report's send (the batch's last
send is recorded alone). A claim per batch would leave every report after a crash in doubt, not just the one
being sent; a record per batch would leave every sent report after a crash in doubt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError

from tapcommon.aws import classify, client, get_object, put_object
from tapcommon.config import environment, setting
from tapcommon.db import Database
from tapcommon.errors import PermanentError, TransientError
from tapcommon.events import DeliverEvent, GeneratedReport, parse_event
from tapcommon.keys import report_key
from tapcommon.mail import build_message
from tapcommon.metrics import count_by_jurisdiction, metrics
from tapcommon.packs import load_pack
from tapcommon.render import CONTENT_TYPES

logger = Logger()
tracer = Tracer()


class _SendInDoubt(Exception):
    """SES may have accepted the message: the answer was lost (read timeout, connection dropped)."""


# The claim (a new row, or a failed one taken again) and its audit event, or else the existing row. One
# statement, so one auto-committed transaction, committed before the report's email goes out.
_CLAIM_CTES = """
fresh AS (
    INSERT INTO deliveries (report_id, run_id, status, recipient, sha256, late)
    VALUES (:report_id, :run_id, 'sending', :recipient, :sha256, :late)
    ON CONFLICT (report_id) DO NOTHING RETURNING report_id
), reclaimed AS (
    UPDATE deliveries SET status = 'sending', run_id = :run_id, recipient = :recipient, sha256 = :sha256,
        late = :late, claimed_at = now(), status_detail = NULL
    WHERE report_id = :report_id AND status = 'failed' RETURNING report_id
), claimed AS (
    SELECT report_id FROM fresh UNION ALL SELECT report_id FROM reclaimed
), audited AS (
    INSERT INTO audit_events (actor, action, report_id, run_id, detail)
    SELECT 'deliver', 'delivery_claimed', report_id, :run_id, :detail FROM claimed RETURNING report_id
)"""
_CLAIM_ANSWER = """
SELECT (SELECT count(*) FROM audited) AS claimed, d.status, d.message_id, d.report_key, d.version_id, d.sha256
FROM (SELECT 1) AS one LEFT JOIN deliveries AS d ON d.report_id = :report_id
"""
# The record of a send: the delivery sent (message id, locked key and version), the job delivered, the audit
# event. The data-modifying WITH clauses run whatever the statement's answer reads.
_RECORD_CTES = """
sent AS (
    UPDATE deliveries SET status = 'sent', message_id = :message_id, report_key = :key,
        version_id = :version_id, sent_at = now(), status_at = now()
    WHERE report_id = :sent_report_id AND status = 'sending' RETURNING report_id
), sent_job AS (
    UPDATE report_jobs SET status = 'delivered', updated_at = now() WHERE report_id = :sent_report_id
    RETURNING report_id
), sent_audit AS (
    INSERT INTO audit_events (actor, action, report_id, run_id, detail)
    VALUES ('deliver', 'report_delivered', :sent_report_id, :run_id, :sent_detail) RETURNING report_id
)"""
_CLAIM_SQL = f"WITH {_CLAIM_CTES}{_CLAIM_ANSWER}"
_RECORD_SENT_SQL = f"WITH {_RECORD_CTES}\nSELECT count(*) AS recorded FROM sent\n"
# The previous report's send recorded and this report claimed: one statement, one commit, one round trip.
_RECORD_AND_CLAIM_SQL = f"WITH {_RECORD_CTES},{_CLAIM_CTES}{_CLAIM_ANSWER}"


@dataclass
class Sent:
    """A send SES accepted whose record is still to be written (with the next claim, or alone)."""

    report: GeneratedReport
    key: str
    version_id: str | None
    message_id: str

    def params(self, run_id: str) -> dict[str, Any]:
        return {
            "sent_report_id": self.report.report_id,
            "run_id": run_id,
            "message_id": self.message_id,
            "key": self.key,
            "version_id": self.version_id,
            "sent_detail": {
                "message_id": self.message_id,
                "report_key": self.key,
                "version_id": self.version_id,
                "sha256": self.report.sha256,
            },
        }


class PendingRecord:
    """The batch's last send not yet recorded. Deliver sends report N, then records that send in the same
    statement that claims report N+1: per report one Data API call instead of two, and nothing else happens
    between a send and its record. The batch's last send is recorded alone (`flush`)."""

    def __init__(self) -> None:
        self.sent: Sent | None = None

    def take(self) -> Sent | None:
        sent, self.sent = self.sent, None
        return sent

    def flush(self, db: Database, run_id: str) -> None:
        sent = self.take()
        if sent is not None:
            record_sent(db, run_id, sent)


def record_sent(db: Database, run_id: str, sent: Sent) -> None:
    """Record a send alone. If that fails, the mail is out and its message id is known: a retry could only
    find the claim in doubt, and a failed entry would lose the id. The report stays reported delivered;
    Confirm records the send (message id, key, version) with its confirmation, or RecordBatchFailure does
    if Confirm fails too."""
    try:
        db.query(_RECORD_SENT_SQL, sent.params(run_id))
    except (PermanentError, TransientError) as err:
        logger.error(
            "sent but not recorded: left to confirm",
            extra={"report_id": sent.report.report_id, "message_id": sent.message_id, "error": str(err)},
        )


def claim(
    db: Database, run_id: str, report: GeneratedReport, recipient: str, previous: Sent | None = None
) -> dict[str, Any] | None:
    """Claim the report's delivery atomically, recording the `previous` send in the same statement. None
    when claimed now; else the existing delivery row. If the joint statement fails, each part runs alone,
    with the errors it has alone: a failed record is left to Confirm, a failed claim is raised."""
    params = {
        "report_id": report.report_id,
        "run_id": run_id,
        "recipient": recipient,
        "sha256": report.sha256,
        "late": report.late,
        "detail": {"recipient": recipient},
    }
    if previous is not None and previous.report.report_id == report.report_id:
        # the same report twice in a batch: its claim must see the record (a statement sees its own snapshot)
        record_sent(db, run_id, previous)
        previous = None
    if previous is None:
        (row,) = db.query(_CLAIM_SQL, params)
    else:
        try:
            (row,) = db.query(_RECORD_AND_CLAIM_SQL, params | previous.params(run_id))
        except (PermanentError, TransientError) as err:
            logger.warning("record and claim failed together: each alone", extra={"error": str(err)})
            record_sent(db, run_id, previous)
            (row,) = db.query(_CLAIM_SQL, params)
    if row["claimed"]:
        return None
    if row["status"] is None:  # another invocation claimed it after this statement's snapshot: try again
        raise TransientError("CLAIM_CONFLICT", f"{report.report_id} was claimed concurrently")
    return row


# A claim in doubt (the mail may be out, its record is not): the job fails, the reason goes on the claim,
# which stays 'sending' so no run claims it again, and the audit trail says so. One statement.
_IN_DOUBT_SQL = """
WITH job AS (
    UPDATE report_jobs SET status = 'failed', last_run_id = :run_id, updated_at = now()
    WHERE report_id = :report_id AND status NOT IN ('confirmed', 'quarantined') RETURNING report_id
), claim AS (
    UPDATE deliveries SET status_detail = :reason, status_at = now()
    WHERE report_id = :report_id AND status = 'sending' RETURNING report_id
)
INSERT INTO audit_events (actor, action, report_id, run_id, detail)
VALUES ('deliver', 'delivery_in_doubt', :report_id, :run_id, :detail)
"""


def _in_doubt(db: Database, run_id: str, report_id: str, reason: str) -> PermanentError:
    """Record a delivery in doubt (else its job stays `validated`, recorded nowhere); the error to raise."""
    try:
        db.execute(
            _IN_DOUBT_SQL,
            {
                "report_id": report_id,
                "run_id": run_id,
                "reason": reason[:500],
                "detail": {"reason": reason[:500]},
            },
        )
    except PermanentError as err:  # not recorded: the batch fails, and RecordBatchFailure records it
        logger.error("delivery in doubt not recorded", extra={"report_id": report_id, "error": str(err)})
        _fails_batch(err)
        raise
    return PermanentError("DELIVERY_IN_DOUBT", reason)


def _fails_batch(err: PermanentError) -> None:
    """Mark a database failure as the batch's, not the report's: `deliver` lets it fail the Task, and the
    state machine's RecordBatchFailure then fails every unfinished report of the batch with a record (a
    failed entry in the Task's output would be recorded nowhere)."""
    err.fails_batch = True  # same class: the state machine matches PermanentError by name


def _release(db: Database, report_id: str, run_id: str, reason: str) -> None:
    """Nothing was sent: mark the claim failed so a later attempt may claim it again."""
    try:
        with db.transaction() as tx:
            tx.execute(
                "UPDATE deliveries SET status = 'failed', status_detail = :reason, status_at = now() "
                "WHERE report_id = :report_id AND status = 'sending'",
                {"report_id": report_id, "reason": reason[:500]},
            )
            tx.audit("deliver", "delivery_failed", report_id, run_id, {"reason": reason[:500]})
    except PermanentError as err:  # the claim stays 'sending' (in doubt, never resent)
        _fails_batch(err)
        raise


def _store_locked(work_bucket: str, report_bucket: str, report: GeneratedReport, business_date: str) -> tuple:
    """Read the staged bytes, check they are the validated ones, and write them under Object Lock.

    A read and a put rather than a server-side copy: an attach pack needs the bytes for the email anyway,
    and the put carries the validated SHA-256 as its checksum, so S3 itself refuses to lock any other bytes
    (and keeps the digest with the locked object). The check here stops a mismatch before anything is
    written.
    """
    body = get_object(work_bucket, report.staging_key, report.version_id)
    if hashlib.sha256(body).hexdigest() != report.sha256:
        raise PermanentError(
            "CHECKSUM_MISMATCH", f"{report.report_id}: staged bytes differ from the validated"
        )
    key = report_key(report.jurisdiction, business_date, report.file_name)
    answer = put_object(
        report_bucket,
        key,
        body,
        CONTENT_TYPES.get(report.format, "application/octet-stream"),
        sha256=report.sha256,
    )
    return key, answer.get("VersionId"), body


def _message(report: GeneratedReport, business_date: str, report_bucket: str, locked: tuple) -> bytes:
    """The MIME message as the pack says: the report attached, or a presigned link to the locked version."""
    key, version_id, body = locked
    pack = load_pack(report.jurisdiction)
    link = None
    if pack.delivery == "link":
        params = {"Bucket": report_bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
        link = client("s3").generate_presigned_url(
            "get_object", Params=params, ExpiresIn=pack.link_expiry_hours * 3600
        )
    attached = body if pack.delivery == "attach" else None
    return build_message(pack, setting("SES_SENDER"), report.model_dump(), business_date, attached, link)


def _send(report: GeneratedReport, business_date: str, report_bucket: str, locked: tuple) -> str:
    """One SES API v2 SendEmail (Raw content) through the configuration set, whose event destination feeds
    the delivery status; the message id. v2 rather than v1's SendRawEmail: a JSON body with the message
    as one base64 field instead of a form-encoded one, and messages up to 40 MB."""
    raw = _message(report, business_date, report_bucket, locked)
    try:
        answer = client("sesv2").send_email(
            FromEmailAddress=setting("SES_SENDER"),
            Destination={"ToAddresses": [load_pack(report.jurisdiction).regulator.recipient]},
            Content={"Raw": {"Data": raw}},
            ConfigurationSetName=setting("SES_CONFIGURATION_SET"),
        )
    except (ReadTimeoutError, ConnectionClosedError) as err:
        raise _SendInDoubt(str(err)) from err
    except (ClientError, BotoCoreError) as err:  # SES answered (or was never reached): nothing was sent
        raise classify(err, f"SES send of {report.report_id}") from err
    return answer["MessageId"]


def deliver_one(
    db: Database,
    event: DeliverEvent,
    report: GeneratedReport,
    buckets: tuple[str, str],
    pending: PendingRecord,
) -> dict:
    """Deliver one report (recording the pending send with its claim); returns a `delivered` entry, leaving
    its send pending, or raises PermanentError for the `failed` list."""
    business_date = event.business_date.isoformat()
    recipient = load_pack(report.jurisdiction).regulator.recipient
    try:
        existing = claim(db, event.run_id, report, recipient, pending.take())
    except PermanentError as err:  # the database refused the claim: nothing sent, the batch fails
        _fails_batch(err)
        raise
    if existing is not None:
        if not existing["message_id"]:
            raise _in_doubt(
                db,
                event.run_id,
                report.report_id,
                f"{report.report_id} was claimed ({existing['status']}) "
                "but never recorded as sent; reconcile with SES before any resend",
            )
        logger.info("already delivered", extra={"report_id": report.report_id})
        return {
            "report_id": report.report_id,
            "jurisdiction": report.jurisdiction,
            "message_id": existing["message_id"],
            "report_key": existing["report_key"],
            "version_id": existing["version_id"],
            "sha256": existing["sha256"].strip(),
        }
    try:
        locked = _store_locked(buckets[0], buckets[1], report, business_date)
        message_id = _send(report, business_date, buckets[1], locked)
    except _SendInDoubt as err:  # the claim stays 'sending': never resent automatically
        raise _in_doubt(
            db, event.run_id, report.report_id, f"{report.report_id}: SES answer lost ({err})"
        ) from err
    except (PermanentError, TransientError) as err:
        _release(db, report.report_id, event.run_id, str(err))
        raise
    pending.sent = Sent(report, locked[0], locked[1], message_id)
    return {
        "report_id": report.report_id,
        "jurisdiction": report.jurisdiction,
        "message_id": message_id,
        "report_key": locked[0],
        "version_id": locked[1],
        "sha256": report.sha256,
    }


def deliver(event: DeliverEvent, db: Database, work_bucket: str, report_bucket: str) -> dict[str, Any]:
    delivered, failed = [], []
    pending = PendingRecord()
    try:
        for report in event.valid:
            try:
                delivered.append(deliver_one(db, event, report, (work_bucket, report_bucket), pending))
            except PermanentError as err:  # TransientError propagates: the Task's Retry runs the batch again
                if getattr(err, "fails_batch", False):
                    raise
                logger.warning("delivery failed", extra={"report_id": report.report_id, "error": str(err)})
                failed.append(
                    {"report_id": report.report_id, "jurisdiction": report.jurisdiction, "error": str(err)}
                )
    except Exception:  # not BaseException: a process that dies records nothing more
        pending.flush(db, event.run_id)
        raise
    pending.flush(db, event.run_id)
    count_by_jurisdiction("ReportsDelivered", [d["jurisdiction"] for d in delivered])
    count_by_jurisdiction("DeliveryFailures", [f["jurisdiction"] for f in failed])
    return {
        "run_id": event.run_id,
        "business_date": event.business_date.isoformat(),
        "batch_id": event.batch_id,
        "delivered": delivered,
        "failed": failed,
    }


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    return deliver(
        parse_event(DeliverEvent, event),
        Database.from_env(),
        setting("WORK_BUCKET"),
        setting("REPORT_BUCKET"),
    )
