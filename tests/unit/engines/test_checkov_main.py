"""tapgate.engines.checkov_main: checkov's CLI with bc_jsonpath_ng's parser memoised (issue 8). The parsed
expression is the same as an unpatched parse and is reused; the gate runs checkov through it; and checkov
run through it reports exactly the checks its own console script reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bc_jsonpath_ng import parser as jsonpath_parser
from bc_jsonpath_ng.ext import parse as ext_parse
from bc_jsonpath_ng.ext.parser import ExtentedJsonPathParser

from tapgate.engines import checkov_main
from tapgate.engines.checkov import QUIET_ENV, checkov_command
from tapgate.engines.executables import python_tool

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "precommit" / "templates" / "kms-stack.json"


@pytest.fixture
def memoised(monkeypatch):
    """Patch for one test (monkeypatch puts the original back); yields the unpatched parse method."""
    original = jsonpath_parser.JsonPathParser.parse
    monkeypatch.setattr(jsonpath_parser.JsonPathParser, "parse", original)
    assert checkov_main.memoise_jsonpath_parser()
    return original


def test_unpatched_parse_builds_a_new_expression_every_time():
    assert ext_parse("Properties.Tags[*].Key") is not ext_parse("Properties.Tags[*].Key")


def test_a_memoised_parse_is_reused_and_equal_to_a_fresh_one(memoised):
    expression = "Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]"
    first = ext_parse(expression)
    assert ext_parse(expression) is first
    assert str(first) == str(memoised(ExtentedJsonPathParser(), expression))
    assert ext_parse("Properties.Other") is not first


def test_patching_twice_keeps_one_layer(memoised):
    patched = jsonpath_parser.JsonPathParser.parse
    assert checkov_main.memoise_jsonpath_parser()
    assert jsonpath_parser.JsonPathParser.parse is patched


def test_the_gate_runs_checkov_through_it():
    assert checkov_command() == [sys.executable, "-m", "tapgate.engines.checkov_main"]


def _checks(command: list[str]) -> dict[str, set[tuple[str, str]]]:
    argv = [*command, "-o", "json", "--framework", "cloudformation", "--skip-download", "--compact"]
    done = subprocess.run(
        [*argv, "-f", str(TEMPLATE)],
        env={**os.environ, **QUIET_ENV},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-500:]
    results = json.loads(done.stdout)["results"]
    return {
        key: {(check["check_id"], check["resource"]) for check in results[key]}
        for key in ("passed_checks", "failed_checks", "skipped_checks")
    }


@pytest.mark.engines
def test_checkov_reports_the_same_checks_through_it_as_through_its_console_script():
    through_shim = _checks(checkov_command())
    assert through_shim == _checks(python_tool("checkov"))
    assert ("CKV_AWS_7", "AWS::KMS::Key.Key") in through_shim["passed_checks"]
