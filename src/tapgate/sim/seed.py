"""Deterministic seed data: N report jobs for a business date across every jurisdiction pack, with a
configurable fraction of bad data of several kinds, inserted into the schema (psycopg or the Data API).

The values are generated from the packs' own field specs, so a new pack is seeded without code here, as
long as its string patterns have a generator in `_STRING_GENERATORS` (a test seeds every pack and checks
that the clean reports pass validation). `SeedResult.bad` says which report got which defect and
`expected_rule(kind)` which validation rule must catch it. The data is fixed by the seed (the Lambda tests'
expected sets come from it): values are drawn through `Draws`, which gives random.Random's own values
without its per-draw layers, and tests/unit/sim/test_seed.py holds the original generator as reference.

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


class Draws:
    """The draws of one `random.Random` the seed makes, giving the values `rng.choice`, `rng.randrange`
    and `rng.randint` give, from the same generator in the same order, without random.py's layers per
    draw (choice → _randbelow → _randbelow_with_getrandbits): a 2,000-report seed draws ~3 million
    characters, and those layers were most of its cost. Python's `_randbelow` for a Random is a rejection
    loop on `getrandbits(n.bit_length())`; `below` is that loop (tests/unit/sim/test_seed.py compares every
    method with random.Random's own, so a Python that draws differently fails there, not in the data)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._bits = rng.getrandbits

    def below(self, n: int) -> int:
        """rng.randrange(n), n > 0."""
        bits, k = self._bits, n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    def pick(self, seq: Any) -> Any:
        """rng.choice(seq) of a non-empty sequence."""
        return seq[self.below(len(seq))]

    def chars(self, alphabet: str, count: int) -> str:
        """ "".join(rng.choice(alphabet) for _ in range(count))."""
        bits, n = self._bits, len(alphabet)
        k = n.bit_length()
        out = []
        for _ in range(count):
            r = bits(k)
            while r >= n:
                r = bits(k)
            out.append(alphabet[r])
        return "".join(out)


def random_lei(draws: Draws) -> str:
    base = draws.chars(_ALNUM, 18)
    return base + lei_check_digits(base)


_STRING_GENERATORS = {
    "^[A-Za-z0-9-]+$": lambda d: f"T-{d.below(10**9):09d}",
    "^[A-Z0-9]{1,52}$": lambda d: "UTI" + d.chars(_ALNUM, 29),
    "^[0-9A-Z]{9}$": lambda d: d.chars(_ALNUM, 9),
    "^[A-Z0-9]{4}$": lambda d: d.pick(("XLON", "XPAR", "XNYS", "XASX", "XSES")),
    "^[A-Z]{1,3}[0-9]{2,4}$": lambda d: f"{d.pick(('A', 'L', 'OB'))}{10 + d.below(9999 - 10)}",
    "^[A-Z0-9]{3,6}$": lambda d: d.chars(_ALNUM[:26], 3),
}
_CENTS = Decimal("0.01")


def _generator(spec: FieldSpec, business_date: dt.date) -> Any:
    """A function of the draws giving one value of the field: the field's spec is read once per report
    type, not once per value (a 2,000-report seed makes ~650,000 values)."""
    kind, day = spec.type, business_date.isoformat()
    if spec.allowed:
        allowed = spec.allowed
        return lambda d: d.pick(allowed)
    if kind == "lei":
        return random_lei
    if kind == "currency":
        return lambda d: d.pick(_CURRENCIES)
    if kind == "date":
        return lambda d: day
    if kind == "datetime":
        return lambda d: f"{day}T{8 + d.below(10):02d}:{d.below(60):02d}:00Z"
    if kind == "boolean":
        return lambda d: d.rng.random() < 0.5
    if kind == "integer":
        low = max(int(spec.min) if spec.min is not None else 1, 1)
        return lambda d: low + d.below(10000)  # randint(low, low + 9999)
    if kind == "decimal":
        low = max(spec.min if spec.min is not None else Decimal(0), Decimal(0))
        span = min(spec.max if spec.max is not None else Decimal(10**6), Decimal(10**6)) - low
        # randrange(1, 10**6); the arithmetic (and its Decimal context) is the one values always had
        return lambda d: str((low + span * Decimal(1 + d.below(10**6 - 1)) / 10**6).quantize(_CENTS))
    if spec.pattern:
        if spec.pattern not in _STRING_GENERATORS:
            raise ValueError(f"no seed generator for pattern {spec.pattern} (field {spec.name})")
        return _STRING_GENERATORS[spec.pattern]
    title = spec.name.replace("_", " ").title()
    return lambda d: f"{title} {d.below(1000)}"


def _generators(fields: Iterable[FieldSpec], business_date: dt.date) -> list[tuple[str, Any]]:
    return [(s.name, _generator(s, business_date)) for s in fields]


def _records(report_type: ReportType, draws: Draws, spec: SeedSpec, oversized: bool, fields: list) -> list:
    """Records of one report; an oversized one gets rows until even its CSV form is over the size limit."""
    records, size = [], 0
    count = draws.rng.randint(*spec.rows_per_report)
    while len(records) < count or (oversized and size <= report_type.max_size_bytes):
        record = {name: make(draws) for name, make in fields}
        size += len(",".join(str(v) for v in record.values())) + 3
        records.append(record)
    return records


def _header(report_type: ReportType, records: list[dict], lei: str, business_date: dt.date, draws) -> dict:
    header = {name: make(draws) for name, make in _generators(report_type.header_fields, business_date)}
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
    draws = Draws(rng)
    packs: list[Pack] = [load_pack(code) for code in (spec.jurisdictions or all_pack_codes())]
    entities = [
        {
            "entity_id": f"{pack.code}-E{n:03d}",
            "lei": random_lei(draws),
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
    record_fields = {id(rt): _generators(rt.record_fields, spec.business_date) for _, rt in kinds}
    jobs, rows, bad = [], [], {}
    for n in range(spec.reports):
        pack, report_type = kinds[n % len(kinds)]
        entity = rng.choice(by_jurisdiction[pack.code])
        report_id = f"{spec.business_date.isoformat()}-{pack.code}-{n + 1:05d}"
        kind = spec.bad_kinds[len(bad) % len(spec.bad_kinds)] if n in bad_slots else None
        fields = record_fields[id(report_type)]
        records = _records(report_type, draws, spec, kind == "oversized", fields)
        header = _header(report_type, records, entity["lei"], spec.business_date, draws)
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
