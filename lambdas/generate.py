"""generate: render each report of a batch in its jurisdiction's format from the database rows, write it to
the work bucket's staging prefix (SSE-KMS), and record its SHA-256 and S3 version id."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tapcommon.aws import put_object
from tapcommon.config import environment, setting
from tapcommon.db import Database
from tapcommon.errors import PermanentError
from tapcommon.events import GenerateEvent, parse_event
from tapcommon.jobs import Job, load_jobs, load_records_of
from tapcommon.keys import staging_key
from tapcommon.metrics import count_by_jurisdiction, metrics
from tapcommon.packs import load_pack
from tapcommon.render import CONTENT_TYPES, file_name, render

logger = Logger()
tracer = Tracer()

_DONE = ("delivered", "confirmed")


def render_job(job: Job, records: list[dict[str, Any]]) -> tuple[str, str, bytes]:
    """Plain logic: (format, file name, bytes) of one report."""
    report_type = load_pack(job.jurisdiction).report_type(job.report_type)
    name = file_name(report_type, job.header, job.business_date, job.seq)
    return report_type.format, name, render(report_type, job.header, records)


def _already_delivered(db: Database, job: Job) -> dict[str, Any]:
    """A delivered report is never re-rendered: its recorded rendering goes on, for confirm to finish."""
    rows = db.query(
        "SELECT file_name, format, staging_key, sha256, version_id, size_bytes FROM reports "
        "WHERE report_id = :report_id",
        {"report_id": job.report_id},
    )
    if not rows:
        raise PermanentError("MISSING_ROWS", f"{job.report_id} is {job.status} but has no rendering")
    row = rows[0]
    return {
        "report_id": job.report_id,
        "jurisdiction": job.jurisdiction,
        "report_type": job.report_type,
        "format": row["format"],
        "file_name": row["file_name"],
        "staging_key": row["staging_key"],
        "sha256": row["sha256"].strip(),
        "version_id": row["version_id"],
        "size": row["size_bytes"],
        "already_delivered": True,
    }


def generate(event: GenerateEvent, db: Database, work_bucket: str) -> dict[str, Any]:
    jobs = load_jobs(db, event.batch.report_ids)
    to_render = [rid for rid in event.batch.report_ids if jobs[rid].status not in _DONE]
    records = load_records_of(db, to_render) if to_render else {}
    out: list[dict[str, Any]] = []
    for report_id in event.batch.report_ids:
        job = jobs[report_id]
        if job.status in _DONE:
            out.append(_already_delivered(db, job))
            continue
        fmt, name, body = render_job(job, records[report_id])
        key = staging_key(job.jurisdiction, job.business_date.isoformat(), name)
        sha256 = hashlib.sha256(body).hexdigest()
        answer = put_object(work_bucket, key, body, CONTENT_TYPES[fmt], sha256=sha256)  # S3 checks it
        out.append(
            {
                "report_id": report_id,
                "jurisdiction": job.jurisdiction,
                "report_type": job.report_type,
                "format": fmt,
                "file_name": name,
                "staging_key": key,
                "sha256": sha256,
                "version_id": answer.get("VersionId"),
                "size": len(body),
            }
        )
    fresh = [r for r in out if not r.get("already_delivered")]
    _record(db, event.run_id, fresh)
    count_by_jurisdiction("ReportsGenerated", [r["jurisdiction"] for r in fresh])
    return {
        "run_id": event.run_id,
        "business_date": event.business_date.isoformat(),
        "batch_id": event.batch.batch_id,
        "reports": out,
    }


# The renderings, the jobs' status and the audit events: one statement (data-modifying WITH clauses over the
# batch as a JSON array), so one auto-committed transaction and one Data API call instead of five.
_RECORD_SQL = """
WITH rendered AS (
    SELECT * FROM jsonb_to_recordset(:reports) AS r(
        report_id text, file_name text, format text, staging_key text, sha256 text, version_id text,
        size bigint)
), stored AS (
    INSERT INTO reports (report_id, run_id, file_name, format, staging_key, sha256, version_id, size_bytes,
        generated_at)
    SELECT report_id, :run_id, file_name, format, staging_key, sha256, version_id, size, :now FROM rendered
    ON CONFLICT (report_id) DO UPDATE SET run_id = EXCLUDED.run_id, file_name = EXCLUDED.file_name,
        format = EXCLUDED.format, staging_key = EXCLUDED.staging_key, sha256 = EXCLUDED.sha256,
        version_id = EXCLUDED.version_id, size_bytes = EXCLUDED.size_bytes,
        generated_at = EXCLUDED.generated_at
    RETURNING report_id
), jobs AS (
    UPDATE report_jobs SET status = 'generated', last_run_id = :run_id, updated_at = now()
    WHERE report_id IN (SELECT report_id FROM rendered) RETURNING report_id
)
INSERT INTO audit_events (actor, action, report_id, run_id, detail)
SELECT 'generate', 'report_generated', report_id, :run_id,
    jsonb_build_object('sha256', sha256, 'key', staging_key, 'version_id', version_id, 'size', size)
FROM rendered
"""
_RECORDED = ("report_id", "file_name", "format", "staging_key", "sha256", "version_id", "size")


def _record(db: Database, run_id: str, reports: list[dict[str, Any]]) -> None:
    """The renderings, the jobs' status and the audit events: one statement."""
    if not reports:
        return
    db.execute(
        _RECORD_SQL,
        {
            "reports": [{k: r[k] for k in _RECORDED} for r in reports],
            "run_id": run_id,
            "now": dt.datetime.now(dt.UTC),
        },
    )


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    return generate(parse_event(GenerateEvent, event), Database.from_env(), setting("WORK_BUCKET"))
