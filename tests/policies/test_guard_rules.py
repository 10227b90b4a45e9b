"""The guard rules themselves: every rule file has its tests, which cover SKIP, PASS, FAIL and a suppressed
case; header and selection follow the house style; and `cfn-guard test` passes for every area."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from guardrun import GUARD_RULES

RULE_FILES = sorted(GUARD_RULES.glob("*/*.guard"))
AREAS = sorted({path.parent.name for path in RULE_FILES})
HEADER_FIELDS = (
    "Rule Identifier:",
    "Description:",
    "Reports on:",
    "Evaluates:",
    "Rule Parameters:",
    "Scenarios:",
)
RULE_DECLARATION = re.compile(r"^rule\s+([A-Z0-9_]+)\s+when\s+%\w+\s+!empty", re.MULTILINE)
# Parameters carry no Metadata; their rule documents that it cannot be suppressed (and tests that).
UNSUPPRESSIBLE = {"PARAMETER_SECRET_NO_DEFAULT"}


def companion_tests(rule_file: Path) -> Path:
    return rule_file.parent / "tests" / f"{rule_file.stem}_tests.yaml"


def rule_name(rule_file: Path) -> str:
    names = RULE_DECLARATION.findall(rule_file.read_text(encoding="utf-8"))
    assert len(set(names)) == 1, f"{rule_file}: expected one named rule, found {names}"
    return names[0]


def test_there_are_rules_in_every_area() -> None:
    assert set(AREAS) == {"encryption", "retention", "secrets", "iam", "audit", "network", "resilience"}
    assert len(RULE_FILES) >= 40


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda p: p.stem)
def test_rule_is_named_after_its_file_and_has_the_header(rule_file: Path) -> None:
    text = rule_file.read_text(encoding="utf-8")
    assert rule_name(rule_file) == rule_file.stem.upper()
    for field in HEADER_FIELDS:
        assert f"# {field}" in text, f"{rule_file.name}: header lacks {field}"
    assert "Violation:" in text and "Fix:" in text


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda p: p.stem)
def test_rule_selection_honours_suppression(rule_file: Path) -> None:
    name = rule_name(rule_file)
    if name in UNSUPPRESSIBLE:
        return
    text = rule_file.read_text(encoding="utf-8")
    assert f'Metadata.guard.SuppressedRules.* != "{name}"' in text


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda p: p.stem)
def test_rule_has_tests_with_skip_pass_fail_and_suppressed_cases(rule_file: Path) -> None:
    path = companion_tests(rule_file)
    assert path.is_file(), f"{rule_file.name} has no tests file {path}"
    name = rule_name(rule_file)
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    expected = [case["expectations"]["rules"].get(name) for case in cases]
    assert {"SKIP", "PASS", "FAIL"} <= set(expected), f"{path.name}: expectations {expected}"
    suppressed = [c for c in cases if c["name"].startswith("SUPPRESSED")]
    assert suppressed, f"{path.name} has no SUPPRESSED case"
    if name not in UNSUPPRESSIBLE:
        assert all(c["expectations"]["rules"][name] == "SKIP" for c in suppressed)
        assert all(
            name in (res.get("Metadata", {}).get("guard", {}).get("SuppressedRules", []))
            for c in suppressed
            for res in c["input"]["Resources"].values()
        )


def test_no_tests_file_without_its_rule() -> None:
    orphans = [
        p
        for p in GUARD_RULES.glob("*/tests/*_tests.yaml")
        if not (p.parent.parent / f"{p.name[:-11]}.guard").is_file()
    ]
    assert orphans == []


@pytest.mark.parametrize("area", AREAS)
def test_cfn_guard_test_passes_for_the_area(guard: str, area: str) -> None:
    proc = subprocess.run(
        [guard, "test", "-d", str(GUARD_RULES / area)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]
    assert proc.stdout.count("Testing Guard File") == len(list((GUARD_RULES / area).glob("*.guard")))
