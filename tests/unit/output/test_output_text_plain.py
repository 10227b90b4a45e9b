"""tapgate.output.text: a run with nothing failing is printed without rich, and the bytes are exactly those
rich prints (any template name, counts, cached flag, waived findings, engine failures); a name rich would
wrap, restyle or re-read (brackets, emoji codes, non-ASCII, too long) goes through rich itself."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tapgate.model import (
    ControlResult,
    ControlStatus,
    EngineRun,
    Finding,
    GateResult,
    Provenance,
    Summary,
)
from tapgate.output.text import _plain_headline, _rich_text, render_text

NAMES = st.one_of(
    st.sampled_from(["TapStack.json", "a b/c.json", "x[bold]y.json", ":smile: x.json", "a:b.json", "é.json"]),
    st.text(min_size=1, max_size=160),
)


def result_of(template: str, statuses: list[str], controls: list[str], ok: bool, cached: bool) -> GateResult:
    findings = [
        Finding(engine="tapgate", rule=f"R{n}", file=template, status=s) for n, s in enumerate(statuses)
    ]
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    failing = counts.get("FAIL", 0)
    exit_code = 3 if not ok else 1 if failing else 0
    verdict = {0: "PASS", 1: "FAIL"}.get(exit_code, "ERROR")
    return GateResult(
        provenance=Provenance(
            template=template, template_sha256="0", started_at="t", command="c", cached=cached
        ),
        summary=Summary(verdict=verdict, exit_code=exit_code, findings=counts),
        engines=[EngineRun(name="cfn-guard", ok=ok, error=None if ok else "cfn-guard: crashed")],
        controls=[
            ControlResult(id=f"TAP-X-{i:02d}", title="t", family="x", status=ControlStatus(c))
            for i, c in enumerate(controls)
        ],
        findings=findings,
    )


@settings(max_examples=150, deadline=None)
@given(
    template=NAMES,
    statuses=st.lists(st.sampled_from(["PASS", "SKIP", "WAIVED", "SUPPRESSED"]), max_size=4),
    controls=st.lists(st.sampled_from(["HELD", "WAIVED", "NOT_EVALUATED"]), max_size=40),
    ok=st.booleans(),
    cached=st.booleans(),
)
def test_a_passing_run_prints_what_rich_prints(template, statuses, controls, ok, cached):
    result = result_of(template, statuses, controls, ok, cached)
    assert render_text(result) == _rich_text(result, False, 140)


def test_the_usual_passing_run_takes_the_plain_path():
    result = result_of("TapStack.json", ["PASS", "WAIVED"], ["HELD"] * 29 + ["WAIVED"] * 3, True, False)
    expected = "PASS TapStack.json: 29 control(s) held, 3 waived, 0 failed; 0 failing finding(s); exit 0\n"
    assert _plain_headline(result, 140) == expected == _rich_text(result, False, 140)


def test_names_rich_would_change_are_left_to_rich():
    for name in ("x[bold]y.json", ":smile: a:b.json", "é.json", "n" * 150):
        assert _plain_headline(result_of(name, [], ["HELD"], True, False), 140) is None


def test_a_failing_or_coloured_run_is_rich_s():
    failing = result_of("TapStack.json", ["FAIL"], ["HELD"], True, False)
    assert "Failing findings" in render_text(failing)
    assert render_text(failing) == _rich_text(failing, False, 140)
    passing = result_of("TapStack.json", [], ["HELD"], True, False)
    assert render_text(passing, color=True) == _rich_text(passing, True, 140)
