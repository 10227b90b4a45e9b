"""Bad input and usage through the command line: each is one line on stderr with file:line:col where there
is one, exit 2, no traceback, and no engine started."""

from __future__ import annotations

import pytest
from gate_test_helpers import POLICIES, TEMPLATES, clean_fakes

from tapgate.errors import EXIT_USAGE

CASES = [
    (
        "bad.json",
        '{\n  "Resources": {\n    "B": {"Type": "AWS::S3::Bucket",}\n  }\n}\n',
        "bad.json:3:37: invalid JSON",
    ),
    ("bad.yaml", "Resources:\n  B:\n    Type: [AWS::S3::Bucket\n", "bad.yaml:4:1: invalid YAML"),
    ("empty.yaml", "\n\n", "empty.yaml:1:1: empty file"),
    ("nores.json", '{"AWSTemplateFormatVersion": "2010-09-09"}', "nores.json:1:1: no Resources section"),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_template_is_one_line_exit_2(gate, tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = gate(path, "--policies", POLICIES, *clean_fakes(cfn_lint="crash"))
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"tapgate: error: {tmp_path}/{expected}")
    assert out == ""


def test_missing_template(gate, tmp_path):
    code, _, err = gate(tmp_path / "nope.json", "--policies", POLICIES)
    assert code == EXIT_USAGE
    assert err == f"tapgate: error: {tmp_path}/nope.json: no such file\n"


def test_unknown_engine_is_usage_error(gate):
    code, _, err = gate(TEMPLATES / "bucket_pass.json", "--policies", POLICIES, "--engines=cfn-nag")
    assert code == EXIT_USAGE
    assert "unknown engine 'cfn-nag'" in err


def test_bad_engine_command_is_usage_error(gate):
    code, _, err = gate(TEMPLATES / "bucket_pass.json", "--policies", POLICIES, "--engine-command", "checkov")
    assert code == EXIT_USAGE
    assert "--engine-command expects NAME=COMMAND" in err


def test_unknown_format_is_usage_error(gate):
    code, _, err = gate(TEMPLATES / "bucket_pass.json", "--format", "pdfx")
    assert code == EXIT_USAGE
    assert "invalid choice: 'pdfx'" in err


@pytest.mark.parametrize(
    ("flag", "where", "expected"),
    [
        ("-o", "missing/r.json", "folder {tmp}/missing does not exist"),
        ("-o", ".", "is a folder, not a file"),
        ("--report-dir", "file.txt", "exists and is not a folder"),
    ],
)
def test_unusable_destination_is_one_line_before_any_engine(gate, tmp_path, flag, where, expected):
    (tmp_path / "file.txt").write_text("keep me")
    destination = tmp_path / where
    template = TEMPLATES / "bucket_fail.json"
    code, out, err = gate(template, "--policies", POLICIES, flag, destination, *clean_fakes(cfn_lint="crash"))
    assert out == ""
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.rstrip("\n").endswith(expected.format(tmp=tmp_path))
    assert (tmp_path / "file.txt").read_text() == "keep me"
