"""The MIME message sent to a regulator (SES API v2 `SendEmail`, Raw content): the report attached, or a
time-limited link to it.

Link packs go as Raw content too, although SES v2's Simple content (with `Headers`) could carry them without
building MIME here: moto records a Simple send without its headers, and the simulation's evidence ties each
message to its report by the `X-TapStack-Report-Id` header (docs/simulation.md).
"""

from __future__ import annotations

from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from tapcommon.errors import PermanentError
from tapcommon.packs import Pack

# Kept under 10 MB once base64 has grown the attachment by a third (with room for headers): SES v2 accepts
# up to 40 MB, but 10 MB is SES v1's limit and a common one for receiving mail servers.
MAX_ATTACHMENT_BYTES = 7 * 1024 * 1024


def build_message(
    pack: Pack, sender: str, report: dict, business_date: str, body: bytes | None, link: str | None
) -> bytes:
    """One email per report. `body` when the pack attaches, `link` when it links."""
    message = MIMEMultipart("mixed")
    message["Subject"] = f"[{pack.code}] {report['report_type']} {business_date} {report['report_id']}"
    message["From"] = sender
    message["To"] = pack.regulator.recipient
    message["X-TapStack-Report-Id"] = report["report_id"]
    lines = [
        f"Regulator: {pack.regulator.name}",
        f"Report: {report['report_type']} for business date {business_date}",
        f"File: {report['file_name']} ({report['size']} bytes)",
        f"SHA-256: {report['sha256']}",
    ]
    if pack.delivery == "link":
        lines.append(f"Download (valid {pack.link_expiry_hours} hours): {link}")
    message.attach(MIMEText("\n".join(lines) + "\n", "plain", "utf-8"))
    if pack.delivery == "attach":
        if body is None or len(body) > MAX_ATTACHMENT_BYTES:
            raise PermanentError(
                "TOO_LARGE_TO_ATTACH", f"{report['report_id']}: attachment over the SES limit"
            )
        subtype = {"csv": "csv", "xml": "xml", "json": "json"}.get(report["format"], "octet-stream")
        part = MIMEApplication(body, _subtype=subtype)
        part.add_header("Content-Disposition", "attachment", filename=report["file_name"])
        message.attach(part)
    return message.as_bytes()
