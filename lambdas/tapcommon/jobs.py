"""Reading report jobs and their source rows through the Data API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tapcommon.db import Database
from tapcommon.errors import PermanentError


@dataclass(frozen=True)
class Job:
    report_id: str
    business_date: dt.date
    jurisdiction: str
    report_type: str
    status: str
    header: dict[str, Any]
    due_at: dt.datetime | None
    seq: int


def _seq(report_id: str) -> int:
    """The job's number within its date: the digits after the last '-' of its id (0 when there are none)."""
    tail = report_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def load_jobs(db: Database, report_ids: list[str]) -> dict[str, Job]:
    """The jobs by id; an id with no job is a PermanentError (the manifest and the database disagree)."""
    rows = db.query(
        "SELECT report_id, business_date, jurisdiction, report_type, status, header, due_at FROM report_jobs "
        "WHERE report_id IN (SELECT jsonb_array_elements_text(:ids))",
        {"ids": report_ids},
        json_fields=("header",),
    )
    jobs = {
        row["report_id"]: Job(
            report_id=row["report_id"],
            business_date=dt.date.fromisoformat(row["business_date"]),
            jurisdiction=row["jurisdiction"],
            report_type=row["report_type"],
            status=row["status"],
            header=row["header"] or {},
            due_at=dt.datetime.fromisoformat(row["due_at"]).replace(tzinfo=dt.UTC) if row["due_at"] else None,
            seq=_seq(row["report_id"]),
        )
        for row in rows
    }
    missing = [rid for rid in report_ids if rid not in jobs]
    if missing:
        raise PermanentError("MISSING_ROWS", f"no report job for {', '.join(missing[:5])}")
    return jobs


RECORDS_PAGE = 1000  # rows per Data API call: a page stays far under the 1 MiB response limit


def load_records_of(db: Database, report_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The source rows of several reports (a batch), in line order, a page of rows per Data API call."""
    records: dict[str, list[dict[str, Any]]] = {report_id: [] for report_id in report_ids}
    last_id, last_line = "", 0
    while True:
        rows = db.query(
            "SELECT report_id, line_no, data FROM report_rows "
            "WHERE report_id IN (SELECT jsonb_array_elements_text(:ids)) "
            "AND (report_id, line_no) > (:last_id, :last_line) ORDER BY report_id, line_no LIMIT :page",
            {"ids": report_ids, "last_id": last_id, "last_line": last_line, "page": RECORDS_PAGE},
            json_fields=("data",),
        )
        for row in rows:
            records[row["report_id"]].append(row["data"])
        if len(rows) < RECORDS_PAGE:
            return records
        last_id, last_line = rows[-1]["report_id"], rows[-1]["line_no"]
