"""The mutation corpus through the whole gate (`tapgate check`): a mutant exits 1 and its FAILs sit on exactly
the broken resources, whatever the file's form (renamed ids, minified JSON, YAML). The seed's two flaws also
go through every engine (cfn-lint, checkov, cfn-guard, tapgate, crosscheck)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from corpus import load_mutations, tapstack_mutant
from guardrun import REPO_ROOT, guard_binary

from helpers.template_variants import minified

pytestmark = pytest.mark.engines

BY_ID = {m.id: m for m in load_mutations()}


def run_gate(files: list[Path], out: Path, *extra: str) -> tuple[int, dict]:
    env = dict(os.environ)
    env.setdefault("CFN_GUARD_PATH", guard_binary() or "")
    cmd = [sys.executable, "-m", "tapgate", "check", *map(str, files), "--no-cache", "--format", "json"]
    proc = subprocess.run(
        [*cmd, "-o", str(out), *extra], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert out.is_file(), proc.stderr[-2000:]
    return proc.returncode, json.loads(out.read_text(encoding="utf-8"))


def failing_by_file(result: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in result["findings"]:
        if finding["status"] == "FAIL":
            assert finding["controls"], f"{finding['engine']} {finding['rule']} maps to no control"
            found.setdefault(Path(finding["file"]).name, set()).add(finding["resource"])
    return found


def write(path: Path, template: dict, form: str) -> Path:
    if form == "yaml":
        path.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    elif form == "minified":
        path.write_text(minified(template), encoding="utf-8")
    else:
        path.write_text(json.dumps(template, indent=2), encoding="utf-8")
    return path


CASES = [
    ("seed-noecho-password-default", False, "json"),
    ("seed-key-policy-caller-account-only", True, "minified"),
    ("iam-functions-share-a-role", True, "json"),
    ("net-database-in-a-public-subnet", False, "yaml"),
    ("res-deliver-task-without-retry", True, "yaml"),
    ("ret-governance-mode", False, "minified"),
    ("enc-report-bucket-policy-without-tls-deny", False, "json"),
]


def test_fast_gate_fails_each_mutant_on_exactly_its_broken_resources(tmp_path: Path) -> None:
    files, expected = [], {}
    for mutation_id, rename, form in CASES:
        template, fails = tapstack_mutant(BY_ID[mutation_id], rename=rename)
        suffix = "yaml" if form == "yaml" else "json"
        path = write(tmp_path / f"{mutation_id}.{suffix}", template, form)
        files.append(path)
        expected[path.name] = set().union(*fails.values())
    code, result = run_gate(files, tmp_path / "gate.json", "--fast")
    assert code == 1
    assert failing_by_file(result) == expected


@pytest.mark.parametrize(
    "mutation_id", ["seed-noecho-password-default", "seed-key-policy-caller-account-only"]
)
def test_full_gate_catches_the_seed_flaw(tmp_path: Path, mutation_id: str) -> None:
    template, fails = tapstack_mutant(BY_ID[mutation_id])
    path = write(tmp_path / f"{mutation_id}.json", template, "json")
    code, result = run_gate([path], tmp_path / "gate.json")
    assert code == 1
    assert all(engine["ok"] for engine in result["engines"])
    assert failing_by_file(result) == {path.name: set().union(*fails.values())}
