"""`tapgate simulate` (its `simulate()` API) with a handler dying inside a Data API transaction whose rollback
times out too: the transaction is abandoned with its row locks held. The harness expires it before the next
handler runs (the service's 3-minute timeout, compressed), so the run finishes and the reports are accounted
for; without that the retried handler would wait on the locks forever. The run is joined with a limit so a
regression fails here instead of hanging CI.
"""

from __future__ import annotations

import threading

import pytest

from tapgate.sim.faults import FaultPlan

pytestmark = pytest.mark.integration

# A 5-report day's ConfirmFunction (counted on a fault-free run): its 7th AWS call begins the confirm
# transaction and the 12th commits it; the 11th (a BatchExecuteStatement, its 6th Data API call) comes after
# the UPDATE of the batch's report_jobs rows. The crash there makes db.py roll back: the rollback is
# Confirm's 7th Data API call, and all four attempts botocore makes at it time out (7-10), so the
# transaction stays open holding those rows. RecordBatchFailure (Confirm again, caught Runtime.ExitError)
# then updates the same rows: without the expiry it waits forever (checked by hand: still running at 120 s).
PLAN = "crash-any:ConfirmFunction@11,dataapi-timeout:ConfirmFunction@7+8+9+10"
LIMIT_S = 300  # a 5-report day takes well under a minute; a lock wait never ends


def test_a_transaction_abandoned_by_a_crash_does_not_hang_the_simulation():
    from tapgate.sim.command import simulate

    faults = FaultPlan.parse(PLAN)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = simulate(5, None, faults, None, None, 0.0, 20261127)
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            outcome["error"] = err

    worker = threading.Thread(target=run, name="simulate", daemon=True)
    worker.start()
    worker.join(LIMIT_S)
    assert not worker.is_alive(), f"tapgate simulate still running after {LIMIT_S} s (waiting on locks?)"
    assert "error" not in outcome, outcome.get("error")
    injected = {(i.kind, i.operation) for i in faults.injected}
    assert ("crash-any:ConfirmFunction", "BatchExecuteStatement") in injected
    assert ("dataapi-timeout:ConfirmFunction", "RollbackTransaction") in injected
    invariants = outcome["result"]["invariants"]
    for name in ("no_report_lost", "none_sent_twice", "failed_have_record", "every_report_final"):
        assert invariants[name], (name, outcome["result"])
