"""What a simulated business day left behind, read back from every side, and the invariants over it.

The counts come from four independent places that must agree: the database rows (PostgreSQL, read
directly), the S3 objects with their versions (the report bucket's `reports/` and `confirmations/`, the
work bucket's `quarantine/`), the messages moto's SES accepted, and the EMF metric lines the handlers
printed. The invariants are the flow's promises: every report ends confirmed, quarantined or failed with
a record; none is lost; none is sent twice; a quarantined report is never sent; the counts agree.

Each SES message is tied to its report by the `X-TapStack-Report-Id` header the handler puts on it (read
from the message SES accepted, not from the database), so a send the database never recorded is still
seen, and still counted against its report.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from email.parser import HeaderParser
from typing import Any

FINAL_STATUSES = ("confirmed", "quarantined", "failed")
REPORT_ID_HEADER = "X-TapStack-Report-Id"  # lambdas/tapcommon/mail.py sets it on every message
_END_OF_HEADERS = re.compile(r"\r?\n\r?\n")


@dataclass(frozen=True)
class SendAccount:
    """The day's SES messages set against the deliveries rows (see `DayEvidence.send_account`)."""

    recorded: dict[str, str]  # message id -> report id, from the deliveries rows holding a message id
    by_report: Counter[str]  # report -> SES messages for it (the day's, across runs)
    unrecorded: list[str]  # this run's messages neither recorded nor one send of a claim in doubt
    doubt_sends: Counter[str]  # report in doubt -> this run's unrecorded messages it accounts for
    unknown_recorded: set[str]  # recorded message ids SES never accepted


