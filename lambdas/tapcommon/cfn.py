"""Answering a CloudFormation custom resource request (the cfn-response protocol, with urllib only)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

# CloudFormation shows at most this much of Reason; longer bodies are refused.
_REASON_LIMIT = 1000


def send_response(
    event: dict[str, Any],
    status: str,
    reason: str,
    physical_id: str,
    data: dict | None = None,
    timeout: float = 10.0,
) -> int:
    """PUT the result to the pre-signed ResponseURL. Returns the HTTP status CloudFormation answered."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:_REASON_LIMIT],
            "PhysicalResourceId": physical_id,
            "StackId": event.get("StackId", ""),
            "RequestId": event.get("RequestId", ""),
            "LogicalResourceId": event.get("LogicalResourceId", ""),
            "NoEcho": False,
            "Data": data or {},
        }
    ).encode()
    url = event["ResponseURL"]
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"ResponseURL is not http(s): {url[:60]}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - scheme checked above
        return answer.status
