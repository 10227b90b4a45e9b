"""SES event publishing (configuration set → SNS → Lambda): Delivery, Bounce and Complaint update a delivery.

Statuses only move forward (sent → delivered → bounced → complained), so events arriving out of order never
turn a bounce back into a delivery. Other event types (Send, Open, Click …) are counted and ignored.
"""

from __future__ import annotations

import json
from typing import Any

from tapcommon.db import Database
from tapcommon.errors import PermanentError
from tapcommon.metrics import count_by_jurisdiction

_STATUS = {
    "Delivery": ("delivered", "delivery"),
    "Bounce": ("bounced", "bounce"),
    "Complaint": ("complained", "complaint"),
}
_UPDATE_SQL = """
UPDATE deliveries d
   SET status = :status, status_at = coalesce(CAST(:at AS timestamptz), now()), status_detail = :detail
 WHERE message_id = :message_id
   AND array_position(ARRAY['sending', 'sent', 'delivered', 'bounced', 'complained'], d.status)
       <= array_position(ARRAY['sending', 'sent', 'delivered', 'bounced', 'complained'],
                         CAST(:status AS text))
RETURNING report_id, (SELECT jurisdiction FROM report_jobs j WHERE j.report_id = d.report_id) AS j
"""


def _detail(kind: str, body: dict[str, Any]) -> str:
    if kind == "Delivery":
        return str(body.get("smtpResponse", ""))
    if kind == "Bounce":
        return f"{body.get('bounceType', '')}/{body.get('bounceSubType', '')}"
    return str(body.get("complaintFeedbackType", "complaint"))


def parse_notification(record: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(kind, message id, timestamp, detail) of one SNS record, or None for event types we ignore."""
    message = json.loads(record["Sns"]["Message"])
    kind = message.get("eventType") or message.get("notificationType")
    if kind not in _STATUS:
        return None
    body = message.get(_STATUS[kind][1]) or {}
    return (
        kind,
        message["mail"]["messageId"],
        body.get("timestamp") or message["mail"].get("timestamp"),
        _detail(kind, body),
    )


def apply_ses_notifications(event: dict[str, Any], db: Database) -> dict[str, int]:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise PermanentError("MALFORMED_EVENT", "expected an SNS event with Records")
    counts = {"applied": 0, "ignored": 0, "unknown": 0, "malformed": 0}
    failures: list[str] = []
    for record in records:
        try:
            parsed = parse_notification(record)
        except (KeyError, TypeError, ValueError):
            counts["malformed"] += 1
            continue
        if parsed is None:
            counts["ignored"] += 1
            continue
        kind, message_id, timestamp, detail = parsed
        status = _STATUS[kind][0]
        with db.transaction() as tx:
            rows = tx.query(
                _UPDATE_SQL,
                {"status": status, "at": timestamp, "detail": detail[:500], "message_id": message_id},
            )
            for row in rows:
                tx.audit(
                    "ses_events",
                    f"delivery_{status}",
                    row["report_id"],
                    None,
                    {"message_id": message_id, "detail": detail[:500]},
                )
        counts["applied" if rows else "unknown"] += 1
        if rows and status != "delivered":
            failures.extend(row["j"] for row in rows)
    count_by_jurisdiction("DeliveryFailures", failures)
    return counts
