"""The raw MIME message sent to a regulator: the report attached, or a time-limited link to it."""

from __future__ import annotations

from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from tapcommon.errors import PermanentError
from tapcommon.packs import Pack

# SES v1 SendRawEmail takes 10 MB; base64 grows an attachment by a third, and headers need room.
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
