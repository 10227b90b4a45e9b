"""The published `tapgate` and `tapgate-guard-test` hooks, exactly as .pre-commit-hooks.yaml defines them
(entry, files, pass_filenames), run by pre-commit in a scratch git repo over this environment's tapgate: a
template with a broken control is blocked and the output names the rule; a clean one passes; files that are
not templates never start the gate; a broken guard test blocks the commit.

test_precommit_adoption.py installs the hooks as an adopting repo gets them, with `pre-commit try-repo`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from precommit_helpers import (
    GOOD_TEMPLATE,
    REPO_ROOT,
    bad_template,
    hook_env,
    hook_status,
    pre_commit,
    rule_files,
    scratch_repo,
)

pytestmark = pytest.mark.engines
GATE_HOOK = "tapgate (cfn-lint, checkov, cfn-guard policy gate)"
GUARD_TEST_HOOK = "cfn-guard test (guard rules and their tests)"


def published_hooks_as_local_config() -> str:
    """The manifest's hooks as `repo: local` hooks run from PATH (this venv) instead of a fresh install."""
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = [{**hook, "language": "unsupported"} for hook in hooks]
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}, sort_keys=False)


@pytest.fixture
def run_hooks(tmp_path: Path):
    env = hook_env(tmp_path / "pre-commit-home")

    def run(files: dict[str, str]) -> tuple[int, str]:
        repo = scratch_repo(
            tmp_path / "repo", {".pre-commit-config.yaml": published_hooks_as_local_config(), **files}
        )
        return pre_commit(repo, "run", "--all-files", env=env)

    return run


def test_a_template_with_a_broken_control_is_blocked_naming_the_rule(run_hooks):
    code, out = run_hooks({"infra/payments-stack.json": bad_template()})
    assert code == 1, out
    assert hook_status(out, GATE_HOOK) == "Failed"
    assert "- exit code: 1" in out
    assert "KMS_KEY_ROTATION_ENABLED" in out  # the project's guard rule, from the bundled policies
    assert "CKV_AWS_7" in out  # checkov's built-in for the same control
    assert "infra/payments-stack.json" in out


def test_a_clean_template_and_passing_guard_tests_pass(run_hooks):
    code, out = run_hooks({"template.json": GOOD_TEMPLATE.read_text(encoding="utf-8"), **rule_files()})
    assert code == 0, out
    assert hook_status(out, GATE_HOOK) == "Passed"
    assert hook_status(out, GUARD_TEST_HOOK) == "Passed"


def test_files_that_are_not_templates_do_not_start_the_gate(run_hooks):
    code, out = run_hooks({"package.json": "{}\n", "config/settings.yaml": "a: 1\n"})
    assert code == 0, out
    assert hook_status(out, GATE_HOOK) == "Skipped"
    assert hook_status(out, GUARD_TEST_HOOK) == "Skipped"


def test_a_failing_guard_test_blocks_the_commit(run_hooks):
    files = rule_files()
    name = "rules/s3/tests/bucket_versioning_tests.yaml"
    files[name] = files[name].replace("BUCKET_VERSIONING: FAIL", "BUCKET_VERSIONING: PASS")
    code, out = run_hooks(files)
    assert code == 1, out
    assert hook_status(out, GUARD_TEST_HOOK) == "Failed"
    assert "case 'FAIL unversioned bucket': BUCKET_VERSIONING expected PASS, evaluated FAIL" in out
