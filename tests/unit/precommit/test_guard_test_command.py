"""`tapgate guard-test` (the tapgate-guard-test hook) on the real cfn-guard binary: which rule directories
it tests for the paths pre-commit passes, and its exit codes: 0 every case passes; 1 a failing case, a rule
that does not parse, a case that tests nothing or a rule without tests; 2 bad paths; 3 a cfn-guard that
cannot answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tapgate.cli import main
from tapgate.errors import EXIT_ENGINE, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from tapgate.guardtest.command import rule_dirs

RULES = Path(__file__).parents[2] / "fixtures" / "precommit" / "guard_rules"
TESTS_FILE = Path("s3") / "tests" / "bucket_versioning_tests.yaml"

pytestmark = pytest.mark.engines


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A writable copy of a rule directory whose one rule has SKIP, PASS and FAIL cases that all hold."""
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules"


def guard_test(*args: str | Path) -> int:
    return main(["guard-test", *map(str, args)])


def test_passing_rules_exit_0_and_count_the_cases(rules: Path, capsys):
    assert guard_test(rules) == EXIT_OK
    assert "3 test case(s) passed" in capsys.readouterr().out


def test_a_case_that_evaluates_otherwise_fails_naming_file_case_and_rule(rules: Path, capsys):
    tests = rules / TESTS_FILE
    tests.write_text(tests.read_text().replace("BUCKET_VERSIONING: FAIL", "BUCKET_VERSIONING: PASS"))
    assert guard_test(rules) == EXIT_FINDINGS
    out = capsys.readouterr().out
    assert "bucket_versioning.guard: case 'FAIL unversioned bucket': BUCKET_VERSIONING expected PASS" in out
    assert "evaluated FAIL" in out


def test_a_rule_without_its_test_file_fails_unless_allowed(rules: Path, capsys):
    shutil.copy(rules / "s3" / "bucket_versioning.guard", rules / "s3" / "untested.guard")
    assert guard_test(rules) == EXIT_FINDINGS
    assert "untested.guard: no test file tests/untested_tests.yaml beside it" in capsys.readouterr().out
    assert guard_test(rules, "--allow-untested") == EXIT_OK


def test_a_case_with_a_misspelt_rule_name_tests_nothing_and_fails(rules: Path, capsys):
    tests = rules / TESTS_FILE
    tests.write_text(tests.read_text().replace("BUCKET_VERSIONING: SKIP", "BUCKET_VERSIONNING: SKIP"))
    assert guard_test(rules) == EXIT_FINDINGS
    assert (
        "case 'SKIP without buckets': no expectation set for rule BUCKET_VERSIONING"
        in capsys.readouterr().out
    )


def test_a_rule_file_that_does_not_parse_fails(rules: Path, capsys):
    rule = rules / "s3" / "bucket_versioning.guard"
    rule.write_text(
        rule.read_text().replace("rule BUCKET_VERSIONING when %buckets !empty {", "rule X when {")
    )
    assert guard_test(rules) == EXIT_FINDINGS
    assert "bucket_versioning.guard: Parser Error" in capsys.readouterr().out


def test_changed_files_map_to_their_rule_directory(rules: Path):
    rule, tests = rules / "s3" / "bucket_versioning.guard", rules / TESTS_FILE
    assert rule_dirs([str(rule), str(tests)]) == [rules / "s3"]
    assert rule_dirs([str(rules), str(tests)]) == [rules]  # a nested directory is covered by its parent
    assert guard_test(tests) == EXIT_OK


def test_bad_paths_are_usage_errors(tmp_path: Path, capsys):
    assert guard_test(tmp_path / "missing") == EXIT_USAGE
    assert "missing: no such file or directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert guard_test(tmp_path / "empty") == EXIT_USAGE
    assert "no .guard rule files under" in capsys.readouterr().err


@pytest.mark.parametrize(
    "script",
    [
        "#!/bin/sh\nexit 1\n",  # says a case failed but reports nothing
        "#!/bin/sh\necho 'not json at all'\nexit 7\n",
        "#!/bin/sh\necho '{\"rule_file\": 1}'\n",  # JSON of the wrong shape
        "#!/bin/sh\nkill -SEGV $$\n",
    ],
    ids=["silent-failure", "garbage", "wrong-shape", "crash"],
)
def test_a_cfn_guard_that_cannot_answer_fails_closed(rules: Path, tmp_path: Path, script: str, capsys):
    fake = tmp_path / "cfn-guard"
    fake.write_text(script)
    fake.chmod(0o755)
    assert guard_test(rules, "--guard-bin", fake) == EXIT_ENGINE
    assert capsys.readouterr().err.startswith("tapgate: error: engine cfn-guard:")
