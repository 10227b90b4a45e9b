"""Validation rules: each rule's pass and fail (REQUIRED, TYPE, LEI, CURRENCY, DATE, RANGE, TOTALS, FILE_SIZE,
FILE_NAME, DEADLINE), the ISO checks behind them, and that a pack can switch a rule off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tapcommon.iso import is_currency, is_valid_lei, lei_check_digits, parse_date, parse_datetime
from tapcommon.packs import FieldSpec, load_pack
from tapcommon.rules import ReportFacts, check_field, is_blocking, validate_report

ALL = frozenset(
    {"REQUIRED", "TYPE", "LEI", "CURRENCY", "DATE", "RANGE", "TOTALS", "FILE_SIZE", "FILE_NAME", "DEADLINE"}
)
SEC = load_pack("US_SEC")
FOCUS = SEC.report_type("X17A5_FOCUS")
LEI = "5493001KJTIIGC8Y1R12"
DAY = dt.date(2026, 11, 26)
ON_TIME = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def _rules(spec: FieldSpec, value) -> list[str]:
    return [v.rule for v in check_field(spec, value, "f", ALL)]


@pytest.mark.parametrize(
    "spec, good, bad, rule",
    [
        (FieldSpec(name="a", type="string"), "x", None, "REQUIRED"),
        (FieldSpec(name="a", type="string"), "x", "", "REQUIRED"),
        (FieldSpec(name="a", type="integer"), "12", "1.5", "TYPE"),
        (FieldSpec(name="a", type="integer"), 12, True, "TYPE"),
        (FieldSpec(name="a", type="decimal"), "10.25", "ten", "TYPE"),
        (FieldSpec(name="a", type="decimal"), "10.25", "NaN", "TYPE"),
        (FieldSpec(name="a", type="boolean"), "true", "yes", "TYPE"),
        (FieldSpec(name="a", type="string", max_length=3), "abc", "abcd", "TYPE"),
        (FieldSpec(name="a", type="string", pattern="^[A-Z]{2}$"), "AB", "A1", "TYPE"),
        (FieldSpec(name="a", type="string", allowed=["BUY", "SELL"]), "BUY", "HOLD", "TYPE"),
        (FieldSpec(name="a", type="lei"), LEI, "5493001KJTIIGC8Y1R13", "LEI"),
        (FieldSpec(name="a", type="lei"), LEI, "5493001kjtiigc8y1r12", "LEI"),
        (FieldSpec(name="a", type="lei"), LEI, "5493001KJTIIGC8Y1R1", "LEI"),
        (FieldSpec(name="a", type="currency"), "EUR", "EUX", "CURRENCY"),
        (FieldSpec(name="a", type="currency"), "EUR", "eur", "CURRENCY"),
        (FieldSpec(name="a", type="currency", allowed=["USD"]), "USD", "EUR", "CURRENCY"),
        (FieldSpec(name="a", type="date"), "2026-02-28", "2026-02-30", "DATE"),
        (FieldSpec(name="a", type="date"), "2026-02-28", "28/02/2026", "DATE"),
        (FieldSpec(name="a", type="date"), "2026-02-28", "20260228", "DATE"),
        (FieldSpec(name="a", type="datetime"), "2026-02-28T10:00:00Z", "2026-02-28T10:00:00", "DATE"),
        (FieldSpec(name="a", type="datetime"), "2026-02-28T10:00+01:00", "2026-02-28 10:00Z", "DATE"),
        (FieldSpec(name="a", type="decimal", min=Decimal(0)), "0", "-0.01", "RANGE"),
        (FieldSpec(name="a", type="integer", max=Decimal(10)), "10", "11", "RANGE"),
    ],
)
def test_field_rule_passes_and_fails(spec, good, bad, rule):
    assert _rules(spec, good) == []
    assert _rules(spec, bad) == [rule]


def test_an_optional_field_may_be_empty():
    assert _rules(FieldSpec(name="a", type="lei", required=False), "") == []


def test_lei_check_digits_follow_iso_7064_mod_97_10():
    for real in ("5493001KJTIIGC8Y1R12", "7LTWFZYICNSX8D621K86", "HWUPKR0MPOU8FGXBT394"):
        assert is_valid_lei(real)
        assert lei_check_digits(real[:18]) == real[18:]
    assert not is_valid_lei(12345)


def test_iso_helpers():
    assert is_currency("SGD") and not is_currency("XTS")  # testing codes are not allowed in reports
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29) and parse_date("2023-02-29") is None
    assert parse_datetime("2026-01-01T00:00:00.123Z").tzinfo is not None


def _report(records=None, **header_overrides):
    records = (
        records
        if records is not None
        else [
            {
                "trade_id": "T-1",
                "trade_date": "2026-11-26",
                "execution_time": "2026-11-26T10:00:00Z",
                "counterparty_lei": LEI,
                "side": "BUY",
                "quantity": "10",
                "price": "10.00",
                "notional": "100.00",
                "currency": "USD",
            },
            {
                "trade_id": "T-2",
                "trade_date": "2026-11-26",
                "execution_time": "2026-11-26T11:00:00Z",
                "counterparty_lei": LEI,
                "side": "SELL",
                "quantity": "5",
                "price": "10.10",
                "notional": "50.50",
                "currency": "EUR",
            },
        ]
    )
    header = {
        "lei": LEI,
        "business_date": "2026-11-26",
        "report_currency": "USD",
        "record_count": "2",
        "total_notional": "150.50",
    } | header_overrides
    return header, records


def _facts(**overrides) -> ReportFacts:
    base = {
        "file_name": f"{LEI}_X17A5_FOCUS_20261126_00001.xml",
        "size": 2000,
        "business_date": DAY,
        "now": ON_TIME,
    }
    return ReportFacts(**(base | overrides))


def _violations(header, records, facts=None, pack=SEC):
    return {(v.rule, v.field) for v in validate_report(pack, FOCUS, header, records, facts or _facts())}


def test_a_clean_report_has_no_violations():
    assert _violations(*_report()) == set()


def test_totals_must_reconcile_count_and_sum():
    assert _violations(*_report(record_count="3")) == {("TOTALS", "header.record_count")}
    assert _violations(*_report(total_notional="150.52")) == {("TOTALS", "header.total_notional")}
    assert _violations(*_report(total_notional="150.51")) == set()  # within the pack's 0.01 tolerance


def test_record_violations_name_the_record_and_field():
    header, records = _report()
    records[1]["currency"] = "ZZZ"
    del records[0]["trade_date"]
    assert _violations(header, records) == {
        ("CURRENCY", "records[1].currency"),
        ("REQUIRED", "records[0].trade_date"),
    }


def test_file_size_and_name():
    assert _violations(*_report(), _facts(size=FOCUS.max_size_bytes)) == set()
    assert _violations(*_report(), _facts(size=FOCUS.max_size_bytes + 1)) == {("FILE_SIZE", "file")}
    assert _violations(*_report(), _facts(file_name="focus.xml")) == {("FILE_NAME", "file")}


def test_deadline_is_a_warning_where_late_reports_are_delivered():
    late = _facts(now=dt.datetime(2026, 11, 27, 22, 31, tzinfo=dt.UTC))  # 17:31 New York
    found = validate_report(SEC, FOCUS, *_report(), late)
    assert [(v.rule, v.severity) for v in found] == [("DEADLINE", "warning")]
    assert not is_blocking(found)
    assert (
        validate_report(SEC, FOCUS, *_report(), _facts(now=dt.datetime(2026, 11, 27, 22, 29, tzinfo=dt.UTC)))
        == []
    )


def test_deadline_is_an_error_where_the_pack_quarantines_late_reports():
    mas = load_pack("SG_MAS")
    facts = ReportFacts(
        file_name="x.csv",
        size=1,
        business_date=DAY,
        now=ON_TIME,
        due_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
    )
    found = [v for v in validate_report(mas, mas.reports[0], {}, [], facts) if v.rule == "DEADLINE"]
    assert [v.severity for v in found] == ["error"]


def test_a_rule_the_pack_does_not_list_is_not_applied():
    relaxed = SEC.model_copy(update={"validation_rules": ["REQUIRED"]})
    header, records = _report(total_notional="1")
    records[0]["currency"] = "ZZZ"
    assert _violations(header, records, pack=relaxed) == set()


def test_violations_are_capped():
    header, records = _report()
    broken = [dict(records[0], currency="ZZZ") for _ in range(500)]
    found = validate_report(SEC, FOCUS, header | {"record_count": "500"}, broken, _facts())
    assert len(found) <= 102 and found[-1].rule == "TOO_MANY"
