"""Snapshots of the stable JSON and the Markdown report, for TapStack.json's real gate result and for the
failing fixture. A mismatch is fixed by reading the diff, then running scripts/update_snapshots.py."""

from __future__ import annotations

import pytest
from report_test_helpers import SNAPSHOTS, load_update_script

SCRIPT = load_update_script()


@pytest.mark.parametrize("case", sorted(SCRIPT.CASES))
def test_report_matches_its_snapshot(case):
    rendered = SCRIPT.snapshot_texts(SCRIPT.CASES[case])
    for suffix, content in rendered.items():
        snapshot = SNAPSHOTS / f"{case}{suffix}"
        assert snapshot.exists(), f"no snapshot {snapshot.name}: run scripts/update_snapshots.py"
        assert content == snapshot.read_text(encoding="utf-8"), (
            f"{snapshot.name} differs from the rendered report: review, then run scripts/update_snapshots.py"
        )


def test_snapshots_hold_no_clock_or_machine_path(failing):
    from tapgate.report.stable import TIME

    for case in SCRIPT.CASES:
        markdown = (SNAPSHOTS / f"{case}.md").read_text(encoding="utf-8")
        assert f"`{TIME}`" in markdown
        assert "/work/" not in markdown
    assert failing.provenance.started_at not in (SNAPSHOTS / "failing.md").read_text(encoding="utf-8")


def test_the_stable_form_keeps_every_verdict(failing):
    from tapgate.report.stable import stable

    steady = stable(failing)
    assert [(f.id, f.status, f.resource) for f in steady.findings] == [
        (f.id, f.status, f.resource) for f in failing.findings
    ]
    assert steady.summary == failing.summary
    assert steady.provenance.started_at != failing.provenance.started_at
