"""Fixtures of the simulated flow: one business day of TapStack.json on moto, run once per session.

- `sim_day` (session): a `BusinessDay` of `TAPGATE_SIM_REPORTS` reports (default 200) across every
  jurisdiction pack, deployed from TapStack.json with the real handlers and a real PostgreSQL, already run
  through the daily rule. Tests read it back; tests that change the world build their own day.
- `sim_outcome` (session): that run's `RunOutcome` (execution status, evidence from DB/S3/SES/metrics).
"""

from __future__ import annotations

import os

import pytest

SIM_REPORTS = int(os.environ.get("TAPGATE_SIM_REPORTS", "200"))


@pytest.fixture(scope="session")
def sim_day():
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=SIM_REPORTS) as day:
        day.outcome = day.run()
        yield day


@pytest.fixture(scope="session")
def sim_outcome(sim_day):
    return sim_day.outcome
