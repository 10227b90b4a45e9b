"""tapgate.engines.checkov_main: checkov's CLI with bc_jsonpath_ng's PLY parser built once instead of once
per parse (issue 8). Parses give what an unpatched parse gives; the tables are generated once per grammar;
the gate runs checkov through it; and checkov run through it reports exactly the checks its own console
script reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ply.yacc
import pytest
from bc_jsonpath_ng import parser as jsonpath_parser
from bc_jsonpath_ng.ext import parse as ext_parse

from tapgate.engines import checkov_main
from tapgate.engines.checkov import QUIET_ENV, checkov_command
from tapgate.engines.executables import python_tool

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "precommit" / "templates" / "kms-stack.json"
EXPRESSIONS = ["Properties.Tags[*].Key", "Properties.BucketEncryption.Rules[0]", "Resources.*.Type"]


@pytest.fixture
def yacc_calls(monkeypatch) -> list[str]:
    """Every PLY table generation, by start symbol; the parser class is restored after the test."""
    calls: list[str] = []
    original = ply.yacc.yacc

    def counting(*args, **kwargs):
        calls.append(kwargs.get("start", ""))
        return original(*args, **kwargs)

    monkeypatch.setattr(ply.yacc, "yacc", counting)
    klass = jsonpath_parser.JsonPathParser
    monkeypatch.setattr(klass, "parse_token_stream", klass.parse_token_stream)
    return calls


def test_unpatched_every_parse_generates_the_tables_again(yacc_calls):
    unpatched = [str(ext_parse(text)) for text in EXPRESSIONS]
    assert len(yacc_calls) == len(EXPRESSIONS)
    assert unpatched[0] == "Properties.Tags.[*].Key"


def test_patched_the_tables_are_generated_once_and_parses_are_unchanged(yacc_calls):
    unpatched = [str(ext_parse(text)) for text in EXPRESSIONS]
    yacc_calls.clear()
    assert checkov_main.reuse_jsonpath_parser_tables()
    assert [str(ext_parse(text)) for text in EXPRESSIONS * 2] == unpatched * 2
    assert yacc_calls == ["jsonpath"]


def test_patching_twice_keeps_one_layer(yacc_calls):
    assert checkov_main.reuse_jsonpath_parser_tables()
    patched = jsonpath_parser.JsonPathParser.parse_token_stream
    assert checkov_main.reuse_jsonpath_parser_tables()
    assert jsonpath_parser.JsonPathParser.parse_token_stream is patched


def test_the_gate_runs_checkov_through_it():
    assert checkov_command() == [sys.executable, "-m", "tapgate.engines.checkov_main"]


def _checks(command: list[str], env: dict[str, str]) -> dict[str, set[tuple[str, str]]]:
    argv = [*command, "-o", "json", "--framework", "cloudformation", "--skip-download", "--compact"]
    done = subprocess.run(
        [*argv, "-f", str(TEMPLATE)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-500:]
    results = json.loads(done.stdout)["results"]
    return {
        key: {
            (check["check_id"], check["resource"], *(check["check_result"].get("evaluated_keys") or []))
            for check in results[key]
        }
        for key in ("passed_checks", "failed_checks", "skipped_checks")
    }


@pytest.mark.engines
def test_checkov_reports_the_same_checks_through_it_as_through_its_console_script():
    """The gate's way (the shim, run in-process) against checkov's own (console script, forking a child
    to run the framework as it does by default): the same checks, evaluated keys in the same order (the
    gate's pointer is the first; the hash seed is pinned so sets iterate alike)."""
    assert QUIET_ENV["CHECKOV_PARALLELIZATION_TYPE"] == "none"
    checkov_defaults = {k: v for k, v in QUIET_ENV.items() if k != "CHECKOV_PARALLELIZATION_TYPE"}
    through_shim = _checks(checkov_command(), QUIET_ENV)
    assert through_shim == _checks(python_tool("checkov"), checkov_defaults)
    assert any(c[:2] == ("CKV_AWS_7", "AWS::KMS::Key.Key") for c in through_shim["passed_checks"])