@dataclass
class DayEvidence:
    business_date: str
    jobs: dict[str, dict[str, Any]]  # report_id -> {jurisdiction, status}
    generated: set[str]
    validated: set[str]
    quarantined_with_violations: set[str]
    deliveries: dict[str, dict[str, Any]]  # report_id -> {status, message_id, report_key, version_id}
    confirmations: set[str]
    batch_failure_reports: set[str]
    s3_reports: dict[str, int]  # key -> number of versions (reports/ prefix of the date)
    s3_receipts: set[str]  # keys under confirmations/
    s3_quarantine: set[str]  # keys under quarantine/ in the work bucket
    ses_messages: list[str]  # SES message ids accepted during the run (from the caller's `ses_from`)
    metrics: dict[str, float] = field(default_factory=dict)
    # message id -> the report id its header names (None: no header), for every message SES holds
    ses_reports: dict[str, str | None] = field(default_factory=dict)

    def final_status(self, report_id: str) -> str:
        """The job's status; a job whose delivery failed (its record in `deliveries`) counts as failed."""
        status = self.jobs[report_id]["status"]
        if status not in FINAL_STATUSES and self.deliveries.get(report_id, {}).get("status") == "failed":
            return "failed"
        return status

    def in_doubt(self) -> set[str]:
        """Reports whose send is in doubt: the process died at SES or before the record, so the claim stays
        `sending` without a message id (deliver notes the reason and the audit event `delivery_in_doubt`
        when it finds one) and is never claimed again."""
        return {
            r for r, d in self.deliveries.items() if d.get("status") == "sending" and not d.get("message_id")
        }

    def failure_records(self) -> set[str]:
        """Reports with a record of their failure: a batch failure, a failed delivery, or a claim in doubt."""
        failed_deliveries = {r for r, d in self.deliveries.items() if d.get("status") == "failed"}
        return self.batch_failure_reports | failed_deliveries | self.in_doubt()

    def status_counts(self) -> Counter[str]:
        return Counter(self.final_status(r) for r in self.jobs)

    def by_jurisdiction(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for report_id, job in self.jobs.items():
            table.setdefault(job["jurisdiction"], Counter())[self.final_status(report_id)] += 1
        return {j: dict(sorted(c.items())) for j, c in sorted(table.items())}

    def send_account(self, final: dict[str, str]) -> SendAccount:
        """Every SES message of the day set against the deliveries rows.

        A message is recorded when its report's row holds its message id (the header, when there is one,
        must name that report). The one other way to account for a message is a send in doubt: the process
        died at SES or before the record, so the claim stays `sending` without a message id although SES
        may have accepted the mail. Such a claim accounts for at most one message, and only while its
        report is neither confirmed nor quarantined. Messages are counted per report over all the day's
        messages SES holds (earlier runs of the date too): nothing may be sent twice."""
        recorded = {d["message_id"]: r for r, d in self.deliveries.items() if d.get("message_id")}
        may_be_out = {r for r in self.in_doubt() if final.get(r) not in ("confirmed", "quarantined")}
        unrecorded: list[str] = []
        doubt_sends: Counter[str] = Counter()
        for message_id in self.ses_messages:
            named = self.ses_reports.get(message_id)
            if message_id in recorded:
                if named not in (None, recorded[message_id]):  # recorded against another report
                    unrecorded.append(message_id)
                continue
            if named in may_be_out:
                doubt_sends[named] += 1
            else:
                unrecorded.append(message_id)
        of_day = set(self.ses_messages) | {m for m, r in self.ses_reports.items() if r in self.jobs}
        by_report = Counter(self.ses_reports.get(m) or recorded.get(m) or f"unknown:{m}" for m in of_day)
        known = set(self.ses_messages) | set(self.ses_reports)
        return SendAccount(recorded, by_report, unrecorded, doubt_sends, set(recorded) - known)

    def receipts_agree(self, confirmed: set[str], account: SendAccount) -> bool:
        """Confirmations are exactly the confirmed reports, each with its receipt under its jurisdiction.
        A receipt without a confirmation is allowed only for a report that was sent (its send recorded, or
        in doubt) and is neither confirmed nor quarantined: Confirm writes the receipts before it records
        the confirmations, and a Confirm that dies or fails in between leaves them for the next run (the
        put is write-once)."""
        receipts = {key.rsplit("/", 1)[-1].removesuffix(".json"): key for key in self.s3_receipts}
        misfiled = [
            r
            for r, key in receipts.items()
            if r not in self.jobs or key.split("/")[1] != self.jobs[r]["jurisdiction"]
        ]
        sent = set(account.recorded.values()) | self.in_doubt()
        unconfirmed = set(receipts) - confirmed
        quarantined = {r for r in unconfirmed - set(misfiled) if self.final_status(r) == "quarantined"}
        return (
            self.confirmations == confirmed
            and confirmed <= set(receipts)
            and not misfiled
            and unconfirmed <= sent - quarantined
        )

    def invariants(self) -> dict[str, bool]:
        statuses = self.status_counts()
        final = {r: self.final_status(r) for r in self.jobs}
        quarantined = {r for r, s in final.items() if s == "quarantined"}
        failed = {r for r, s in final.items() if s == "failed"}
        confirmed = {r for r, s in final.items() if s == "confirmed"}
        account = self.send_account(final)
        rows_with_id = [d["message_id"] for d in self.deliveries.values() if d.get("message_id")]
        return {
            "every_report_final": all(s in FINAL_STATUSES for s in final.values()),
            "no_report_lost": sum(statuses.values()) == len(self.jobs) and self.generated <= set(self.jobs),
            "failed_have_record": failed <= self.failure_records(),
            "none_sent_twice": all(n == 1 for n in account.by_report.values()),
            "every_send_recorded": not account.unrecorded,
            "quarantined_never_sent": not (quarantined & set(account.by_report)),
            "quarantined_have_violations": quarantined <= self.quarantined_with_violations,
            "quarantined_kept_as_evidence": len(self.s3_quarantine) >= len(quarantined),
            "confirmed_in_s3_once": len(self.s3_reports) >= len(confirmed)
            and all(v == 1 for v in self.s3_reports.values()),
            "confirmed_have_receipts": self.receipts_agree(confirmed, account),
            # both ways: each recorded id is a message SES accepted, once; each of this run's messages is
            # recorded, or the one send of a claim in doubt
            "db_ses_agree": len(rows_with_id) == len(account.recorded)
            and not account.unknown_recorded
            and not account.unrecorded
            and all(n == 1 for n in account.doubt_sends.values()),
            "metrics_agree": self.metrics_agree(confirmed, quarantined),
        }

    def metrics_agree(self, confirmed: set[str], quarantined: set[str]) -> bool:
        m = self.metrics
        return (
            int(m.get("ReportsConfirmed", 0)) == len(confirmed)
            and int(m.get("ReportsDelivered", 0))
            == len([d for d in self.deliveries.values() if d.get("message_id")])
            and int(m.get("ValidationFailures", 0)) == len(quarantined)
        )


_OF_DAY = " report_id IN (SELECT report_id FROM report_jobs WHERE business_date = %s)"
_QUERIES = {  # constant SQL; the business date is always a bound parameter
    "generated": "SELECT report_id FROM reports WHERE",
    "validated": "SELECT DISTINCT report_id FROM validations WHERE",
    "quarantined_with_violations": "SELECT DISTINCT report_id FROM validations "
    "WHERE NOT valid AND jsonb_array_length(violations) > 0 AND",
    "deliveries": "SELECT report_id, status, message_id, report_key, version_id FROM deliveries WHERE",
    "confirmations": "SELECT report_id FROM confirmations WHERE",
}
_QUERIES = {name: head + _OF_DAY for name, head in _QUERIES.items()}


def _rows(conn: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def collect(stack: Any, business_date: str, emf_from: int = 0, ses_from: int = 0) -> DayEvidence:
    """Read the day back from PostgreSQL, S3, SES (messages from index `ses_from`) and the EMF lines printed
    since `emf_from` (earlier days of the same stack are not counted)."""
    import psycopg

    with psycopg.connect(stack.postgres.dsn) as conn:
        jobs = {
            r: {"jurisdiction": j, "status": s}
            for r, j, s in _rows(
                conn,
                "SELECT report_id, jurisdiction, status FROM report_jobs WHERE business_date = %s",
                business_date,
            )
        }
        generated = {r for (r,) in _rows(conn, _QUERIES["generated"], business_date)}
        validated = {r for (r,) in _rows(conn, _QUERIES["validated"], business_date)}
        bad = _rows(conn, _QUERIES["quarantined_with_violations"], business_date)
        deliveries = {
            r: {"status": s, "message_id": m, "report_key": k, "version_id": v}
            for r, s, m, k, v in _rows(conn, _QUERIES["deliveries"], business_date)
        }
        confirmations = {r for (r,) in _rows(conn, _QUERIES["confirmations"], business_date)}
        failures = _rows(
            conn, "SELECT report_ids FROM batch_failures WHERE batch_id LIKE %s", f"{business_date}-%"
        )
    ses_reports = ses_report_ids(stack)
    report_bucket = _versions(stack, "ReportBucket", ("reports/", "confirmations/"), business_date)
    return DayEvidence(
        business_date=business_date,
        jobs=jobs,
        generated=generated,
        validated=validated,
        quarantined_with_violations={r for (r,) in bad},
        deliveries=deliveries,
        confirmations=confirmations,
        batch_failure_reports={r for (ids,) in failures for r in (ids or [])},
        s3_reports=report_bucket.get("reports/", {}),
        s3_receipts=set(report_bucket.get("confirmations/", {})),
        s3_quarantine=set(_versions(stack, "WorkBucket", ("quarantine/",), business_date)["quarantine/"]),
        ses_messages=list(ses_reports)[ses_from:],
        metrics=stack.runtime.metric_totals(since=emf_from),
        ses_reports=ses_reports,
    )


def _versions(
    stack: Any, bucket_logical_id: str, prefixes: tuple[str, ...], business_date: str
) -> dict[str, dict[str, int]]:
    """prefix -> key -> number of versions (delete markers are not versions), for keys under each prefix
    whose path holds the business date.

    Read from moto's S3 store, as the SES messages are from moto's SES: the versions ListObjectVersions
    would list, without moto deep-copying the whole bucket for each page of 100, serialising every version
    to XML (a timestamp round trip through dateutil each) and botocore parsing it back: about 1 ms a
    version, most of the evidence stage of a 2,000-report day. `listed_versions` is the same through the
    API (tests/unit/sim/test_evidence_reads.py checks they agree)."""
    from moto.s3.models import FakeDeleteMarker, s3_backends

    bucket = s3_backends[stack.deployment.resolver.account]["aws"].get_bucket(
        stack.deployment.physical(bucket_logical_id)
    )
    counts: dict[str, dict[str, int]] = {prefix: {} for prefix in prefixes}
    marker = f"/{business_date}/"
    for key, versions in bucket.keys.iterlists():
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix and marker in key:
            found = sum(1 for v in versions if not isinstance(v, FakeDeleteMarker))
            if found:
                counts[prefix][key] = found
    return counts


def listed_versions(
    stack: Any, bucket_logical_id: str, prefixes: tuple[str, ...], business_date: str
) -> dict[str, dict[str, int]]:
    """`_versions` through the S3 API (ListObjectVersions, every page): the reference it is checked
    against."""
    bucket = stack.deployment.physical(bucket_logical_id)
    counts: dict[str, Counter[str]] = {prefix: Counter() for prefix in prefixes}
    for page in stack.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            key = version["Key"]
            prefix = next((p for p in prefixes if key.startswith(p)), None)
            if prefix and f"/{business_date}/" in key:
                counts[prefix][key] += 1
    return {prefix: dict(found) for prefix, found in counts.items()}


def ses_message_ids(stack: Any) -> list[str]:
    from moto.ses.models import ses_backends

    backend = ses_backends[stack.deployment.resolver.account][stack.deployment.region]
    return [message.id for message in backend.sent_messages]


def ses_report_ids(stack: Any) -> dict[str, str | None]:
    """message id -> the report id in its header, for every message SES accepted, in the order sent.
    Only the header block is parsed: a message carries its report (base64) after it."""
    from moto.ses.models import ses_backends

    backend = ses_backends[stack.deployment.resolver.account][stack.deployment.region]
    parser = HeaderParser()
    found: dict[str, str | None] = {}
    for message in backend.sent_messages:
        raw = getattr(message, "raw_data", None)
        head = _END_OF_HEADERS.split(raw, 1)[0] if raw else ""
        found[message.id] = parser.parsestr(head).get(REPORT_ID_HEADER) if head else None
    return found
