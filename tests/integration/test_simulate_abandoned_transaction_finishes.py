"""A simulated run with a handler dying inside a Data API transaction whose rollback times out too: the
transaction is abandoned with its row locks held. The harness expires it before the next handler runs (the
service's 3-minute timeout, compressed), so the next run of the date, which writes the same rows, finishes
and accounts for every report; without that it would wait on the locks forever. The runs are joined with a
limit so a regression fails here instead of hanging CI.
"""

from __future__ import annotations

import threading

import pytest
from faultday import run_date, run_with_faults, unaccounted

pytestmark = pytest.mark.integration

# Generate's first Data API call is refused, so the batch goes to RecordBatchFailure (ConfirmFunction's
# first invocation of the date), whose calls are all Data API calls: begin (1), the batch_failures row (2),
# the UPDATE of the batch's report_jobs rows (3), the audit event (4), commit. It dies at the 4th; db.py's
# rollback is then the 5th call, and all four attempts botocore makes at it time out (5-8): the transaction
# stays open, holding the batch's report_jobs rows. The next run's Generate updates those rows.
SCHEDULE = {
    "dataapi-badrequest:GenerateFunction": {1},
    "crash-any:ConfirmFunction": {4},
    "dataapi-timeout:ConfirmFunction": {5, 6, 7, 8},
}
LIMIT_S = 300  # two 5-report runs take well under a minute; a lock wait never ends


def test_a_transaction_abandoned_by_a_crash_does_not_hang_the_next_run():
    from tapgate.sim.day import BusinessDay

    outcome: dict = {}

    def run() -> None:
        try:
            with BusinessDay(reports=5) as day:
                first = run_with_faults(day, SCHEDULE, reports=5)
                again = run_date(day, first.business_date, {}, first.data)
                outcome.update(
                    first=first, again=again, unaccounted=unaccounted(day, again, since=first.ses_from)
                )
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            outcome["error"] = err

    worker = threading.Thread(target=run, name="simulate", daemon=True)
    worker.start()
    worker.join(LIMIT_S)
    assert not worker.is_alive(), f"the runs still going after {LIMIT_S} s (waiting on locks?)"
    assert "error" not in outcome, outcome.get("error")
    injected = {(i.kind, i.operation) for i in outcome["first"].faults}
    assert ("crash-any:ConfirmFunction", "ExecuteStatement") in injected
    assert ("dataapi-timeout:ConfirmFunction", "RollbackTransaction") in injected
    assert outcome["unaccounted"] == []
    again = outcome["again"]
    assert again.outcome.status == "SUCCEEDED"
    for name in ("no_report_lost", "none_sent_twice", "failed_have_record", "every_report_final"):
        assert again.result["invariants"][name], (name, again.result)
