"""A simulated business day of TapStack: seed the due reports, fire the daily rule, read everything back.

`BusinessDay` is the unit the tests and `tapgate simulate` share:

    with BusinessDay(reports=200) as day:
        outcome = day.run()            # the daily rule's execution, to the end
        outcome.evidence.invariants()  # name -> bool
        day.result(outcome)            # the JSON document `tapgate simulate` prints / writes
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapgate.sim.evidence import DayEvidence, collect
from tapgate.sim.faults import FaultPlan
from tapgate.sim.harness import SimStack
from tapgate.sim.retries import retries_follow_template

# What a deployer passes to create_stack for the simulation (the template has no defaults for these).
SIM_PARAMETERS = {
    "Environment": "sim",
    "SenderDomain": "reports.tapstack.example",
    "NotificationEmail": "ops@tapstack.example",
}


def repo_root() -> Path:
    """The checkout (TapStack.json and lambdas/ beside src/), or the working directory."""
    here = Path(__file__).resolve().parents[3]
    return here if (here / "TapStack.json").exists() else Path.cwd()


@dataclass
class RunOutcome:
    execution_arn: str
    status: str
    output: str | None
    error: str | None
    evidence: DayEvidence
    execution_s: float


class BusinessDay:
    def __init__(
        self,
        reports: int = 200,
        business_date: dt.date | None = None,
        faults: FaultPlan | None = None,
        template: Path | None = None,
        lambdas: Path | None = None,
        bad_fraction: float = 0.05,
        seed: int = 20261127,
        workers: int | None = None,
    ):
        from tapgate.sim import seed as seeding

        root = repo_root()
        self.template = Path(template or root / "TapStack.json")
        self.lambdas = Path(lambdas or root / "lambdas")
        self.reports = reports
        self.spec = seeding.SeedSpec(
            reports=reports,
            bad_fraction=bad_fraction,
            seed=seed,
            **({"business_date": business_date} if business_date else {}),
        )
        self.faults = faults or FaultPlan()
        self.stack = SimStack(
            self.template, self.lambdas, SIM_PARAMETERS, faults=self.faults, workers=workers
        )
        self.seeded: Any = None
        self.started = time.monotonic()

    @property
    def business_date(self) -> dt.date:
        return self.spec.business_date

    def __enter__(self) -> BusinessDay:
        from tapgate.sim.seed_worker import SeedWorker

        self.started = time.monotonic()
        # the seed is generated on the second core while PostgreSQL starts and the stack deploys (Python
        # on this core); its rows need db_init's schema, so they are inserted once the deploy is done
        worker = SeedWorker(self.spec)
        try:
            self.stack.__enter__()
        except BaseException:
            worker.close()
            raise
        try:
            with self.stack._stage("seed"):
                self.seeded = worker.insert(self.stack.postgres.dsn)
        except BaseException:
            self.stack.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.__exit__(*exc)

    def add_day(self, business_date: dt.date, reports: int, seed: int | None = None) -> Any:
        """Seed another business date's due reports into the same stack (for property tests, re-runs)."""
        from dataclasses import replace

        from tapgate.sim import seed as seeding

        spec = replace(self.spec, business_date=business_date, reports=reports, seed=seed or self.spec.seed)
        data = seeding.generate_seed(spec)
        seeding.insert_with_psycopg(self.stack.postgres.dsn, data)
        return data

    def scheduled_time(self, business_date: dt.date | None = None) -> str:
        """When the daily rule fires for a business date: the next day, at the schedule's hour."""
        schedule = self.stack.scheduled_target().schedule
        match = re.match(r"cron\((\d+) (\d+) ", schedule)
        minute, hour = (int(match.group(1)), int(match.group(2))) if match else (0, 6)
        day = (business_date or self.business_date) + dt.timedelta(days=1)
        fire = dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)
        return fire.strftime("%Y-%m-%dT%H:%M:%SZ")

    def run(self, business_date: dt.date | None = None) -> RunOutcome:
        """Fire the daily rule for the business date and wait for the execution; read the day back."""
        from tapgate.sim.evidence import ses_message_ids

        business_date = business_date or self.business_date
        emf_from, ses_from = len(self.stack.runtime.emf), len(ses_message_ids(self.stack))
        with self.stack._stage("execution"):
            started = time.monotonic()
            arn = self.stack.start_scheduled(self.scheduled_time(business_date))
            described = self.stack.wait(arn)
            execution_s = time.monotonic() - started
        with self.stack._stage("evidence"):
            evidence = collect(self.stack, business_date.isoformat(), emf_from, ses_from)
        return RunOutcome(
            arn, described["status"], described.get("output"), described.get("error"), evidence, execution_s
        )

    def definition(self) -> dict[str, Any]:
        import json

        from tapgate.sim.dropped import render_definition

        (logical_id,) = self.stack.deployment.of_type("AWS::StepFunctions::StateMachine")
        return json.loads(render_definition(self.stack.deployment, logical_id))

    def result(self, outcome: RunOutcome) -> dict[str, Any]:
        """The machine-readable result (`tapgate simulate --format json`, and the gate's flow evidence)."""
        from tapgate import __version__

        ev = outcome.evidence
        statuses = ev.status_counts()
        retries_ok, retry_problems = retries_follow_template(self.definition(), self.stack.clock.retries)
        invariants = ev.invariants() | {
            "execution_succeeded": outcome.status == "SUCCEEDED",
            "retries_follow_template": retries_ok,
        }
        by_state: dict[str, int] = {}
        for record in self.stack.clock.retries:
            by_state[record.state] = by_state.get(record.state, 0) + 1
        return {
            "schema": "tapgate.simulation/1",
            "tapgate_version": __version__,
            "template": str(self.template),
            "template_sha256": hashlib.sha256(self.template.read_bytes()).hexdigest(),
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "business_date": ev.business_date,
            "reports": len(ev.jobs),  # due that business date (= --reports for the day it seeded)
            "generated": len(ev.generated),
            "validated": len(ev.validated),
            "delivered": sum(1 for d in ev.deliveries.values() if d.get("message_id")),
            "confirmed": statuses.get("confirmed", 0),
            "quarantined": statuses.get("quarantined", 0),
            "failed": statuses.get("failed", 0),
            "by_jurisdiction": ev.by_jurisdiction(),
            "ses_messages": len(ev.ses_messages),
            "metrics": ev.metrics,
            "execution": {"status": outcome.status, "arn": outcome.execution_arn, "error": outcome.error},
            "retries": {
                "total": len(self.stack.clock.retries),
                "by_state": by_state,
                "sdk_retries": len(self.stack.clock.sdk_retry_sleeps),
                "problems": retry_problems,
            },
            "faults": {"plan": self.faults.describe(), "injected": self.faults.counts()},
            "invocations": self.invocation_summary(),
            "stages_s": {k: round(v, 3) for k, v in self.stack.stage_s.items()},
            "wall_s": round(time.monotonic() - self.started, 3),
            "invariants": invariants,
            "ok": all(invariants.values()),
            "harness": {
                "applied": len(self.stack.deployment.applied),
                "not_simulated": self.stack.deployment.not_simulated,
                "postgres": self.stack.postgres.backend,
            },
        }

    def invocation_summary(self) -> dict[str, dict[str, float]]:
        table: dict[str, dict[str, float]] = {}
        for inv in self.stack.runtime.invocations:
            row = table.setdefault(
                inv.function, {"count": 0, "errors": 0, "seconds": 0.0, "cpu_seconds": 0.0}
            )
            row["count"] += 1
            row["errors"] += int(inv.errored)
            row["seconds"] = round(row["seconds"] + inv.duration_s, 3)
            row["cpu_seconds"] = round(row["cpu_seconds"] + inv.cpu_s, 3)
        return dict(sorted(table.items()))
