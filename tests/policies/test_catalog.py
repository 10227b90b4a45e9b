"""policies/controls.yaml: every rule has a control (the gate's own waiver findings included), every control
has a rule, every id is one its engine knows, and `tapgate.catalog` indexes exact ids before catch-all
patterns and reports schema errors by line."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import pytest
from guardrun import GUARD_RULES, REPO_ROOT

from tapgate.catalog import ENGINES, load_catalog
from tapgate.checks import RULE_IDS as TAPGATE_CHECK_RULES
from tapgate.crosscheck import RULES as CROSSCHECK_RULE_IDS
from tapgate.errors import InputError
from tapgate.gate.waivers import RULE_IDS as WAIVER_RULES

CONTROLS = REPO_ROOT / "policies" / "controls.yaml"
# Engine `tapgate` reports its checks' findings and the gate's own findings on the waiver register.
TAPGATE_RULES = TAPGATE_CHECK_RULES | WAIVER_RULES
CROSSCHECK_RULES = set(CROSSCHECK_RULE_IDS)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTROLS)


def guard_rule_names() -> set[str]:
    pattern = re.compile(r"^rule\s+([A-Z0-9_]+)\s+when", re.MULTILINE)
    return {name for path in GUARD_RULES.glob("*/*.guard") for name in pattern.findall(path.read_text())}


@cache
def checkov_ids() -> frozenset[str]:
    import json

    import checkov.cloudformation.checks.graph_checks as graph_checks
    from checkov.cloudformation.checks.resource.registry import cfn_registry

    resource_ids = {check.id for checks in cfn_registry.checks.values() for check in checks}
    graph_dir = Path(graph_checks.__file__).parent  # CKV2_* graph checks are JSON definitions
    graph_ids = {json.loads(p.read_text())["metadata"]["id"] for p in graph_dir.glob("*.json")}
    return frozenset(resource_ids | graph_ids)


@cache
def cfn_lint_ids() -> frozenset[str]:
    from cfnlint.core import get_rules

    return frozenset(rule.id for rule in get_rules([], [], ["I", "W", "E"], include_experimental=True))


def known_ids(engine: str) -> frozenset[str]:
    if engine == "cfn-guard":
        return frozenset(guard_rule_names())
    if engine == "tapgate":
        return frozenset(TAPGATE_RULES)
    if engine == "crosscheck":
        return frozenset(CROSSCHECK_RULES)
    if engine == "checkov":
        return checkov_ids()
    if engine == "cfn-lint":
        return cfn_lint_ids()
    raise AssertionError(engine)


def test_every_guard_rule_has_a_control(catalog) -> None:
    assert guard_rule_names() - catalog.rules_of("cfn-guard") == set()


def test_every_tapgate_check_has_a_control(catalog) -> None:
    assert set(TAPGATE_RULES) - catalog.rules_of("tapgate") == set()


def test_invalid_waivers_fail_under_the_exceptions_control(catalog) -> None:
    assert catalog.controls_for("tapgate", "TAP_WAIVER_EXPIRED") == ["TAP-GOV-01"]
    assert catalog.controls_for("tapgate", "TAP_WAIVER_NO_REASON") == ["TAP-GOV-01"]


def test_every_crosscheck_rule_has_a_control(catalog) -> None:
    assert CROSSCHECK_RULES - catalog.rules_of("crosscheck") == set()


def test_every_control_has_a_rule(catalog) -> None:
    empty = [c.id for c in catalog.controls if not any(c.rules.values())]
    assert empty == []


@pytest.mark.parametrize("engine", ["cfn-guard", "tapgate", "crosscheck", "checkov", "cfn-lint"])
def test_every_listed_id_is_known_to_its_engine(catalog, engine: str) -> None:
    known = known_ids(engine)
    unknown = [rule for rule in catalog.rules_of(engine) if not any(fnmatchcase(k, rule) for k in known)]
    assert unknown == []


def test_control_tower_names_are_rule_files_of_the_pack(catalog) -> None:
    from guardrun import guard_binary

    try:
        from tapgate.engines.provision import control_tower_rules

        pack = control_tower_rules()
    except Exception:  # noqa: BLE001 - without the gate's provisioning, fall back to the documented copy
        pack = Path("/work/tools/control-tower-rules")
    assert guard_binary(), "cfn-guard (and its wheel's rule pack) must be available"
    names = {p.stem for p in pack.glob("*/ct-*.guard")}
    assert names, f"no Control Tower rules under {pack}"
    assert catalog.rules_of("control-tower") - names == set()


def test_exact_ids_win_over_catch_all_patterns(catalog) -> None:
    assert catalog.controls_for("checkov", "CKV_AWS_19") == ["TAP-ENC-01"]
    assert catalog.controls_for("checkov", "CKV_AWS_118") == ["TAP-GEN-02"]  # only the catch-all names it
    assert catalog.controls_for("cfn-lint", "I3011") == ["TAP-RET-04"]
    assert catalog.controls_for("cfn-lint", "E3012") == ["TAP-GEN-01"]
    assert catalog.controls_for("cfn-guard", "S3_BUCKET_SSE_KMS_CMK") == ["TAP-ENC-01"]
    assert catalog.controls_for("cfn-guard", "NO_SUCH_RULE") == []
    assert catalog.controls_for("tapgate", "CKV_AWS_19") == []  # patterns are per engine


def test_every_engine_key_is_known(catalog) -> None:
    used = {engine for control in catalog.controls for engine in control.rules}
    assert used <= set(ENGINES)
    assert {"cfn-guard", "tapgate", "crosscheck", "checkov", "cfn-lint", "control-tower"} <= used


def test_controls_cite_the_regulations_the_issue_names(catalog) -> None:
    cited = {ref.split(":", 1)[0] for control in catalog.controls for ref in control.regulations}
    assert {"SEC-17a-4f", "FINRA-4511", "SOX-ITGC", "GDPR-32", "NIST-800-53"} <= cited
    nist = {
        ref.split(":", 1)[1]
        for c in catalog.controls
        for ref in c.regulations
        if ref.startswith("NIST-800-53:")
    }
    assert {"SC-28", "AU-9", "AC-6", "SC-8", "SC-7", "AU-11", "CP-9"} <= nist


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        ("  - id: TAP-ENC-01\n", "  - id: TAP-ENC-1\n"),
        ("    severity: high\n", "    severity: severe\n"),
        ("      cfn-guard: [S3_BUCKET_SSE_KMS_CMK]\n", "      guard: [S3_BUCKET_SSE_KMS_CMK]\n"),
        (
            'regulations: [GDPR-32, SOX-ITGC, "NIST-800-53:SC-28"',
            'regulations: [GDPR-99, SOX-ITGC, "NIST-800-53:SC-28"',
        ),
    ],
    ids=["bad-id", "bad-severity", "unknown-engine", "unknown-regulation"],
)
def test_schema_errors_name_the_file_and_line(tmp_path: Path, mutation: str, expected: str) -> None:
    text = CONTROLS.read_text(encoding="utf-8")
    assert mutation in text
    broken = tmp_path / "controls.yaml"
    broken.write_text(text.replace(mutation, expected, 1), encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{re.escape(str(broken))}:\d+:\d+: "):
        load_catalog(broken)


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "controls.yaml"
    broken.write_text("controls: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"controls.yaml:\d+:\d+: invalid YAML"):
        load_catalog(broken)
