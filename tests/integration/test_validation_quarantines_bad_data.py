"""Seeded bad data of several kinds (bad LEI, currency, date, totals, missing fields, oversized, late where
the pack quarantines late reports) is quarantined by the Validate handler with its violations, kept as
evidence under quarantine/, and never sent."""

from __future__ import annotations

import psycopg
import pytest

from tapgate.sim import seed

pytestmark = pytest.mark.integration


def test_every_seeded_bad_report_is_quarantined(sim_day, sim_outcome):
    expected = sim_day.seeded.expected_quarantined()
    assert expected, "the seed must contain bad reports"
    quarantined = {
        r for r in sim_outcome.evidence.jobs if sim_outcome.evidence.final_status(r) == "quarantined"
    }
    assert quarantined == expected


def test_seeded_bad_data_covers_several_kinds(sim_day):
    kinds = {sim_day.seeded.bad[r] for r in sim_day.seeded.expected_quarantined()}
    assert len(kinds) >= 3, kinds


def test_each_quarantine_names_the_rule_that_caught_it(sim_day):
    with psycopg.connect(sim_day.stack.postgres.dsn) as conn:
        rows = conn.execute("SELECT report_id, violations FROM validations WHERE NOT valid").fetchall()
    rules = {report_id: {v["rule"] for v in violations} for report_id, violations in rows}
    for report_id in sim_day.seeded.expected_quarantined():
        wanted = seed.expected_rule(sim_day.seeded.bad[report_id])
        assert any(rule == wanted or rule.startswith(wanted) for rule in rules[report_id]), (
            report_id,
            rules[report_id],
        )


def test_quarantined_reports_are_never_sent_nor_locked(sim_outcome):
    ev = sim_outcome.evidence
    quarantined = {r for r in ev.jobs if ev.final_status(r) == "quarantined"}
    assert not quarantined & set(ev.deliveries)
    assert not any(r in key for r in quarantined for key in ev.s3_reports)
    assert len(ev.s3_quarantine) == len(quarantined)
