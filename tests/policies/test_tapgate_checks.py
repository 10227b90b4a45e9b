"""tapgate's own Python checks on tests/fixtures/templates/{good,bad}: the exact PASS, FAIL and SUPPRESSED
logical-id sets per check, SKIP (no finding) on templates without the judged types, strict mode, and that a
suppression without a reason does not suppress."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from guardrun import REPO_ROOT

from tapgate.checks import CHECKS, RULE_IDS, checkers
from tapgate.model import Finding, Status

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "templates"
BY_RULE = {check.rule: check for check in CHECKS}

# rule -> (good PASS set, bad FAIL set, bad PASS set, bad SUPPRESSED set)
EXPECTED = {
    "TAP_ENC_BUCKET_TLS_POLICY": (
        {"Records", "Logs"},
        {"NoPolicy", "WrongPolicy", "ReasonlessSuppression"},
        {"Covered"},
        {"Suppressed"},
    ),
    "TAP_SECRETS_PLAINTEXT_IN_STRINGS": (
        {"Db", "Secret", "Fn"},
        {"LiteralPassword", "KeyInSub", "UrlCredentials", "SecretStringJoin"},
        {"Clean"},
        {"Suppressed"},
    ),
    "TAP_IAM_ONE_ROLE_PER_FUNCTION": (
        {"Plan", "Send"},
        {"First", "Second", "Outside", "TwinB"},
        {"Own"},
        {"TwinA"},
    ),
    "TAP_NET_DB_PRIVATE_SUBNETS": (
        {"Db"},
        {"MixedDb", "MapsPublicDb", "DefaultVpcDb", "LiteralGroupDb"},
        {"PrivateDb"},
        set(),
    ),
    "TAP_RES_TASK_RETRY": (
        {"Object", "AsString"},
        {"NestedTaskNoRetry", "EmptyRetryInString", "UnreadableSub"},
        {"Fine"},
        {"Suppressed"},
    ),
    "TAP_RES_QUEUE_DLQ": (
        {"Work", "WorkDlq", "FunctionDlq", "EventsDlq"},
        {"Orphan"},
        {"Redriven", "TheDlq"},
        {"Suppressed"},
    ),
}


@dataclass
class Ctx:
    """The attributes of the gate's CheckContext that a check reads."""

    data: dict
    file: str
    strict: bool = False


def run(rule: str, kind: str, strict: bool = False) -> list[Finding]:
    path = FIXTURES / kind / f"{rule.lower()}.json"
    return BY_RULE[rule](Ctx(json.loads(path.read_text(encoding="utf-8")), str(path), strict))


def ids(findings: list[Finding], status: Status) -> set[str]:
    return {f.resource for f in findings if f.status is status}


def test_every_check_has_fixtures_and_expectations() -> None:
    assert set(EXPECTED) == set(RULE_IDS)
    for rule in RULE_IDS:
        assert (FIXTURES / "good" / f"{rule.lower()}.json").is_file()
        assert (FIXTURES / "bad" / f"{rule.lower()}.json").is_file()


def test_the_gate_finds_every_check() -> None:
    assert {check.rule for check in checkers()} == set(RULE_IDS)


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_good_fixture_passes_on_every_judged_resource(rule: str) -> None:
    findings = run(rule, "good")
    assert ids(findings, Status.PASS) == EXPECTED[rule][0]
    assert ids(findings, Status.FAIL) == set()


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_bad_fixture_fails_exactly_the_broken_resources(rule: str) -> None:
    _, failing, passing, suppressed = EXPECTED[rule]
    findings = run(rule, "bad")
    assert ids(findings, Status.FAIL) == failing
    assert ids(findings, Status.PASS) == passing
    assert ids(findings, Status.SUPPRESSED) == suppressed
    for finding in findings:
        assert finding.engine == "tapgate" and finding.rule == rule
        assert finding.path.startswith(f"/Resources/{finding.resource}")
        assert finding.message
        assert finding.fix if finding.status is Status.FAIL else True


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_strict_mode_ignores_inline_suppressions(rule: str) -> None:
    _, failing, _, suppressed = EXPECTED[rule]
    findings = run(rule, "bad", strict=True)
    assert ids(findings, Status.FAIL) == failing | suppressed
    assert ids(findings, Status.SUPPRESSED) == set()


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_no_resource_of_the_judged_types_gives_no_finding(rule: str) -> None:
    # The secrets check judges every resource's Properties, so the topic has none.
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    assert BY_RULE[rule](template) == []


def test_suppressed_findings_carry_their_reason() -> None:
    [finding] = [f for f in run("TAP_RES_QUEUE_DLQ", "bad") if f.status is Status.SUPPRESSED]
    assert finding.reason.startswith("FIFO hand-off queue")


def test_reasonless_suppression_says_why_it_still_fails() -> None:
    [finding] = [f for f in run("TAP_IAM_ONE_ROLE_PER_FUNCTION", "bad") if f.resource == "TwinB"]
    assert finding.status is Status.FAIL
    assert "no reason" in finding.message


def test_secret_values_are_never_quoted_in_messages() -> None:
    for finding in run("TAP_SECRETS_PLAINTEXT_IN_STRINGS", "bad"):
        assert "Sup3rSecret" not in finding.message and "AKIAIOSFODNN7EXAMPLE" not in finding.message


def test_failure_points_at_the_state_when_the_definition_is_an_object() -> None:
    [finding] = [f for f in run("TAP_RES_TASK_RETRY", "bad") if f.resource == "NestedTaskNoRetry"]
    assert (
        finding.path
        == "/Resources/NestedTaskNoRetry/Properties/Definition/States/Each/ItemProcessor/States/Gen"
    )


def test_verdicts_do_not_depend_on_logical_ids() -> None:
    path = FIXTURES / "bad" / "tap_iam_one_role_per_function.json"
    text = path.read_text(encoding="utf-8")
    renamed = json.loads(text.replace('"First"', '"Zulu"').replace('"SharedRole"', '"AaaRole"'))
    findings = BY_RULE["TAP_IAM_ONE_ROLE_PER_FUNCTION"](Ctx(renamed, "renamed.json"))
    assert ids(findings, Status.FAIL) == {"Zulu", "Second", "Outside", "TwinB"}


def test_tapstack_passes_every_check() -> None:
    from guardrun import load_tapstack

    from tapgate.checks import run_all

    failing = {(f.rule, f.resource) for f in run_all(load_tapstack()) if f.status is Status.FAIL}
    assert failing == set()


def test_checks_read_a_template_object(tmp_path: Path) -> None:
    from tapgate.template import load

    path = FIXTURES / "bad" / "tap_res_queue_dlq.json"
    findings = BY_RULE["TAP_RES_QUEUE_DLQ"](load(path))
    assert ids(findings, Status.FAIL) == {"Orphan"}
