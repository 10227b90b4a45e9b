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


@pytest.mark.parametrize("seed", [0, 1, 20261127])
def test_draws_give_random_randoms_values_in_its_order(seed):
    """The seed's data is fixed by its seed (the Lambda tests' expected sets come from it): `Draws` must give
    what random.Random's choice/randrange/randint give, and leave the generator where they leave it."""
    import random

    from tapgate.sim.seed import Draws

    ours, theirs = random.Random(seed), random.Random(seed)
    draws = Draws(ours)
    alphabets = ("A", "AB", "ABC", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    sizes = (1, 2, 3, 7, 8, 9, 60, 64, 65, 1000, 9989, 10000, 10**6 - 1, 10**9, 2**31, 2**33 + 5)
    for step in range(3000):
        alphabet = alphabets[step % len(alphabets)]
        count = step % 31
        assert draws.chars(alphabet, count) == "".join(theirs.choice(alphabet) for _ in range(count))
        n = sizes[step % len(sizes)]
        assert draws.below(n) == theirs.randrange(n)
        assert draws.pick(("XLON", "XPAR", "XNYS")) == theirs.choice(("XLON", "XPAR", "XNYS"))
        assert ours.random() == theirs.random()  # interleaved with the generator's other draws
    assert ours.getstate() == theirs.getstate()


def _reference_value(spec, rng, business_date):
    """The seed's values as they were first written, through random.Random's own methods: the reference
    the faster generators must match value for value (the seeded data may not change)."""
    from decimal import Decimal

    from tapcommon.iso import lei_check_digits

    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    strings = {
        "^[A-Za-z0-9-]+$": lambda: f"T-{rng.randrange(10**9):09d}",
        "^[A-Z0-9]{1,52}$": lambda: "UTI" + "".join(rng.choice(alnum) for _ in range(29)),
        "^[0-9A-Z]{9}$": lambda: "".join(rng.choice(alnum) for _ in range(9)),
        "^[A-Z0-9]{4}$": lambda: rng.choice(("XLON", "XPAR", "XNYS", "XASX", "XSES")),
        "^[A-Z]{1,3}[0-9]{2,4}$": lambda: f"{rng.choice(('A', 'L', 'OB'))}{rng.randrange(10, 9999)}",
        "^[A-Z0-9]{3,6}$": lambda: "".join(rng.choice(alnum[:26]) for _ in range(3)),
    }
    if spec.allowed:
        return rng.choice(spec.allowed)
    if spec.type == "lei":
        base = "".join(rng.choice(alnum) for _ in range(18))
        return base + lei_check_digits(base)
    if spec.type == "currency":
        return rng.choice(("USD", "EUR", "GBP", "SGD", "AUD", "JPY", "CHF"))
    if spec.type == "date":
        return business_date.isoformat()
    if spec.type == "datetime":
        return f"{business_date.isoformat()}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00Z"
    if spec.type == "boolean":
        return rng.random() < 0.5
    if spec.type == "integer":
        low = int(spec.min) if spec.min is not None else 1
        return rng.randint(max(low, 1), max(low, 1) + 9999)
    if spec.type == "decimal":
        low = max(spec.min if spec.min is not None else Decimal(0), Decimal(0))
        high = min(spec.max if spec.max is not None else Decimal(10**6), Decimal(10**6))
        return str((low + (high - low) * Decimal(rng.randrange(1, 10**6)) / 10**6).quantize(Decimal("0.01")))
    if spec.pattern:
        return strings[spec.pattern]()
    return f"{spec.name.replace('_', ' ').title()} {rng.randrange(1000)}"


def test_every_field_of_every_pack_draws_its_reference_values():
    """Each field generator of every pack against the reference: the same values, the generator left in
    the same state."""
    import random

    from tapcommon.packs import all_pack_codes
    from tapgate.sim.seed import Draws, _generator

    checked = 0
    for code in all_pack_codes():
        for report_type in load_pack(code).reports:
            for spec in (*report_type.header_fields, *report_type.record_fields):
                ours, theirs = random.Random(5), random.Random(5)
                make, draws = _generator(spec, DAY), Draws(ours)
                assert [make(draws) for _ in range(30)] == [
                    _reference_value(spec, theirs, DAY) for _ in range(30)
                ]
                assert ours.getstate() == theirs.getstate(), (code, spec.name)
                checked += 1
    assert checked > 50
