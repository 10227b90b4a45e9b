"""The validation rules a pack can switch on, applied to a report read back from its rendered bytes.

Rule ids (a pack lists the ones it applies in `validation_rules`):
REQUIRED, TYPE (type, length, pattern, allowed values), LEI (ISO 17442 check digits), CURRENCY (ISO 4217 and
the pack's allowed list), DATE (ISO 8601), RANGE (min/max), TOTALS (header totals reconcile with the
records), FILE_SIZE, FILE_NAME (the pack's convention), DEADLINE (validated before the due time; a warning
when the pack delivers late reports, an error when it quarantines them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tapcommon.iso import is_currency, is_valid_lei, parse_date, parse_datetime
from tapcommon.packs import FieldSpec, Pack, ReportType

MAX_VIOLATIONS = 100  # a broken 3,000-line file need not record 3,000 identical messages
_VALUE_PREVIEW = 80


@dataclass(frozen=True)
class Violation:
    rule: str
    field: str
    value: str | None
    message: str
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReportFacts:
    """What the rules look at besides the content: the file and the timing."""

    file_name: str
    size: int
    business_date: dt.date
    now: dt.datetime
    due_at: dt.datetime | None = None  # the job's own due time, when it has one; else the pack's deadline


def _preview(value: Any) -> str | None:
    return None if value is None else str(value)[:_VALUE_PREVIEW]


def _number(value: Any, integer: bool) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or (integer and number != number.to_integral_value()):
        return None
    return number


def check_field(spec: FieldSpec, value: Any, where: str, rules: frozenset[str]) -> list[Violation]:
    """The violations of one field value (at most one per field: the first rule it breaks)."""
    if value is None or value == "":
        if spec.required and "REQUIRED" in rules:
            return [Violation("REQUIRED", where, None, f"{spec.name} is required")]
        return []
    bad = _type_violation(spec, value, where, rules)
    if bad:
        return [bad]
    if spec.allowed is not None and str(value) not in spec.allowed:
        rule = "CURRENCY" if spec.type == "currency" else "TYPE"
        if rule in rules:
            return [Violation(rule, where, _preview(value), f"{spec.name} must be one of {spec.allowed}")]
    if spec.type in ("integer", "decimal") and "RANGE" in rules:
        number = _number(value, spec.type == "integer")
        if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
            return [
                Violation(
                    "RANGE", where, _preview(value), f"{spec.name} must be within [{spec.min}, {spec.max}]"
                )
            ]
    return []


def _type_violation(spec: FieldSpec, value: Any, where: str, rules: frozenset[str]) -> Violation | None:
    kind = spec.type
    if kind == "lei":
        ok, rule, what = is_valid_lei(str(value)), "LEI", "an ISO 17442 LEI with valid check digits"
    elif kind == "currency":
        ok, rule, what = is_currency(str(value)), "CURRENCY", "an ISO 4217 currency code"
    elif kind == "date":
        ok, rule, what = parse_date(str(value)) is not None, "DATE", "an ISO 8601 date (YYYY-MM-DD)"
    elif kind == "datetime":
        ok, rule, what = parse_datetime(str(value)) is not None, "DATE", "an ISO 8601 date-time with offset"
    elif kind in ("integer", "decimal"):
        ok, rule, what = _number(value, kind == "integer") is not None, "TYPE", f"a {kind}"
    elif kind == "boolean":
        ok, rule, what = value in (True, False, "true", "false"), "TYPE", "true or false"
    else:
        text = str(value)
        ok, rule, what = isinstance(value, str), "TYPE", "a string"
        if ok and spec.max_length is not None and len(text) > spec.max_length:
            ok, what = False, f"at most {spec.max_length} characters"
        if ok and spec.pattern is not None and not re.fullmatch(spec.pattern, text):
            ok, what = False, f"matching {spec.pattern}"
    if ok or rule not in rules:
        return None
    return Violation(rule, where, _preview(value), f"{spec.name} must be {what}")


def check_totals(
    report_type: ReportType, header: dict, records: list[dict], rules: frozenset[str]
) -> list[Violation]:
    if "TOTALS" not in rules:
        return []
    found = []
    for total in report_type.totals:
        declared = _number(header.get(total.field), integer=False)
        if declared is None:
            continue  # missing or mistyped: REQUIRED/TYPE already said so
        if total.aggregate == "count":
            actual = Decimal(len(records))
        else:
            actual = sum((_number(r.get(total.of), False) or Decimal(0) for r in records), Decimal(0))
        if abs(declared - actual) > total.tolerance:
            found.append(
                Violation(
                    "TOTALS",
                    f"header.{total.field}",
                    _preview(header.get(total.field)),
                    f"{total.field} is {declared} but the records give {actual}",
                )
            )
    return found


def check_file(
    pack: Pack, report_type: ReportType, facts: ReportFacts, rules: frozenset[str]
) -> list[Violation]:
    found = []
    if "FILE_SIZE" in rules and facts.size > report_type.max_size_bytes:
        found.append(
            Violation(
                "FILE_SIZE",
                "file",
                str(facts.size),
                f"{facts.size} bytes is over the {report_type.max_size_bytes}-byte limit",
            )
        )
    if "FILE_NAME" in rules and not re.fullmatch(report_type.file_name_pattern, facts.file_name):
        found.append(
            Violation(
                "FILE_NAME", "file", facts.file_name, f"file name must match {report_type.file_name_pattern}"
            )
        )
    if "DEADLINE" in rules:
        due = facts.due_at or pack.deadline.due_at(facts.business_date)
        if facts.now > due:
            severity = "warning" if pack.deadline.late_policy == "deliver_late" else "error"
            found.append(
                Violation(
                    "DEADLINE",
                    "file",
                    facts.now.isoformat(),
                    f"validated after the deadline {due.isoformat()}",
                    severity,
                )
            )
    return found


def validate_report(
    pack: Pack,
    report_type: ReportType,
    header: dict[str, Any],
    records: list[dict[str, Any]],
    facts: ReportFacts,
) -> list[Violation]:
    """Every violation of the pack's rules, file checks first; errors quarantine, warnings do not."""
    rules = frozenset(pack.validation_rules)
    found = check_file(pack, report_type, facts, rules)
    for spec in report_type.header_fields:
        found.extend(check_field(spec, header.get(spec.name), f"header.{spec.name}", rules))
    for index, record in enumerate(records):
        for spec in report_type.record_fields:
            found.extend(check_field(spec, record.get(spec.name), f"records[{index}].{spec.name}", rules))
        if len(found) >= MAX_VIOLATIONS:
            found.append(Violation("TOO_MANY", "records", None, f"stopped after {MAX_VIOLATIONS} violations"))
            return found
    found.extend(check_totals(report_type, header, records, rules))
    return found


def is_blocking(violations: list[Violation]) -> bool:
    return any(v.severity == "error" for v in violations)
