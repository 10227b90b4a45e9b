"""Invariance: renaming every logical id and parameter (with every Ref, GetAtt, Sub, DependsOn and
DefinitionSubstitutions reference, and the waivers that name them), minifying the JSON, and converting it to
YAML with short-form tags change no verdict of any engine. Runs the real engines on TapStack.json."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from gate_test_helpers import REPO, TEMPLATES

from helpers.template_variants import minified, renamed, to_yaml

pytestmark = pytest.mark.engines

STACK = REPO / "TapStack.json" if (REPO / "TapStack.json").exists() else TEMPLATES / "bucket_fail.json"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of policies/ (so waivers can be renamed) beside the real lambdas/."""
    root = tmp_path_factory.mktemp("invariance")
    shutil.copytree(REPO / "policies", root / "policies")
    if (REPO / "lambdas").exists():
        (root / "lambdas").symlink_to(REPO / "lambdas")
    return root


def _gate_run(template: Path, policies: Path, back=None):
    from tapgate.cli import main

    out = template.with_suffix(".result.json")
    code = main(
        ["check", str(template), "--policies", str(policies), "--no-cache", "-f", "json", "-o", str(out)]
    )
    assert code in (0, 1)
    findings = json.loads(out.read_text())["findings"]
    back = back or {}
    facts = Counter(
        (f["engine"], f["rule"], f["status"], back.get(f["resource"], f["resource"]), tuple(f["controls"]))
        for f in findings
    )
    return code, facts


@pytest.fixture(scope="module")
def baseline(project):
    copy = project / "original.json"
    shutil.copy(STACK, copy)
    return _gate_run(copy, project / "policies")


@pytest.mark.skipif(STACK.name != "TapStack.json", reason="TapStack.json is not there yet")
def test_tapstack_passes_the_gate(baseline):
    code, facts = baseline
    failing = sorted((engine, rule, res) for engine, rule, status, res, _ in facts if status == "FAIL")
    assert code == 0, failing


def test_minified_json_same_verdicts(project, baseline):
    path = project / "minified.json"
    path.write_text(minified(json.loads(STACK.read_text())))
    assert _gate_run(path, project / "policies") == baseline


def test_yaml_short_form_same_verdicts(project, baseline):
    path = project / "stack.yaml"
    path.write_text(to_yaml(json.loads(STACK.read_text())))
    assert "!Ref" in path.read_text()
    assert _gate_run(path, project / "policies") == baseline


def test_renamed_logical_ids_same_verdicts(project, baseline, tmp_path):
    data, mapping = renamed(json.loads(STACK.read_text()))
    path = project / "renamed.json"
    path.write_text(json.dumps(data, indent=2))
    policies = tmp_path / "policies"
    shutil.copytree(project / "policies", policies)
    _rename_waivers(policies / "waivers.yaml", mapping)
    if (project / "lambdas").exists():
        (tmp_path / "lambdas").symlink_to(project / "lambdas")
    back = {new: old for old, new in mapping.items()}
    assert _gate_run(path, policies, back) == baseline


def _rename_waivers(path: Path, mapping: dict[str, str]) -> None:
    if not path.exists():
        return
    register = yaml.safe_load(path.read_text()) or {}
    for waiver in register.get("waivers") or []:
        waiver["resource"] = mapping.get(waiver.get("resource"), waiver.get("resource"))
    path.write_text(yaml.safe_dump(register, sort_keys=False))
