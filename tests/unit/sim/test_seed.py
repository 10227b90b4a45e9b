"""tapgate.sim.seed: deterministic output, every bad kind present in the asked fraction, clean reports of
every pack pass validation and each defect is caught by its rule (rendered and validated like the handlers
do), and both insert paths (psycopg, Data API) load the same rows."""

from __future__ import annotations

import datetime as dt

import pytest

from tapcommon.packs import load_pack
from tapcommon.render import file_name, parse, render
from tapcommon.rules import ReportFacts, is_blocking, validate_report
from tapgate.sim.seed import BAD_KINDS, SeedSpec, expected_rule, generate_seed, insert_with_psycopg

DAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 27, 5, tzinfo=dt.UTC)
SPEC = SeedSpec(
    business_date=DAY, reports=70, bad_fraction=0.2, rows_per_report=(2, 6), entities_per_jurisdiction=5
)


@pytest.fixture(scope="module")
def data():
    return generate_seed(SPEC)


def test_seed_is_deterministic(data):
    again = generate_seed(SPEC)
    assert again.jobs == data.jobs and again.rows == data.rows and again.bad == data.bad
    assert generate_seed(SeedSpec(**{**SPEC.__dict__, "seed": 1})).rows != data.rows


def test_bad_kinds_and_fraction(data):
    assert len(data.bad) == 14
    assert set(data.bad.values()) == set(BAD_KINDS)
    assert {job["jurisdiction"] for job in data.jobs} == {"US_SEC", "UK_FCA", "EU_ESMA", "SG_MAS", "AU_ASIC"}


def _violations(data, job):
    pack = load_pack(job["jurisdiction"])
    report_type = pack.report_type(job["report_type"])
    records = [r for rid, _, r in data.rows if rid == job["report_id"]]
    body = render(report_type, job["header"], records)
    header, parsed = parse(report_type.format, body)
    name = file_name(report_type, job["header"], DAY, int(job["report_id"].rsplit("-", 1)[1]))
    facts = ReportFacts(file_name=name, size=len(body), business_date=DAY, now=NOW, due_at=job["due_at"])
    return validate_report(pack, report_type, header, parsed, facts)


def test_clean_reports_pass_and_each_defect_is_caught_by_its_rule(data):
    for job in data.jobs:
        found = _violations(data, job)
        kind = data.bad.get(job["report_id"])
        if kind is None:
            assert found == [], (job["report_id"], found)
        else:
            assert expected_rule(kind) in {v.rule for v in found}, (job["report_id"], kind, found)
    quarantined = {j["report_id"] for j in data.jobs if is_blocking(_violations(data, j))}
    assert quarantined == data.expected_quarantined()


def test_psycopg_and_data_api_inserts_load_the_same_rows(data, data_api, postgres_server):
    import psycopg.conninfo

    from tapgate.sim.seed import insert_with_data_api

    small = generate_seed(
        SeedSpec(
            business_date=DAY, reports=7, bad_fraction=0, rows_per_report=(1, 2), entities_per_jurisdiction=1
        )
    )
    insert_with_data_api(data_api, small)
    via_api = data_api.query(
        "SELECT report_id, header FROM report_jobs ORDER BY report_id", json_fields=["header"]
    )
    data_api.execute("DELETE FROM report_rows")
    data_api.execute("DELETE FROM report_jobs")
    data_api.execute("DELETE FROM entities")
    insert_with_psycopg(psycopg.conninfo.make_conninfo(postgres_server.dsn, dbname=data_api.database), small)
    via_sql = data_api.query(
        "SELECT report_id, header FROM report_jobs ORDER BY report_id", json_fields=["header"]
    )
    assert via_api == via_sql and len(via_sql) == 7
    assert data_api.query("SELECT count(*) AS n FROM report_rows") == [{"n": len(small.rows)}]
