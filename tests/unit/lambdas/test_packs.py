"""Jurisdiction packs: every file in lambdas/packs/ loads against the schema; the schema refuses broken packs;
unknown jurisdictions are PermanentError; deadlines skip weekends."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tapcommon.errors import PermanentError
from tapcommon.packs import PACKS_DIR, all_pack_codes, load_pack, load_pack_file


def test_every_pack_file_loads_against_the_schema():
    codes = all_pack_codes()
    assert {"US_SEC", "UK_FCA", "EU_ESMA", "SG_MAS", "AU_ASIC"} <= set(codes)
    formats = set()
    for path in sorted(PACKS_DIR.glob("*.json")):
        pack = load_pack_file(path)
        assert pack.code == path.stem
        assert pack.reports and pack.validation_rules
        formats |= {r.format for r in pack.reports}
    assert formats == {"csv", "xml", "json"}
    assert {load_pack(c).delivery for c in codes} == {"attach", "link"}


def _write(tmp_path, pack: dict):
    path = tmp_path / f"{pack['code']}.json"
    path.write_text(json.dumps(pack))
    return path


@pytest.fixture
def sec_pack() -> dict:
    return json.loads((PACKS_DIR / "US_SEC.json").read_text())


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda p: p["reports"][0]["totals"].append({"field": "nope", "aggregate": "count"}), "total nope"),
        (lambda p: p["deadline"].update(timezone="Mars/Olympus"), "unknown time zone"),
        (lambda p: p.update(delivery="fax"), "delivery"),
        (lambda p: p["validation_rules"].append("VIBES"), "validation_rules"),
        (lambda p: p["reports"][0].update(format="pdf"), "format"),
        (lambda p: p["reports"][0]["header_fields"].pop(0), "must include `lei`"),
        (lambda p: p["regulator"].update(recipient="not-an-email"), "recipient"),
        (lambda p: p.update(surprise=True), "surprise"),
    ],
)
def test_schema_refuses_a_broken_pack(tmp_path, sec_pack, breakage, message):
    breakage(sec_pack)
    with pytest.raises(PermanentError, match="BAD_PACK") as err:
        load_pack_file(_write(tmp_path, sec_pack))
    assert message in str(err.value)


def test_file_name_must_be_the_pack_code(tmp_path, sec_pack):
    path = tmp_path / "US_OTHER.json"
    path.write_text(json.dumps(sec_pack))
    with pytest.raises(PermanentError, match=r"file name must be US_SEC\.json"):
        load_pack_file(path)


@pytest.mark.parametrize("code", ["XX_NOPE", "us_sec", "../etc/passwd", ""])
def test_unknown_jurisdiction_is_permanent(code):
    with pytest.raises(PermanentError, match="UNKNOWN_JURISDICTION"):
        load_pack(code)


def test_unknown_report_type_is_permanent():
    with pytest.raises(PermanentError, match="UNKNOWN_REPORT_TYPE"):
        load_pack("US_SEC").report_type("FORM_X")


def test_deadline_counts_business_days_in_the_regulator_time_zone():
    friday = dt.date(2026, 11, 27)
    sec_due = load_pack("US_SEC").deadline.due_at(friday)  # T+1 at 17:30 New York
    assert sec_due.isoformat() == "2026-11-30T17:30:00-05:00"
    mas_due = load_pack("SG_MAS").deadline.due_at(friday)  # T+2 at 18:00 Singapore
    assert mas_due.isoformat() == "2026-12-01T18:00:00+08:00"
