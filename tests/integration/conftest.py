"""Fixtures of the simulated flow: one business day of TapStack.json on moto, shared by the tests that only
read it back.

- `sim_day`: a `BusinessDay` of `TAPGATE_SIM_REPORTS` reports (default 200) across every jurisdiction
  pack, deployed from TapStack.json with the real handlers and a real PostgreSQL, already run through the
  daily rule. Tests that change the world (faults, re-runs) build their own day.
- `sim_outcome`: that run's `RunOutcome` (execution status, evidence from DB/S3/SES/metrics).

moto's backends are process-wide, so two simulated stacks cannot be alive at once. The tests that read the
shared day are therefore run first, together, and the shared day is closed as soon as the last of them has
run (before any test builds its own day).
"""

from __future__ import annotations

import os

import pytest

SIM_REPORTS = int(os.environ.get("TAPGATE_SIM_REPORTS", "200"))
_SHARED_FIXTURES = {"sim_day", "sim_outcome"}
_shared: dict[str, object] = {}


def _uses_shared_day(item: pytest.Item) -> bool:
    return bool(_SHARED_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # stable: module order and order within a module are kept, the shared day's readers come first
    items.sort(key=lambda item: not _uses_shared_day(item))


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if "day" in _shared and (nextitem is None or not _uses_shared_day(nextitem)):
        _shared.pop("day").__exit__(None, None, None)


@pytest.fixture
def sim_day():
    if "day" not in _shared:
        from tapgate.sim.day import BusinessDay

        day = BusinessDay(reports=SIM_REPORTS).__enter__()
        try:
            day.outcome = day.run()
        except BaseException:
            day.__exit__(None, None, None)
            raise
        _shared["day"] = day
    return _shared["day"]


@pytest.fixture
def sim_outcome(sim_day):
    return sim_day.outcome
