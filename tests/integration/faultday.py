"""Helpers of the fault scenarios: one deployed stack, a fresh business date per scenario."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

# Weekdays after the default business date: each scenario gets its own, so scenarios never share reports.
_FIRST = dt.date(2026, 11, 30)
_weekdays = (d for d in (_FIRST + dt.timedelta(days=n) for n in itertools.count()) if d.weekday() < 5)


@dataclass
class FaultRun:
    outcome: Any
    result: dict[str, Any]
    retries: list[Any]  # the Step Functions retries of this run (clock records)
    injected: dict[str, int]
    data: Any  # the seed of the date


def run_with_faults(day: Any, ordinals: dict[str, set[int]], reports: int = 30) -> FaultRun:
    business_date = next(_weekdays)
    data = day.add_day(business_date, reports)
    day.faults.reset(ordinals)
    retries_from = len(day.stack.clock.retries)
    outcome = day.run(business_date)
    result = day.result(outcome)
    return FaultRun(outcome, result, day.stack.clock.retries[retries_from:], day.faults.counts(), data)
