"""validate: apply each report's jurisdiction rules to the rendered bytes in staging; quarantine the invalid.

An invalid report is copied to the quarantine prefix (kept as evidence), recorded with its violations and
never delivered. The payload carries at most a few violations per report (Step Functions' 256 KiB limit);
the database keeps them all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tapcommon.aws import copy_object, get_object
from tapcommon.config import environment, setting
from tapcommon.db import Database
from tapcommon.errors import PermanentError
from tapcommon.events import GeneratedReport, ValidateEvent, parse_event
from tapcommon.jobs import Job, load_jobs
from tapcommon.keys import quarantine_key
from tapcommon.metrics import count_by_jurisdiction, metrics
from tapcommon.packs import load_pack
from tapcommon.render import parse
from tapcommon.rules import ReportFacts, Violation, is_blocking, validate_report

logger = Logger()
tracer = Tracer()

PAYLOAD_VIOLATIONS = 5


def check_report(report: GeneratedReport, job: Job, body: bytes, now: dt.datetime) -> list[Violation]:
    """Plain logic: every violation of one rendered report."""
    pack = load_pack(job.jurisdiction)
    report_type = pack.report_type(job.report_type)
    if hashlib.sha256(body).hexdigest() != report.sha256:
        return [Violation("CHECKSUM", "file", report.sha256, "staged bytes differ from the recorded SHA-256")]
    try:
        header, records = parse(report_type.format, body)
    except PermanentError as err:
        return [Violation("FORMAT", "file", None, str(err))]
    facts = ReportFacts(
        file_name=report.file_name,
        size=len(body),
        business_date=job.business_date,
        now=now,
        due_at=job.due_at,
    )
    return validate_report(pack, report_type, header, records, facts)


def validate(event: ValidateEvent, db: Database, work_bucket: str, now: dt.datetime | None = None) -> dict:
    now = now or dt.datetime.now(dt.UTC)
    jobs = load_jobs(db, [r.report_id for r in event.reports])
    valid, quarantined, outcomes = [], [], []
    for report in event.reports:
        if report.already_delivered:
            valid.append(report.model_dump())
            continue
        body = get_object(work_bucket, report.staging_key, report.version_id)
        violations = check_report(report, jobs[report.report_id], body, now)
        if is_blocking(violations):
            key = quarantine_key(report.jurisdiction, event.business_date.isoformat(), report.file_name)
            copy_object(work_bucket, report.staging_key, report.version_id, work_bucket, key)
            quarantined.append(
                {
                    "report_id": report.report_id,
                    "jurisdiction": report.jurisdiction,
                    "violations": [v.as_dict() for v in violations[:PAYLOAD_VIOLATIONS]],
                    "violation_count": len(violations),
                }
            )
        else:
            key = None
            late = any(v.rule == "DEADLINE" for v in violations)
            valid.append(report.model_dump() | {"late": late})
        outcomes.append((report, violations, key))
    _record(db, event.run_id, outcomes)
    count_by_jurisdiction("ValidationFailures", [q["jurisdiction"] for q in quarantined])
    return {
        "run_id": event.run_id,
        "business_date": event.business_date.isoformat(),
        "batch_id": event.batch_id,
        "valid": valid,
        "quarantined": quarantined,
        "valid_count": len(valid),
        "quarantined_count": len(quarantined),
    }


# The validation rows, the jobs' status and the audit events: one statement (data-modifying WITH clauses over
# the batch as a JSON array), so one auto-committed transaction and one Data API call instead of six.
_RECORD_SQL = """
WITH outcome AS (
    SELECT * FROM jsonb_to_recordset(:outcomes) AS o(
        report_id text, valid boolean, violations jsonb, quarantine_key text, sha256 text)
), stored AS (
    INSERT INTO validations (report_id, run_id, valid, violations, quarantine_key, sha256)
    SELECT report_id, :run_id, valid, violations, quarantine_key, sha256 FROM outcome RETURNING report_id
), jobs AS (
    UPDATE report_jobs AS j
    SET status = CASE WHEN o.valid THEN 'validated' ELSE 'quarantined' END, last_run_id = :run_id,
        updated_at = now()
    FROM outcome AS o WHERE j.report_id = o.report_id RETURNING j.report_id
)
INSERT INTO audit_events (actor, action, report_id, run_id, detail)
SELECT 'validate', 'report_validated', report_id, :run_id, jsonb_build_object(
    'valid', valid, 'violations', jsonb_array_length(violations), 'quarantine_key', quarantine_key)
FROM outcome
"""


def _record(
    db: Database, run_id: str, outcomes: list[tuple[GeneratedReport, list[Violation], str | None]]
) -> None:
    """Validation rows, job status and audit events for the batch: one statement."""
    if not outcomes:
        return
    db.execute(
        _RECORD_SQL,
        {
            "outcomes": [
                {
                    "report_id": r.report_id,
                    "valid": key is None,
                    "violations": [v.as_dict() for v in vs],
                    "quarantine_key": key,
                    "sha256": r.sha256,
                }
                for r, vs, key in outcomes
            ],
            "run_id": run_id,
        },
    )


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    return validate(parse_event(ValidateEvent, event), Database.from_env(), setting("WORK_BUCKET"))
