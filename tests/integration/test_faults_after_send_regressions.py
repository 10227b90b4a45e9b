"""Regressions found by the fault property (test_faults_property_invariants.py), replayed as plain tests.

- A Data API BadRequest on Deliver's record of a send (after SES accepted the mail): the report was left
  `validated`, its claim `sending` with no message id, so the mail out was recorded nowhere. Now the report
  is reported delivered (its message id is known) and Confirm records the send with the confirmation.
"""

from __future__ import annotations

import pytest
from faultday import run_with_faults, sends, unaccounted

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def regression_day():
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=5) as day:
        yield day


def test_bad_request_on_delivers_record_of_a_send_leaves_the_send_recorded_and_the_report_final(
    regression_day,
):
    # Deliver's Data API calls per report: the claim, then (after the S3 copy and the SES send) the record.
    # `ses-reject` with no ordinal never fires: it counts the sends, to show the fault came after one.
    schedule = {"dataapi-badrequest:DeliverFunction": {2}, "ses-reject": set()}
    run = run_with_faults(regression_day, schedule, reports=30)
    (fault,) = run.faults
    assert (fault.kind, fault.seen["ses-reject"]) == ("dataapi-badrequest:DeliverFunction", 1)  # after a send
    assert unaccounted(regression_day, run) == []
    assert run.result["invariants"] == dict.fromkeys(run.result["invariants"], True)
    assert len(sends(regression_day, run.ses_from)) == run.result["confirmed"]
