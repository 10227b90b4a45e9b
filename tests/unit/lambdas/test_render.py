"""Renderers: CSV, XML and JSON round-trip through `parse` (what validate reads is what was rendered),
special characters survive, unreadable bytes are PermanentError, and file names follow the pack."""

from __future__ import annotations

import datetime as dt

import pytest

from tapcommon.errors import PermanentError
from tapcommon.packs import load_pack
from tapcommon.render import file_name, parse, render

CASES = [("US_SEC", "X17A5_FOCUS"), ("UK_FCA", "MIFIR_TXN"), ("EU_ESMA", "EMIR_REFIT")]


@pytest.mark.parametrize("code, report_code", CASES)
def test_round_trip(code, report_code):
    report_type = load_pack(code).report_type(report_code)
    header = {"lei": "5493001KJTIIGC8Y1R12", "business_date": "2026-11-26", "record_count": 2}
    records = [{f.name: f"v,<&>\"'{i}" for f in report_type.record_fields} for i in range(2)]
    body = render(report_type, header, records)
    parsed_header, parsed_records = parse(report_type.format, body)
    as_text = {k: str(v) for k, v in header.items()}
    assert {k: str(v) for k, v in parsed_header.items() if v != ""} == as_text
    assert [{k: v for k, v in r.items() if v != ""} for r in parsed_records] == records


def test_formats_are_what_the_pack_says():
    sec = load_pack("US_SEC").report_type("X17A5_FOCUS")
    assert render(sec, {"lei": "L"}, []).startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<FocusReport>')
    fca = load_pack("UK_FCA").report_type("MIFIR_TXN")
    assert render(fca, {"lei": "L"}, []).splitlines()[0].startswith(b"H,lei,business_date")
    esma = load_pack("EU_ESMA").report_type("EMIR_REFIT")
    assert render(esma, {"lei": "L"}, []) == b'{"header":{"lei":"L"},"records":[]}'


@pytest.mark.parametrize("fmt, body", [("json", b"{"), ("csv", b"H,a\n"), ("xml", b"<Report>"), ("pdf", b"")])
def test_unreadable_report_is_permanent(fmt, body):
    with pytest.raises(PermanentError):
        parse(fmt, body)


def test_file_name_follows_the_pack_and_is_safe_in_a_key():
    sec = load_pack("US_SEC").report_type("X17A5_FOCUS")
    name = file_name(sec, {"lei": "5493001KJTIIGC8Y1R12"}, dt.date(2026, 11, 26), 7)
    assert name == "5493001KJTIIGC8Y1R12_X17A5_FOCUS_20261126_00007.xml"
    unsafe = file_name(sec, {"lei": "../../x y"}, dt.date(2026, 11, 26), 7)
    assert unsafe == ".._.._x_y_X17A5_FOCUS_20261126_00007.xml"  # one key segment, and FILE_NAME will fail it
