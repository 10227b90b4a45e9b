"""A business day across all jurisdiction packs: every report ends confirmed or quarantined, nothing is
lost, and the counts agree between the database rows, the S3 objects (with versions), the SES messages and
the EMF metrics the handlers emitted. The run is started the way production starts it: from the daily
rule's target and InputTransformer in TapStack.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

PACKS = Path(__file__).resolve().parents[2] / "lambdas" / "packs"


def test_execution_succeeds_and_every_report_is_confirmed_or_quarantined(sim_outcome, sim_day):
    assert sim_outcome.status == "SUCCEEDED", sim_outcome.error
    statuses = sim_outcome.evidence.status_counts()
    assert set(statuses) <= {"confirmed", "quarantined"}, statuses
    assert sum(statuses.values()) == sim_day.reports


def test_every_jurisdiction_pack_took_part(sim_outcome):
    packs = {p.stem for p in PACKS.glob("*.json")}
    assert set(sim_outcome.evidence.by_jurisdiction()) == packs


def test_counts_agree_between_database_s3_ses_and_metrics(sim_outcome):
    ev = sim_outcome.evidence
    confirmed = {r for r in ev.jobs if ev.final_status(r) == "confirmed"}
    quarantined = {r for r in ev.jobs if ev.final_status(r) == "quarantined"}
    assert ev.confirmations == confirmed
    assert {r for r, d in ev.deliveries.items() if d["message_id"]} == confirmed
    assert len(ev.ses_messages) == len(confirmed)
    assert len(ev.s3_reports) == len(confirmed) and set(ev.s3_reports.values()) == {1}
    assert len(ev.s3_receipts) == len(confirmed)
    assert len(ev.s3_quarantine) == len(quarantined)
    assert ev.metrics["ReportsGenerated"] == len(ev.jobs)
    assert ev.metrics["ReportsConfirmed"] == len(confirmed)
    assert ev.metrics["ReportsDelivered"] == len(confirmed)
    assert ev.metrics["ValidationFailures"] == len(quarantined)


def test_all_invariants_hold(sim_outcome, sim_day):
    result = sim_day.result(sim_outcome)
    assert result["invariants"] == dict.fromkeys(result["invariants"], True)
    for key in (
        "reports",
        "generated",
        "validated",
        "delivered",
        "confirmed",
        "quarantined",
        "failed",
        "wall_s",
    ):
        assert key in result


def test_the_execution_input_is_the_daily_rules_input_transformer_rendered(sim_day, sim_outcome):
    history = sim_day.stack.history(sim_outcome.execution_arn)
    started = next(e for e in history if e["type"] == "ExecutionStarted")
    execution_input = json.loads(started["executionStartedEventDetails"]["input"])
    rule = sim_day.stack.deployment.template["Resources"][sim_day.stack.scheduled_target().rule]
    template_text = rule["Properties"]["Targets"][0]["InputTransformer"]["InputTemplate"]
    assert set(execution_input) == set(json.loads(template_text.replace("<time>", '"t"')))
    assert execution_input["scheduled_time"] == sim_day.scheduled_time()
