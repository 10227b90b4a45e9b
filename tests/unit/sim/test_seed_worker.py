"""tapgate.sim.seed_worker: the seed made by its own process is generate_seed's, its rows are committed
when insert() returns, a failed insert is raised here with its reason, and a worker closed before its insert
(a failed deploy) leaves no process behind."""

from __future__ import annotations

import datetime as dt

import psycopg
import psycopg.conninfo
import pytest

from tapgate.sim.seed import SeedSpec, generate_seed
from tapgate.sim.seed_worker import SeedFailed, SeedWorker

SPEC = SeedSpec(
    business_date=dt.date(2026, 11, 26),
    reports=12,
    bad_fraction=0.25,
    rows_per_report=(1, 3),
    entities_per_jurisdiction=2,
)


def test_the_workers_seed_is_generate_seeds_and_is_committed(postgres_server, fresh_database):
    dsn = psycopg.conninfo.make_conninfo(postgres_server.dsn, dbname=fresh_database)
    seeded = SeedWorker(SPEC).insert(dsn)
    expected = generate_seed(SPEC)
    assert (seeded.entities, seeded.jobs, seeded.rows, seeded.bad) == (
        expected.entities,
        expected.jobs,
        expected.rows,
        expected.bad,
    )
    with psycopg.connect(dsn) as conn:
        jobs = [r[0] for r in conn.execute("SELECT report_id FROM report_jobs ORDER BY report_id")]
        rows = conn.execute("SELECT count(*) FROM report_rows").fetchone()[0]
    assert jobs == sorted(expected.report_ids) and rows == len(expected.rows)


def test_a_failed_insert_is_raised_with_its_reason():
    worker = SeedWorker(SPEC)
    with pytest.raises(SeedFailed, match="seeding failed: OperationalError"):
        worker.insert("host=127.0.0.1 port=1 dbname=none connect_timeout=2")


def test_a_worker_closed_before_its_insert_leaves_no_process():
    worker = SeedWorker(SPEC)
    worker.close()
    assert worker._process.poll() is not None
