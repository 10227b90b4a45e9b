"""The published hooks (.pre-commit-hooks.yaml) and this repo's own hook config (.pre-commit-config.yaml), as
pre-commit itself reads them: which files the `tapgate` hook takes for CloudFormation templates, that it gates
with the policies bundled in tapgate, and that every hook of this repo runs offline from installed tools."""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from pre_commit.clientlib import load_config, load_manifest

from tapgate.gate.options import bundled_policies, find_policies

REPO_ROOT = Path(__file__).parents[3]


@pytest.fixture(scope="module")
def published() -> dict[str, dict]:
    return {hook["id"]: hook for hook in load_manifest(str(REPO_ROOT / ".pre-commit-hooks.yaml"))}


def test_two_python_hooks_are_published(published):
    assert set(published) == {"tapgate", "tapgate-guard-test"}
    assert {hook["language"] for hook in published.values()} == {"python"}
    # one process over every matched file, so the engines start once per commit
    assert all(hook["require_serial"] and hook["pass_filenames"] for hook in published.values())


@pytest.mark.parametrize(
    "path",
    [
        "TapStack.json",
        "template.yaml",
        "infra/template.yml",
        "infra/network-stack.json",
        "deploy/billing.stack.yaml",
        "cfn/MyStack.template.json",
    ],
)
def test_the_default_pattern_takes_template_files(published, path: str):
    assert re.search(published["tapgate"]["files"], path)


@pytest.mark.parametrize(
    "path",
    ["package.json", ".pre-commit-config.yaml", "docs/mkdocs.yml", "stacks/readme.json", "tsconfig.json"],
)
def test_the_default_pattern_leaves_other_files_alone(published, path: str):
    assert not re.search(published["tapgate"]["files"], path)


def test_the_gate_hook_uses_the_bundled_policies_not_the_adopters_tree(published):
    argv = shlex.split(published["tapgate"]["entry"])
    assert argv[:2] == ["tapgate", "check"]
    assert argv[argv.index("--policies") + 1] == "bundled"
    assert find_policies("bundled") == bundled_policies()
    assert (bundled_policies() / "guard").is_dir()
    assert sorted(p.name for p in bundled_policies().glob("*.yaml")) == sorted(
        p.name for p in (REPO_ROOT / "policies").glob("*.yaml")
    )


@pytest.mark.parametrize(
    "path", ["policies/guard/s3/x.guard", "rules/tests/x_tests.yaml", "r/tests/x_tests.json"]
)
def test_the_guard_test_hook_takes_rules_and_their_tests(published, path: str):
    assert re.search(published["tapgate-guard-test"]["files"], path)


def test_this_repos_hooks_are_local_and_their_tools_are_installed():
    config = load_config(str(REPO_ROOT / ".pre-commit-config.yaml"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]  # CI cannot clone hook repositories
    hooks = config["repos"][0]["hooks"]
    ids = {hook["id"] for hook in hooks}
    assert {"check-json", "ruff-check", "ruff-format", "cfn-lint", "tapgate", "cfn-guard-test"} <= ids
    bindir = Path(sys.executable).parent
    for hook in hooks:
        tool = shlex.split(hook["entry"])[0]
        assert (bindir / tool).exists() or shutil.which(tool), f"{hook['id']}: {tool} is not installed"
