"""Jurisdiction packs: one JSON file per jurisdiction in lambdas/packs/, checked against this schema.

Adding a jurisdiction is adding a file; tests/unit/lambdas/test_packs.py loads every pack through `load_pack`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tapcommon.errors import PermanentError

PACKS_DIR = Path(__file__).resolve().parent.parent / "packs"
RuleId = Literal[
    "REQUIRED", "TYPE", "LEI", "CURRENCY", "DATE", "RANGE", "TOTALS", "FILE_SIZE", "FILE_NAME", "DEADLINE"
]
FieldType = Literal["string", "integer", "decimal", "boolean", "date", "datetime", "lei", "currency"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FieldType
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = Field(default=None, gt=0)
    pattern: str | None = None
    allowed: list[str] | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class TotalSpec(_Strict):
    """A header field that must equal an aggregate of the records: a count, or the sum of one field."""

    field: str
    aggregate: Literal["count", "sum"]
    of: str | None = None
    tolerance: Decimal = Decimal("0")

    @model_validator(mode="after")
    def _sum_names_a_field(self) -> TotalSpec:
        if (self.aggregate == "sum") != (self.of is not None):
            raise ValueError("a sum total names the record field it sums in `of`; a count has no `of`")
        return self


class ReportType(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    title: str
    format: Literal["csv", "xml", "json"]
    file_name: str  # a str.format template: {lei} {report_type} {yyyymmdd} {business_date} {seq}
    file_name_pattern: str
    max_size_bytes: int = Field(gt=0)
    xml_root: str = "Report"
    xml_record: str = "Record"
    header_fields: list[FieldSpec]
    record_fields: list[FieldSpec]
    totals: list[TotalSpec] = []

    @model_validator(mode="after")
    def _names_resolve(self) -> ReportType:
        header = {f.name for f in self.header_fields}
        records = {f.name for f in self.record_fields}
        for total in self.totals:
            if total.field not in header or (total.of is not None and total.of not in records):
                raise ValueError(f"total {total.field}: unknown header or record field")
        if "lei" not in header:
            raise ValueError("header_fields must include `lei` (the reporting entity, used in file names)")
        re.compile(self.file_name_pattern)
        return self


class Deadline(_Strict):
    """Due at `time` (local, in `timezone`) `business_days_after` weekdays after the business date."""

    time: dt.time
    timezone: str
    business_days_after: int = Field(ge=0, le=30)
    late_policy: Literal["deliver_late", "quarantine"]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value}") from err
        return value

    def due_at(self, business_date: dt.date) -> dt.datetime:
        day, left = business_date, self.business_days_after
        while left:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:  # weekends only; a holiday calendar per pack is future work
                left -= 1
        return dt.datetime.combine(day, self.time, tzinfo=ZoneInfo(self.timezone))


class Regulator(_Strict):
    name: str
    recipient: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Pack(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2}_[A-Z]{2,6}$")
    name: str
    regulator: Regulator
    delivery: Literal["attach", "link"]
    link_expiry_hours: int = Field(default=168, gt=0, le=168)  # a presigned URL lives 7 days at most
    deadline: Deadline
    validation_rules: list[RuleId]
    reports: list[ReportType] = Field(min_length=1)

    def report_type(self, code: str) -> ReportType:
        for report in self.reports:
            if report.code == code:
                return report
        raise PermanentError("UNKNOWN_REPORT_TYPE", f"{self.code} has no report type {code}")


def load_pack_file(path: Path) -> Pack:
    """Parse and check one pack file; the file name must be the pack's code."""
    try:
        pack = Pack.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as err:
        raise PermanentError("BAD_PACK", f"{path.name}: {err}") from err
    if path.stem != pack.code:
        raise PermanentError("BAD_PACK", f"{path.name}: file name must be {pack.code}.json")
    return pack


@functools.cache
def load_pack(code: str) -> Pack:
    """The pack for a jurisdiction code; an unknown jurisdiction is a PermanentError."""
    if not re.fullmatch(r"[A-Z]{2}_[A-Z]{2,6}", code or ""):
        raise PermanentError("UNKNOWN_JURISDICTION", f"not a jurisdiction code: {code!r}")
    path = PACKS_DIR / f"{code}.json"
    if not path.is_file():
        raise PermanentError("UNKNOWN_JURISDICTION", f"no pack for jurisdiction {code}")
    return load_pack_file(path)


def all_pack_codes() -> list[str]:
    return sorted(path.stem for path in PACKS_DIR.glob("*.json"))
