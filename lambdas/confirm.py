"""confirm: record confirmations and receipts (action `confirm`), a failed batch (`record_failure`), and a
run's totals (`finalize_run`); `ses_events_handler` applies SES delivery, bounce and complaint events.

Confirming is idempotent: the receipt is written once (a conditional put) and the confirmation row once
(its primary key); a retry confirms nothing twice and answers the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from tapcommon.aws import put_object
from tapcommon.config import environment, setting
from tapcommon.db import Database
from tapcommon.events import (
    ConfirmAction,
    Delivered,
    FinalizeRunAction,
    RecordFailureAction,
    parse_confirm_event,
)
from tapcommon.keys import confirmation_key
from tapcommon.metrics import count_by_jurisdiction, metrics
from tapcommon.runs import finalize_run, record_failure
from tapcommon.ses_events import apply_ses_notifications

logger = Logger()
tracer = Tracer()


def receipt(event: ConfirmAction, delivered, confirmed_at: dt.datetime) -> dict[str, Any]:
    return {
        "report_id": delivered.report_id,
        "jurisdiction": delivered.jurisdiction,
        "business_date": event.business_date.isoformat(),
        "run_id": event.run_id,
        "message_id": delivered.message_id,
        "sha256": delivered.sha256,
        "report_key": delivered.report_key,
        "report_version_id": delivered.version_id,
        "confirmed_at": confirmed_at.isoformat(),
    }


def _write_receipt(bucket: str, key: str, document: dict[str, Any]) -> None:
    """Write once: if a receipt is already there (an earlier attempt), keep it."""
    try:
        body = json.dumps(document, indent=2).encode()
        put_object(
            bucket, key, body, "application/json", sha256=hashlib.sha256(body).hexdigest(), IfNoneMatch="*"
        )
    except Exception as err:
        cause = err.__cause__
        if isinstance(cause, ClientError) and cause.response["Error"]["Code"] in (
            "PreconditionFailed",
            "412",
        ):
            return
        raise


def _already_confirmed(db: Database, report_ids: list[str]) -> set[str]:
    if not report_ids:
        return set()
    rows = db.query(
        "SELECT report_id FROM confirmations WHERE report_id IN (SELECT jsonb_array_elements_text(:ids))",
        {"ids": report_ids},
    )
    return {row["report_id"] for row in rows}


# A send Deliver could not record (recorded here from its message id, as runs.record_sends does), the
# confirmation rows, the jobs' status and the audit events: one statement (data-modifying WITH clauses over
# the batch as a JSON array), so one auto-committed transaction and one Data API call instead of six.
_RECORD_SQL = """
WITH confirmed AS (
    SELECT * FROM jsonb_to_recordset(:confirmed) AS c(
        report_id text, message_id text, report_key text, version_id text, sha256 text, receipt_key text)
), sends AS (
    UPDATE deliveries AS d SET status = 'sent', message_id = c.message_id, report_key = c.report_key,
        version_id = c.version_id, sent_at = now(), status_at = now()
    FROM confirmed AS c
    WHERE d.report_id = c.report_id AND d.status = 'sending' AND d.message_id IS NULL
        AND c.message_id IS NOT NULL
    RETURNING d.report_id
), stored AS (
    INSERT INTO confirmations (report_id, run_id, message_id, sha256, version_id, receipt_key, confirmed_at)
    SELECT report_id, :run_id, message_id, sha256, version_id, receipt_key, :now FROM confirmed
    ON CONFLICT (report_id) DO NOTHING RETURNING report_id
), jobs AS (
    UPDATE report_jobs SET status = 'confirmed', updated_at = now()
    WHERE report_id IN (SELECT report_id FROM confirmed) RETURNING report_id
)
INSERT INTO audit_events (actor, action, report_id, run_id, detail)
SELECT 'confirm', 'report_confirmed', report_id, :run_id,
    jsonb_build_object('message_id', message_id, 'receipt_key', receipt_key)
FROM confirmed
"""


def _record(db: Database, run_id: str, fresh: list[tuple[Delivered, str]], now: dt.datetime) -> None:
    """Deliver's unrecorded sends, confirmation rows, the jobs' status and the audit events: one statement."""
    db.execute(
        _RECORD_SQL,
        {
            "confirmed": [
                {
                    "report_id": d.report_id,
                    "message_id": d.message_id,
                    "report_key": d.report_key,
                    "version_id": d.version_id,
                    "sha256": d.sha256,
                    "receipt_key": key,
                }
                for d, key in fresh
            ],
            "run_id": run_id,
            "now": now,
        },
    )


def confirm(event: ConfirmAction, db: Database, report_bucket: str) -> dict[str, Any]:
    done = _already_confirmed(db, [d.report_id for d in event.delivered])
    fresh: list[tuple[Delivered, str]] = []
    now = dt.datetime.now(dt.UTC)
    for delivered in event.delivered:
        if delivered.report_id in done:
            continue
        key = confirmation_key(delivered.jurisdiction, event.business_date.isoformat(), delivered.report_id)
        _write_receipt(report_bucket, key, receipt(event, delivered, now))
        fresh.append((delivered, key))
    if fresh:
        _record(db, event.run_id, fresh, now)
    count_by_jurisdiction("ReportsConfirmed", [d.jurisdiction for d, _ in fresh])
    return {
        "run_id": event.run_id,
        "batch_id": event.batch_id,
        "confirmed": len(event.delivered),
        "failed": len(event.failed),
    }


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    action = parse_confirm_event(event)
    db = Database.from_env()
    if isinstance(action, RecordFailureAction):
        return record_failure(action, db)
    if isinstance(action, FinalizeRunAction):
        return finalize_run(action, db)
    return confirm(action, db, setting("REPORT_BUCKET"))


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def ses_events_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    return apply_ses_notifications(event, Database.from_env())
