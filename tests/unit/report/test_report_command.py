"""`tapgate report FILE.json`: re-renders a stored result; bad input is one line and exit 2; a missing PDF
renderer is a warning, never a crash."""

from __future__ import annotations

import pytest
from report_test_helpers import RESULTS

from tapgate.cli import main

FAILING = str(RESULTS / "failing.json")


def run(capsys, *args):
    code = main(["report", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_markdown_to_stdout_and_html_to_a_file(capsys, tmp_path):
    code, out, err = run(capsys, FAILING)
    assert code == 0 and err == ""
    assert out.startswith("# Compliance report: ") and "## 3. Control matrix" in out
    target = tmp_path / "r.html"
    code, out, _ = run(capsys, FAILING, "--format", "html", "-o", target)
    assert code == 0 and out == ""
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_dir_without_a_pdf_renderer_warns_and_writes_the_rest(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-such-chromium"))
    code, _, err = run(capsys, FAILING, "--report-dir", tmp_path / "reports")
    assert code == 0
    written = {p.name for p in (tmp_path / "reports").iterdir()}
    assert {"gate.md", "gate.html", "gate.json", "gate.sarif", "gate.xml", "gate.txt"} <= written
    assert "gate.pdf" not in written
    assert err.count("\n") == 1 and "warning" in err and "PDF skipped: no headless Chromium" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"provenance": ', "bad.json:1:16: invalid JSON"),
        ("", "bad.json:1:1: empty file"),
        ("[1, 2]", "bad.json: not a tapgate result"),
        ('{"provenance": {}, "summary": {}}', "bad.json: not a valid tapgate result: provenance.template"),
        ('{"schema_version": "9.0", "provenance": {}, "summary": {}}', "bad.json: schema_version '9.0'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, content, expected):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, bad)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err


def test_missing_file_and_binary_to_stdout_are_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "gone.json")
    assert code == 2 and "gone.json: no such file" in err
    code, out, err = run(capsys, FAILING, "--format", "pdf")
    assert code == 2 and out == "" and "give -o FILE or --report-dir DIR" in err
