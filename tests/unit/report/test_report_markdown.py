"""The Markdown report: every section and header item is there, links resolve to GitHub heading anchors,
and engine text cannot break a table or inject HTML."""

from __future__ import annotations

import re

from tapgate.model import Status
from tapgate.report import render
from tapgate.report.mdtext import cell, code, fence, github_anchor


def _anchors(markdown: str) -> set[str]:
    return {github_anchor(line.lstrip("#")) for line in markdown.splitlines() if line.startswith("#")}


def test_every_internal_link_points_at_a_heading(failing, tapstack):
    for result in (failing, tapstack):
        markdown = render(result, "markdown")
        links = set(re.findall(r"\]\(#([^)]+)\)", markdown))
        assert links, "the report links its sections"
        assert links - _anchors(markdown) == set()


def test_header_carries_what_a_rerun_needs(failing):
    markdown = render(failing, "markdown")
    p = failing.provenance
    for value in (p.template, p.template_sha256, p.git_commit, p.started_at, p.ruleset_sha256, p.command):
        assert value in markdown
    assert "(uncommitted changes)" in markdown
    for tool in ("tapgate", "cfn-lint", "checkov", "cfn-guard"):
        assert f"| **{tool} version** | `{p.tool_versions[tool]}` |" in markdown


def test_expired_waiver_and_reasonless_suppression_are_flagged(failing):
    markdown = render(failing, "markdown")
    assert "| **EXPIRED since 2026-06-30** |" in markdown
    assert "**INVALID: no reason given in Metadata.tapgate.SuppressionReasons**" in markdown
    assert "- **Note:** waiver W-003 expired on 2026-06-30" in markdown


def test_flow_evidence_and_cost_are_shown_when_present_and_said_absent_otherwise(failing, tapstack):
    markdown = render(failing, "markdown")
    assert "| 30 | 30 | 30 | 28 | 28 | 2 | 0 |" in markdown
    assert "| no report lost | Held |\n" in markdown
    assert "| US\\_SEC | 7 | 1 |" in markdown
    assert "**total:** 215.83 USD" in markdown
    assert "| Lambda | compute | 40,001.62 | GB-second (x86) | 1.66667e-05 | 0.67 |" in markdown
    absent = render(tapstack.model_copy(update={"flow_evidence": None, "cost_estimate": None}), "markdown")
    assert "No simulation result was attached to this run" in absent
    assert "No cost estimate was attached to this run." in absent


def test_engine_text_cannot_break_a_table_or_inject_html(failing):
    hostile = failing.model_copy(deep=True)
    target = next(f for f in hostile.findings if f.status is Status.FAIL)
    target.message = "a | b <script>alert(1)</script> `x` *y*\nsecond line"
    markdown = render(hostile, "markdown")
    row = next(line for line in markdown.splitlines() if "alert(1)" in line)
    assert "<script>" not in markdown
    assert row.count(" | ") - row.count("\\|") == row.count(" | ") - 1 or "\\|" in row
    assert "a \\| b \\<script\\>alert(1)\\</script\\>" in row and "<br>second line" in row


def test_markdown_building_blocks():
    assert cell("") == "–" and cell("a|b") == "a\\|b"
    assert code("has ` tick") == "``has ` tick``"
    assert code("a|b") == "`a\\|b`"
    assert fence("```inner```")[0] == "````"
    assert github_anchor("F-1 CRITICAL DataKey") == "f-1-critical-datakey"
    assert github_anchor("5. Framework views") == "5-framework-views"


def test_a_broken_invariant_is_flagged_with_its_detail(failing):
    flow = {
        **failing.flow_evidence,
        "invariants": {"none_sent_twice": {"held": False, "detail": "R-7 sent 2x"}},
    }
    markdown = render(failing.model_copy(update={"flow_evidence": flow}), "markdown")
    assert "| none sent twice | **FAIL** | R-7 sent 2x |" in markdown
