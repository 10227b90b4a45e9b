"""plan: read the report jobs due for the business date and write the batch manifest for the Distributed Map.

A re-run for a date that already ran plans only what is not yet confirmed. Without an explicit business date,
the date is the weekday before the scheduled time (the daily run reports the previous business day).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tapcommon.aws import put_object
from tapcommon.config import environment, setting
from tapcommon.db import Database
from tapcommon.events import ExecutionInput, PlanEvent, parse_event
from tapcommon.keys import manifest_key
from tapcommon.metrics import metrics

logger = Logger()
tracer = Tracer()

BATCH_SIZE = 25  # reports per manifest item: fewer Map iterations and invocations (docs/lambdas.md)
_PAGE = 5000  # report ids per Data API page, far under its 1 MiB response limit


def business_date_for(execution_input: ExecutionInput) -> dt.date:
    if execution_input.business_date:
        return execution_input.business_date
    moment = execution_input.scheduled_time or dt.datetime.now(dt.UTC)
    day = (moment.astimezone(dt.UTC) if moment.tzinfo else moment).date() - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def due_report_ids(db: Database, business_date: dt.date) -> list[str]:
    """Every job of the date that is not confirmed, jurisdiction by jurisdiction (so batches share packs)."""
    ids: list[str] = []
    last = ("", "")
    while True:
        rows = db.query(
            "SELECT jurisdiction, report_id FROM report_jobs WHERE business_date = :business_date "
            "AND status <> 'confirmed' AND (jurisdiction, report_id) > (:last_j, :last_r) "
            "ORDER BY jurisdiction, report_id LIMIT :page",
            {"business_date": business_date, "last_j": last[0], "last_r": last[1], "page": _PAGE},
        )
        ids.extend(row["report_id"] for row in rows)
        if len(rows) < _PAGE:
            return ids
        last = (rows[-1]["jurisdiction"], rows[-1]["report_id"])


def make_batches(
    business_date: dt.date, report_ids: list[str], size: int = BATCH_SIZE
) -> list[dict[str, Any]]:
    return [
        {"batch_id": f"{business_date.isoformat()}-{n}", "report_ids": report_ids[start : start + size]}
        for n, start in enumerate(range(0, len(report_ids), size), start=1)
    ]


def plan(event: PlanEvent, db: Database, work_bucket: str) -> dict[str, Any]:
    business_date = business_date_for(event.execution_input)
    report_ids = due_report_ids(db, business_date)
    batches = make_batches(business_date, report_ids)
    key = manifest_key(business_date.isoformat(), event.run_id)
    put_object(work_bucket, key, json.dumps(batches).encode(), "application/json")
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO runs (run_id, business_date, planned, batches, manifest_key) "
            "VALUES (:run_id, :business_date, :planned, :batches, :key) ON CONFLICT (run_id) DO UPDATE SET "
            "planned = EXCLUDED.planned, batches = EXCLUDED.batches, manifest_key = EXCLUDED.manifest_key",
            {
                "run_id": event.run_id,
                "business_date": business_date,
                "planned": len(report_ids),
                "batches": len(batches),
                "key": key,
            },
        )
        tx.audit(
            "plan",
            "run_planned",
            None,
            event.run_id,
            {"business_date": business_date.isoformat(), "reports": len(report_ids), "manifest_key": key},
        )
    logger.info("planned", extra={"business_date": str(business_date), "reports": len(report_ids)})
    return {
        "run_id": event.run_id,
        "business_date": business_date.isoformat(),
        "manifest": {"bucket": work_bucket, "key": key},
        "reports": len(report_ids),
        "batches": len(batches),
    }


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    return plan(parse_event(PlanEvent, event), Database.from_env(), setting("WORK_BUCKET"))
