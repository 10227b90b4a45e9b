"""Helpers of the fault scenarios: one deployed stack, a fresh business date per scenario, and the checks that
every report of a faulted run is accounted for (sends read back from SES by the report id each message
carries, so a send the database never recorded is still seen)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tapgate.sim.evidence import FINAL_STATUSES, ses_message_ids, ses_report_ids
from tapgate.sim.evidence import REPORT_ID_HEADER as REPORT_ID_HEADER  # the scenarios rewrite it

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
    business_date: dt.date | None = None
    ses_from: int = 0  # index of this run's first message in moto's SES backend
    faults: list[Any] = field(default_factory=list)  # the injected faults (tapgate.sim.faults.Injected)


def run_with_faults(day: Any, ordinals: dict[str, set[int]], reports: int = 30) -> FaultRun:
    business_date = next(_weekdays)
    data = day.add_day(business_date, reports)
    return run_date(day, business_date, ordinals, data)


def run_date(day: Any, business_date: dt.date, ordinals: dict[str, set[int]], data: Any = None) -> FaultRun:
    """Run `business_date` (already seeded) under the fault schedule `ordinals`."""
    day.faults.reset(ordinals)
    retries_from = len(day.stack.clock.retries)
    ses_from = len(ses_message_ids(day.stack))
    outcome = day.run(business_date)
    result = day.result(outcome)
    injected, faults = day.faults.counts(), list(day.faults.injected)
    day.faults.reset({})
    retries = day.stack.clock.retries[retries_from:]
    return FaultRun(outcome, result, retries, injected, data, business_date, ses_from, faults)


def sends(day: Any, since: int) -> list[tuple[str, str]]:
    """(message id, report id) of every message SES accepted from index `since` on."""
    messages = list(ses_report_ids(day.stack).items())[since:]
    return [(message_id, report_id or f"unknown:{message_id}") for message_id, report_id in messages]


def unaccounted(day: Any, run: FaultRun, since: int | None = None, must_be_final: bool = True) -> list[str]:
    """What breaks "no report lost, none sent twice, every report confirmed, quarantined or failed with a
    record" in `run` (SES messages counted from `since`, default the run's own): [] when all holds.

    A send is recorded when its report's deliveries row holds its message id. The one exception is a send
    in doubt: the process died at the send or between SES's answer and the record, so the claim stays
    `sending` without a message id. Its report must then be failed; the claim itself is its record (with a
    batch failure where RecordBatchFailure ran), and deliver never claims it again. When the execution failed
    (`must_be_final` False) before anything could fail the report (Deliver's own in-doubt record and
    RecordBatchFailure both failed), the claim is left for the next run, whose check must find it failed.
    """
    ev = run.outcome.evidence
    problems = []
    seeded = set(run.data.report_ids) if run.data is not None else set(ev.jobs)
    if set(ev.jobs) != seeded or not ev.generated <= seeded:
        problems.append(f"lost: jobs {sorted(seeded ^ set(ev.jobs))}")
    final = {r: ev.final_status(r) for r in ev.jobs}
    recorded = ev.deliveries
    in_doubt, records = ev.in_doubt(), ev.failure_records()  # evidence.py's one definition
    failed_with_record = {r for r, s in final.items() if s == "failed" and r in records}
    left_for_next_run = set() if must_be_final else {r for r, s in final.items() if s not in FINAL_STATUSES}
    doubt_accounted = in_doubt & (failed_with_record | left_for_next_run)
    messages = sends(day, run.ses_from if since is None else since)
    twice = [r for r, n in Counter(r for _, r in messages).items() if n > 1]
    if twice:
        problems.append(f"sent twice: {sorted(twice)}")
    for message_id, report_id in messages:
        row = recorded.get(report_id, {})
        if row.get("message_id") != message_id and report_id not in doubt_accounted:
            problems.append(f"send not recorded: {report_id} {message_id} (deliveries: {row or None})")
        if final.get(report_id) == "quarantined":
            problems.append(f"quarantined but sent: {report_id}")
    for report_id, status in final.items():
        if status == "failed" and report_id not in failed_with_record:
            problems.append(f"failed without a record: {report_id}")
        elif must_be_final and status not in FINAL_STATUSES:
            problems.append(f"not final: {report_id} {status} (deliveries: {recorded.get(report_id)})")
    return problems


def status_on_aws(day: Any, run: FaultRun) -> str:
    """The execution's status as Step Functions would end it. moto's Distributed Map succeeds whatever its
    child executions do; AWS fails the Map (States.ExceedToleratedFailureThreshold), and so the execution,
    once the share of failed children passes the Map's ToleratedFailurePercentage. A child fails only when
    its RecordBatchFailure fails too (the batch states catch everything else)."""
    if run.outcome.status != "SUCCEEDED":
        return run.outcome.status
    maps = [s for s in day.definition()["States"].values() if s["Type"] == "Map"]
    tolerated = max(float(s.get("ToleratedFailurePercentage", 0)) for s in maps)
    sfn = day.stack.client("stepfunctions")
    for map_run in sfn.list_map_runs(executionArn=run.outcome.execution_arn)["mapRuns"]:
        counts = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])["executionCounts"]
        if counts["total"] and 100 * counts["failed"] / counts["total"] > tolerated:
            return "FAILED"
    return "SUCCEEDED"
