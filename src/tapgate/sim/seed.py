"""Deterministic seed data: N report jobs for a business date across every jurisdiction pack, with a
configurable fraction of bad data of several kinds, inserted into the schema (psycopg or the Data API).

The values are generated from the packs' own field specs, so a new pack is seeded without code here, as
long as its string patterns have a generator in `_STRING_GENERATORS` (a test seeds every pack and checks
that the clean reports pass validation). `SeedResult.bad` says which report got which defect and
`expected_rule(kind)` which validation rule must catch it.

The business date defaults to the weekday before today: deadlines are judged against the real clock, so an
old business date makes every report late (a DEADLINE warning, or a quarantine where the pack says so).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

LAMBDAS_DIR = Path(__file__).resolve().parents[3] / "lambdas"
if str(LAMBDAS_DIR) not in sys.path:
    sys.path.insert(0, str(LAMBDAS_DIR))

from tapcommon.iso import lei_check_digits  # noqa: E402 - needs the path above
from tapcommon.packs import FieldSpec, Pack, ReportType, all_pack_codes, load_pack  # noqa: E402

BAD_KINDS = (
    "bad_lei",
    "bad_currency",
    "bad_date",
    "totals_mismatch",
    "missing_required",
    "oversized",
    "late",
)
_EXPECTED_RULE = {
    "bad_lei": "LEI",
    "bad_currency": "CURRENCY",
    "bad_date": "DATE",
    "totals_mismatch": "TOTALS",
    "missing_required": "REQUIRED",
    "oversized": "FILE_SIZE",
    "late": "DEADLINE",
}
_CURRENCIES = ("USD", "EUR", "GBP", "SGD", "AUD", "JPY", "CHF")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def expected_rule(kind: str) -> str:
    return _EXPECTED_RULE[kind]


def previous_weekday(today: dt.date | None = None) -> dt.date:
    day = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class SeedSpec:
    business_date: dt.date = field(default_factory=previous_weekday)
    reports: int = 2000
    bad_fraction: float = 0.05
    bad_kinds: tuple[str, ...] = BAD_KINDS
    seed: int = 20261127
    rows_per_report: tuple[int, int] = (5, 30)
    entities_per_jurisdiction: int = 40
    jurisdictions: tuple[str, ...] | None = None  # default: every pack


@dataclass
class SeedResult:
    business_date: dt.date
    entities: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    rows: list[tuple[str, int, dict[str, Any]]]
    bad: dict[str, str]  # report_id -> bad kind

    @property
    def report_ids(self) -> list[str]:
        return [job["report_id"] for job in self.jobs]

    def expected_quarantined(self) -> set[str]:
        """Reports validation must quarantine (a late report is only quarantined where the pack says so)."""
        jurisdiction = {job["report_id"]: job["jurisdiction"] for job in self.jobs}
        return {
            rid
            for rid, kind in self.bad.items()
            if kind != "late" or load_pack(jurisdiction[rid]).deadline.late_policy == "quarantine"
        }


def random_lei(rng: random.Random) -> str:
    base = "".join(rng.choice(_ALNUM) for _ in range(18))
    return base + lei_check_digits(base)


_STRING_GENERATORS = {
    "^[A-Za-z0-9-]+$": lambda rng: f"T-{rng.randrange(10**9):09d}",
    "^[A-Z0-9]{1,52}$": lambda rng: "UTI" + "".join(rng.choice(_ALNUM) for _ in range(29)),
    "^[0-9A-Z]{9}$": lambda rng: "".join(rng.choice(_ALNUM) for _ in range(9)),
    "^[A-Z0-9]{4}$": lambda rng: rng.choice(("XLON", "XPAR", "XNYS", "XASX", "XSES")),
    "^[A-Z]{1,3}[0-9]{2,4}$": lambda rng: f"{rng.choice(('A', 'L', 'OB'))}{rng.randrange(10, 9999)}",
    "^[A-Z0-9]{3,6}$": lambda rng: "".join(rng.choice(_ALNUM[:26]) for _ in range(3)),
}


def _value(spec: FieldSpec, rng: random.Random, business_date: dt.date) -> Any:
    kind = spec.type
    if spec.allowed:
        return rng.choice(spec.allowed)
    if kind == "lei":
        return random_lei(rng)
    if kind == "currency":
        return rng.choice(_CURRENCIES)
    if kind == "date":
        return business_date.isoformat()
    if kind == "datetime":
        return f"{business_date.isoformat()}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00Z"
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "integer":
        low = int(spec.min) if spec.min is not None else 1
        return rng.randint(max(low, 1), max(low, 1) + 9999)
    if kind == "decimal":
        low = max(spec.min if spec.min is not None else Decimal(0), Decimal(0))
        high = min(spec.max if spec.max is not None else Decimal(10**6), Decimal(10**6))
        return str((low + (high - low) * Decimal(rng.randrange(1, 10**6)) / 10**6).quantize(Decimal("0.01")))
    if spec.pattern:
        if spec.pattern not in _STRING_GENERATORS:
            raise ValueError(f"no seed generator for pattern {spec.pattern} (field {spec.name})")
        return _STRING_GENERATORS[spec.pattern](rng)
    return f"{spec.name.replace('_', ' ').title()} {rng.randrange(1000)}"


def _records(report_type: ReportType, rng: random.Random, spec: SeedSpec, oversized: bool) -> list[dict]:
    """Records of one report; an oversized one gets rows until even its CSV form is over the size limit."""
    records, size = [], 0
    count = rng.randint(*spec.rows_per_report)
    while len(records) < count or (oversized and size <= report_type.max_size_bytes):
        record = {s.name: _value(s, rng, spec.business_date) for s in report_type.record_fields}
        size += len(",".join(str(v) for v in record.values())) + 3
        records.append(record)
    return records


def _header(report_type: ReportType, records: list[dict], lei: str, business_date: dt.date, rng) -> dict:
    header = {spec.name: _value(spec, rng, business_date) for spec in report_type.header_fields}
    header.update(lei=lei, business_date=business_date.isoformat())
    for total in report_type.totals:
        if total.aggregate == "count":
            header[total.field] = len(records)
        else:
            header[total.field] = str(sum((Decimal(str(r[total.of])) for r in records), Decimal(0)))
    return header


def _spoil(kind: str, report_type: ReportType, header: dict, records: list[dict], rng, job: dict) -> None:
    """Introduce one defect of `kind` (in place)."""
    record = records[rng.randrange(len(records))]
    if kind == "bad_lei":
        header["lei"] = header["lei"][:18] + f"{(int(header['lei'][18:]) + 1) % 100:02d}"
    elif kind == "bad_currency":
        field_name = next(s.name for s in report_type.record_fields if s.type == "currency")
        record[field_name] = "XXQ"
    elif kind == "bad_date":
        field_name = next(s.name for s in report_type.record_fields if s.type == "date")
        record[field_name] = rng.choice(("2026-02-30", "27/11/2026", "20261127"))
    elif kind == "totals_mismatch":
        total = next(t for t in report_type.totals if t.aggregate == "sum")
        header[total.field] = str(Decimal(header[total.field]) + Decimal("100.00"))
    elif kind == "missing_required":
        field_name = next(s.name for s in report_type.record_fields if s.required)
        record.pop(field_name)
    elif kind == "late":
        job["due_at"] = dt.datetime.combine(
            dt.date.fromisoformat(header["business_date"]), dt.time(0), dt.UTC
        )
    elif kind != "oversized":  # oversized is made by the number of records, before this
        raise ValueError(f"unknown bad data kind {kind}")


def generate_seed(spec: SeedSpec) -> SeedResult:
    """Everything to insert, generated deterministically from `spec.seed`."""
    rng = random.Random(spec.seed)  # noqa: S311 - reproducible test data, not secrets
    packs: list[Pack] = [load_pack(code) for code in (spec.jurisdictions or all_pack_codes())]
    entities = [
        {
            "entity_id": f"{pack.code}-E{n:03d}",
            "lei": random_lei(rng),
            "legal_name": f"{pack.code} Client {n}",
            "jurisdiction": pack.code,
        }
        for pack in packs
        for n in range(spec.entities_per_jurisdiction)
    ]
    by_jurisdiction = {p.code: [e for e in entities if e["jurisdiction"] == p.code] for p in packs}
    kinds = [(pack, rt) for pack in packs for rt in pack.reports]
    bad_count = round(spec.reports * spec.bad_fraction)
    bad_slots = set(rng.sample(range(spec.reports), bad_count)) if bad_count else set()
    jobs, rows, bad = [], [], {}
    for n in range(spec.reports):
        pack, report_type = kinds[n % len(kinds)]
        entity = rng.choice(by_jurisdiction[pack.code])
        report_id = f"{spec.business_date.isoformat()}-{pack.code}-{n + 1:05d}"
        kind = spec.bad_kinds[len(bad) % len(spec.bad_kinds)] if n in bad_slots else None
        records = _records(report_type, rng, spec, oversized=kind == "oversized")
        header = _header(report_type, records, entity["lei"], spec.business_date, rng)
        job = {
            "report_id": report_id,
            "business_date": spec.business_date,
            "jurisdiction": pack.code,
            "report_type": report_type.code,
            "entity_id": entity["entity_id"],
            "due_at": None,
        }
        if kind:
            _spoil(kind, report_type, header, records, rng, job)
            bad[report_id] = kind
        job["header"] = header
        jobs.append(job)
        rows.extend((report_id, line, record) for line, record in enumerate(records, start=1))
    return SeedResult(spec.business_date, entities, jobs, rows, bad)


_INSERT_ENTITY = (
    "INSERT INTO entities (entity_id, lei, legal_name, jurisdiction) VALUES "
    "(%(entity_id)s, %(lei)s, %(legal_name)s, %(jurisdiction)s) ON CONFLICT (entity_id) DO NOTHING"
)
_INSERT_JOB = (
    "INSERT INTO report_jobs (report_id, business_date, jurisdiction, report_type, entity_id, header, "
    "due_at) VALUES (%(report_id)s, %(business_date)s, %(jurisdiction)s, %(report_type)s, "
    "%(entity_id)s, %(header)s, %(due_at)s)"
)


def insert_with_psycopg(dsn: str, data: SeedResult) -> None:
    """Fast path for big seeds: one connection, executemany and COPY, one transaction."""
    import psycopg
    from psycopg.types.json import Jsonb

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(_INSERT_ENTITY, data.entities)
        cur.executemany(_INSERT_JOB, [job | {"header": Jsonb(job["header"])} for job in data.jobs])
        with cur.copy("COPY report_rows (report_id, line_no, data) FROM STDIN") as copy:
            for report_id, line, record in data.rows:
                copy.write_row((report_id, line, json.dumps(record)))


def insert_with_data_api(db: Any, data: SeedResult, chunk: int = 500) -> None:
    """Through the Data API (`tapcommon.db.Database`): BatchExecuteStatement in chunks, one transaction."""
    as_named = {"entities": _INSERT_ENTITY, "jobs": _INSERT_JOB}
    named = {k: v.replace("%(", ":").replace(")s", "") for k, v in as_named.items()}
    with db.transaction() as tx:
        for part in _chunks(data.entities, chunk):
            tx.batch(named["entities"], part)
        for part in _chunks(data.jobs, chunk):
            tx.batch(named["jobs"], part)
        rows = [{"report_id": r, "line_no": line, "data": record} for r, line, record in data.rows]
        for part in _chunks(rows, chunk):
            tx.batch(
                "INSERT INTO report_rows (report_id, line_no, data) VALUES (:report_id, :line_no, :data)",
                part,
            )


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
