"""The full business day: 2,000 reports across every jurisdiction pack through TapStack.json's own state
machine (Distributed Map over the plan's manifest), every invariant holding. Marked `fullday`: its own tox
env and CI step, not the default run."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.fullday]


def test_two_thousand_reports_end_confirmed_or_quarantined_with_agreeing_counts():
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=2000) as day:
        outcome = day.run()
        result = day.result(outcome)
    assert result["reports"] == 2000
    assert result["confirmed"] + result["quarantined"] == 2000
    assert result["confirmed"] == result["delivered"] == result["ses_messages"]
    assert result["invariants"] == dict.fromkeys(result["invariants"], True)
