"""confirm.ses_events_handler: SNS-wrapped SES Delivery, Bounce and Complaint events update the delivery's
status (never backwards), unknown message ids and other event types are counted and ignored, bounces emit
DeliveryFailures, and a non-SNS event is a PermanentError."""

from __future__ import annotations

import json

import pytest

import confirm
from tapcommon.errors import PermanentError


def _sns(event_type: str, message_id: str, **body) -> dict:
    key = {"Delivery": "delivery", "Bounce": "bounce", "Complaint": "complaint"}.get(event_type, "send")
    message = {
        "eventType": event_type,
        "mail": {"messageId": message_id, "timestamp": "2026-11-27T10:00:00Z"},
        key: {"timestamp": "2026-11-27T10:00:05Z", **body},
    }
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]}


@pytest.fixture
def delivered(pipeline, platform):
    pipeline.deliver()
    return [d["message_id"] for d in pipeline.delivered[0]["delivered"]]


def _status(platform, message_id: str) -> str:
    return platform.query("SELECT status FROM deliveries WHERE message_id = :m", {"m": message_id})[0][
        "status"
    ]


def test_delivery_bounce_complaint(delivered, platform, lambda_context, capsys):
    first, second, third = delivered[:3]
    assert (
        confirm.ses_events_handler(_sns("Delivery", first, smtpResponse="250 OK"), lambda_context)["applied"]
        == 1
    )
    confirm.ses_events_handler(
        _sns("Bounce", second, bounceType="Permanent", bounceSubType="General"), lambda_context
    )
    confirm.ses_events_handler(_sns("Complaint", third, complaintFeedbackType="abuse"), lambda_context)
    assert [_status(platform, m) for m in (first, second, third)] == ["delivered", "bounced", "complained"]
    (row,) = platform.query("SELECT status_detail FROM deliveries WHERE message_id = :m", {"m": second})
    assert row["status_detail"] == "Permanent/General"
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "DeliveryFailures" in line]
    assert sum(m["DeliveryFailures"][0] for m in emf if "jurisdiction" not in m) == 2


def test_status_never_goes_backwards(delivered, platform, lambda_context):
    message_id = delivered[0]
    confirm.ses_events_handler(_sns("Bounce", message_id, bounceType="Permanent"), lambda_context)
    out = confirm.ses_events_handler(_sns("Delivery", message_id), lambda_context)
    assert _status(platform, message_id) == "bounced" and out["unknown"] == 1


def test_unknown_and_other_events_are_ignored(delivered, lambda_context):
    assert confirm.ses_events_handler(_sns("Delivery", "not-ours"), lambda_context)["unknown"] == 1
    assert confirm.ses_events_handler(_sns("Open", delivered[0]), lambda_context)["ignored"] == 1
    garbled = {"Records": [{"Sns": {"Message": "{not json"}}]}
    assert confirm.ses_events_handler(garbled, lambda_context)["malformed"] == 1


def test_a_non_sns_event_is_permanent(platform, lambda_context):
    with pytest.raises(PermanentError, match="Records"):
        confirm.ses_events_handler({"detail": {}}, lambda_context)
