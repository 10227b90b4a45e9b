"""tapgate.sim.harness: PostgreSQL starts on a thread while the deploy's imports run; its server is yielded
and stopped on exit, a start failure is raised on the caller's thread, and a failing import still stops a
server that did start (no PostgreSQL left running)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tapgate.sim import harness, postgres

TEMPLATE = Path(__file__).resolve().parents[3] / "TapStack.json"


class FakeServer:
    def __init__(self) -> None:
        self.stopped = 0
        self.thread = threading.current_thread().name

    def stop(self) -> None:
        self.stopped += 1


@pytest.fixture
def stack(tmp_path):
    return harness.SimStack(TEMPLATE, tmp_path)


def test_the_server_starts_on_its_own_thread_and_is_stopped_on_exit(stack, monkeypatch):
    servers: list[FakeServer] = []
    monkeypatch.setattr(
        postgres, "start_postgres", lambda database: servers.append(FakeServer()) or servers[-1]
    )
    imported = []
    monkeypatch.setattr(
        harness, "_import_for_deploy", lambda: imported.append(threading.current_thread().name)
    )
    with stack._postgres_while_importing() as server:
        assert server is servers[0] and server.stopped == 0
    assert server.stopped == 1
    assert server.thread == "postgres-start" and imported == [threading.current_thread().name]


def test_a_failed_start_is_raised_here(stack, monkeypatch):
    def refuse(database):
        raise postgres.PostgresUnavailable("no server")

    monkeypatch.setattr(postgres, "start_postgres", refuse)
    monkeypatch.setattr(harness, "_import_for_deploy", lambda: None)
    with pytest.raises(postgres.PostgresUnavailable, match="no server"), stack._postgres_while_importing():
        pytest.fail("entered without a server")


def test_a_failed_import_stops_the_started_server(stack, monkeypatch):
    servers: list[FakeServer] = []
    monkeypatch.setattr(
        postgres, "start_postgres", lambda database: servers.append(FakeServer()) or servers[-1]
    )

    def broken_import():
        raise ImportError("moto is broken")

    monkeypatch.setattr(harness, "_import_for_deploy", broken_import)
    with pytest.raises(ImportError), stack._postgres_while_importing():
        pytest.fail("entered after a failed import")
    assert [s.stopped for s in servers] == [1]
