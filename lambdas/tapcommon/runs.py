"""Run-level records for confirm's other two actions: a batch that failed as a whole, and a run's totals."""

from __future__ import annotations

import json
from typing import Any

from tapcommon.db import Database
from tapcommon.events import FinalizeRunAction, RecordFailureAction
from tapcommon.metrics import count_by_jurisdiction


def failed_batch(failed_input: dict[str, Any]) -> tuple[str, list[str]]:
    """The batch id and report ids, whichever step failed (its input is the previous step's output)."""
    batch = failed_input.get("batch") if isinstance(failed_input.get("batch"), dict) else {}
    batch_id = str(batch.get("batch_id") or failed_input.get("batch_id") or "unknown")
    ids = list(batch.get("report_ids") or [])
    for list_name in ("reports", "valid", "delivered"):
        for item in failed_input.get(list_name) or []:
            if isinstance(item, dict) and item.get("report_id") and item["report_id"] not in ids:
                ids.append(item["report_id"])
    return batch_id, [str(i) for i in ids]


# A send Deliver could not record (SES took the mail, then the Data API failed), recorded from the message id
# Deliver reported. A row already recorded is left as it is.
_RECORD_SENDS_SQL = (
    "UPDATE deliveries SET status = 'sent', message_id = :message_id, report_key = :report_key, "
    "version_id = :version_id, sent_at = now(), status_at = now() "
    "WHERE report_id = :report_id AND status = 'sending' AND message_id IS NULL"
)


def record_sends(tx: Database, delivered: list[dict[str, Any]]) -> None:
    """Record the sends of `delivered` entries (report_id, message_id, report_key, version_id)."""
    rows = [
        {key: item.get(key) for key in ("report_id", "message_id", "report_key", "version_id")}
        for item in delivered
        if isinstance(item, dict) and item.get("report_id") and item.get("message_id")
    ]
    if rows:
        tx.batch(_RECORD_SENDS_SQL, rows)


def _error_text(action: RecordFailureAction) -> tuple[str, str]:
    """Error type and message; a Lambda error's Cause is JSON with errorType and errorMessage."""
    try:
        cause = json.loads(action.error.Cause)
        message = cause.get("errorMessage") or action.error.Cause
    except (ValueError, AttributeError):
        message = action.error.Cause
    return action.error.Error, str(message)[:2000]


def record_failure(action: RecordFailureAction, db: Database) -> dict[str, Any]:
    batch_id, report_ids = failed_batch(action.failed_input)
    error_type, message = _error_text(action)
    with db.transaction() as tx:
        record_sends(tx, action.failed_input.get("delivered") or [])  # Confirm failed: keep the message ids
        tx.execute(
            "INSERT INTO batch_failures (run_id, batch_id, report_ids, error_type, error_message) "
            "VALUES (:run_id, :batch_id, :ids, :error_type, :message) "
            "ON CONFLICT (run_id, batch_id) DO UPDATE "
            "SET report_ids = EXCLUDED.report_ids, error_type = EXCLUDED.error_type, "
            "error_message = EXCLUDED.error_message, recorded_at = now()",
            {
                "run_id": action.run_id,
                "batch_id": batch_id,
                "ids": report_ids,
                "error_type": error_type,
                "message": message,
            },
        )
        rows = tx.query(
            "UPDATE report_jobs SET status = 'failed', last_run_id = :run_id, updated_at = now() "
            "WHERE report_id IN (SELECT jsonb_array_elements_text(:ids)) "
            # a report sent before the batch failed is failed too: its deliveries row keeps the message id,
            # so the next run confirms it without a second email (deliver's claim), and none is left in limbo
            "AND status NOT IN ('confirmed', 'quarantined') RETURNING jurisdiction",
            {"run_id": action.run_id, "ids": report_ids},
        )
        tx.audit(
            "confirm",
            "batch_failed",
            None,
            action.run_id,
            {"batch_id": batch_id, "report_ids": report_ids, "error_type": error_type, "message": message},
        )
    count_by_jurisdiction("BatchFailures", sorted({r["jurisdiction"] for r in rows}), total=1)
    return {
        "run_id": action.run_id,
        "batch_id": batch_id,
        "recorded": True,
        "error_type": error_type,
        "failed_reports": len(rows),
    }


def finalize_run(action: FinalizeRunAction, db: Database) -> dict[str, Any]:
    by_status = {
        row["status"]: row["n"]
        for row in db.query(
            "SELECT status, count(*) AS n FROM report_jobs WHERE business_date = :d "
            "GROUP BY status ORDER BY status",
            {"d": action.business_date},
        )
    }
    failures = db.query(
        "SELECT count(*) AS n FROM batch_failures WHERE run_id = :run_id", {"run_id": action.run_id}
    )[0]["n"]
    totals = {"by_status": by_status, "batch_failures": failures, "reports": sum(by_status.values())}
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO runs (run_id, business_date, finished_at, totals) "
            "VALUES (:run_id, :d, now(), :totals) "
            "ON CONFLICT (run_id) DO UPDATE SET finished_at = now(), totals = EXCLUDED.totals",
            {"run_id": action.run_id, "d": action.business_date, "totals": totals},
        )
        tx.audit("confirm", "run_finalized", None, action.run_id, totals)
    return {"run_id": action.run_id, "business_date": action.business_date.isoformat(), "totals": totals}
