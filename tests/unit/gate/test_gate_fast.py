"""`tapgate check --fast` (cfn-guard and tapgate's own checks, for editors) judges exactly as a full run does:
on TapStack.json and on failing fixtures, the cfn-guard and tapgate findings (status, resource, pointer,
line, controls, severity) are the same set. The full run's cfn-lint and checkov are clean fakes, so the
comparison is about what --fast leaves out of the gate's own path (the cost estimate), not about them.
"""

from __future__ import annotations

import json

import pytest
from gate_test_helpers import REPO, fake

pytestmark = pytest.mark.engines

FAILING = REPO / "tests" / "fixtures" / "templates" / "bad"
FAST_ENGINES = {"cfn-guard", "tapgate"}
SLOW_AS_FAKES = [f"--engine-command={name}={fake(f'clean-{name}')}" for name in ("cfn-lint", "checkov")]


def result_of(gate, tmp_path, template, *args):
    out = tmp_path / f"{len(list(tmp_path.iterdir()))}.json"
    code, _, err = gate(template, "--no-cache", "-f", "json", "-o", out, *args)
    assert code in (0, 1), err
    return code, json.loads(out.read_text())


def judged(result) -> set[tuple]:
    return {
        (
            *(f[key] for key in ("engine", "rule", "resource", "status", "path", "line", "severity")),
            *f["controls"],
        )
        for f in result["findings"]
        if f["engine"] in FAST_ENGINES
    }


@pytest.mark.parametrize(
    "template",
    [
        REPO / "TapStack.json",
        FAILING / "tap_secrets_plaintext_in_strings.json",
        FAILING / "tap_res_queue_dlq.json",
    ],
    ids=lambda path: path.name,
)
def test_fast_and_full_run_agree_on_guard_and_tapgate(gate, tmp_path, monkeypatch, template):
    monkeypatch.chdir(REPO)  # the project's own policies/
    fast_code, fast = result_of(gate, tmp_path, template, "--fast")
    full_code, full = result_of(gate, tmp_path, template, *SLOW_AS_FAKES)
    assert [e["name"] for e in fast["engines"]] == ["cfn-guard", "tapgate"]
    assert all(e["ok"] for e in fast["engines"] + full["engines"])
    assert judged(fast) == judged(full)
    assert any(f["status"] == "FAIL" for f in fast["findings"]) == (fast_code == 1)
    if template.parent == FAILING:  # each fixture fails tapgate's own check of its name
        rule = template.stem.upper()
        assert {f["rule"] for f in fast["findings"] if f["status"] == "FAIL"} >= {rule}
        assert fast_code == full_code == 1


def test_fast_leaves_out_the_cost_estimate_only(gate, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    _, fast = result_of(gate, tmp_path, REPO / "TapStack.json", "--fast")
    _, full = result_of(gate, tmp_path, REPO / "TapStack.json", "--engines", "tapgate")
    assert fast["cost_estimate"] is None
    assert full["cost_estimate"] is not None
    assert fast["provenance"]["options"]["fast"] is True
