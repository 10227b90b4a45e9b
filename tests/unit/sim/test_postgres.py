"""tapgate.sim.postgres: both backends start a real server (as root too), create the database, and stop;
an unknown backend and an external DSN are handled."""

from __future__ import annotations

import psycopg
import pytest

from tapgate.sim.postgres import PostgresUnavailable, find_system_bindir, running_postgres


def _has_system_postgres() -> bool:
    try:
        find_system_bindir()
    except PostgresUnavailable:
        return False
    return True


@pytest.mark.parametrize(
    "backend",
    [
        "pgserver",
        pytest.param(
            "system", marks=pytest.mark.skipif(not _has_system_postgres(), reason="no Debian postgresql")
        ),
    ],
)
def test_backend_starts_creates_the_database_and_stops(backend, monkeypatch):
    monkeypatch.delenv("TAPGATE_PG_DSN", raising=False)
    with running_postgres(database="probe", backend=backend) as server:
        with psycopg.connect(server.dsn) as conn:
            assert conn.execute("SELECT current_database(), current_setting('fsync')").fetchone() == (
                "probe",
                "off",
            )
        data_dir = server.data_dir
    assert not (data_dir / "postmaster.pid").exists() and not (data_dir / "data" / "postmaster.pid").exists()


def test_unknown_backend_is_refused(monkeypatch):
    monkeypatch.delenv("TAPGATE_PG_DSN", raising=False)
    with pytest.raises(PostgresUnavailable, match="expected auto, pgserver or system"):
        with running_postgres(backend="oracle"):
            pass


def test_external_dsn_is_used_as_given(postgres_server, monkeypatch):
    monkeypatch.setenv("TAPGATE_PG_DSN", postgres_server.dsn)
    with running_postgres(database="external_probe") as server:
        assert server.backend == "external" and server.data_dir is None
        with psycopg.connect(server.dsn) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
