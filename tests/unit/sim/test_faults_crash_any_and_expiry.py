"""The fault kinds the property test needs beyond the original six: `crash-any` (a handler dies at any AWS
call, optionally of one function), the call counts each injected fault keeps, and the compressed expiry of
Data API transactions a dead handler left open."""

from __future__ import annotations

from tapgate.sim.faults import FaultPlan, expire_abandoned_transactions


def test_crash_any_counts_every_service_of_its_function_only():
    plan = FaultPlan.parse("crash-any:DeliverFunction@3")
    calls = [
        ("rds-data", "ExecuteStatement", "DeliverFunction"),
        ("s3", "GetObject", "GenerateFunction"),  # another function: not counted
        ("s3", "GetObject", "DeliverFunction"),
        ("ses", "SendRawEmail", "DeliverFunction"),
    ]
    decided = [plan.decide(service, op, fn) for service, op, fn in calls]
    assert decided == [None, None, None, "crash-any:DeliverFunction"]
    assert [(i.operation, i.ordinal) for i in plan.injected] == [("SendRawEmail", 3)]


def test_an_injected_fault_keeps_the_planned_kinds_call_counts():
    plan = FaultPlan()
    plan.reset({"dataapi-badrequest:DeliverFunction": {2}, "ses-reject": set()})
    plan.decide("rds-data", "ExecuteStatement", "DeliverFunction")  # the claim
    plan.decide("ses", "SendRawEmail", "DeliverFunction")  # a send: counted, never injected
    assert (
        plan.decide("rds-data", "ExecuteStatement", "DeliverFunction") == "dataapi-badrequest:DeliverFunction"
    )
    (fault,) = plan.injected
    assert fault.seen == {"dataapi-badrequest:DeliverFunction": 2, "ses-reject": 1}


class _Bridge:
    def __init__(self, open_ids):
        self._transactions = dict.fromkeys(open_ids)
        self.ended: list[tuple[str, bool]] = []

    def end_transaction(self, transaction_id, commit):
        self._transactions.pop(transaction_id)
        self.ended.append((transaction_id, commit))


def test_expiry_rolls_back_every_open_transaction_and_nothing_else():
    bridge = _Bridge(["t1", "t2"])
    assert expire_abandoned_transactions(bridge) == 2
    assert bridge.ended == [("t1", False), ("t2", False)] and not bridge._transactions
    assert expire_abandoned_transactions(bridge) == 0
