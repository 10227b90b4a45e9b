"""Both published hooks, adopted the way another repository gets them: `pre-commit try-repo <this repo> HOOK`
in a scratch git repo. pre-commit clones this repo (HEAD, plus uncommitted changes to tracked files) and
pip-installs it into a fresh virtualenv, so the gate must find its policies inside the installed package and
every dependency must come from the package index (pip is held to requirements/constraints.txt).

Each try-repo builds its own environment (minutes, no network but the package index): `engines` marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from precommit_helpers import (
    REPO_ROOT,
    bad_template,
    hook_env,
    hook_status,
    pre_commit,
    rule_files,
    scratch_repo,
)

pytestmark = pytest.mark.engines
INSTALL_TIMEOUT_S = 1500  # a fresh virtualenv with checkov, cfn-lint and moto: minutes on a busy machine


@pytest.fixture(scope="module")
def adopter(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A repo that keeps a CloudFormation template with one broken control and a tested guard rule dir."""
    root = tmp_path_factory.mktemp("adopter")
    repo = scratch_repo(
        root / "repo",
        {"infra/payments-stack.json": bad_template(), "README.md": "an adopter\n", **rule_files()},
    )
    return repo, hook_env(root / "pre-commit-home")


def test_try_repo_tapgate_blocks_the_bad_template_with_the_bundled_policies(adopter):
    repo, env = adopter
    code, out = pre_commit(
        repo, "try-repo", str(REPO_ROOT), "tapgate", "--all-files", env=env, timeout=INSTALL_TIMEOUT_S
    )
    assert "Installing environment for" in out  # its own virtualenv, not this one
    assert hook_status(out, "tapgate (cfn-lint, checkov, cfn-guard policy gate)") == "Failed", out
    assert code == 1
    assert "- exit code: 1" in out  # findings, not an engine or usage failure (3, 2)
    assert "KMS_KEY_ROTATION_ENABLED" in out  # a rule that exists only in this repo's policies/
    assert "infra/payments-stack.json" in out


def test_try_repo_guard_test_runs_cfn_guard_test_on_the_adopters_rules(adopter):
    repo, env = adopter
    code, out = pre_commit(
        repo,
        "try-repo",
        str(REPO_ROOT),
        "tapgate-guard-test",
        "--all-files",
        "--verbose",
        env=env,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert hook_status(out, "cfn-guard test (guard rules and their tests)") == "Passed", out
    assert code == 0
    assert "cfn-guard test: 3 test case(s) passed in rules/s3" in out
