"""The fast paths of the PDF in a real headless Chromium: a browser prestarted for a gate run prints the same
document a one-off browser prints, and leaves no process behind; a PDF already printed from the same HTML is
read back without starting a browser, and a changed HTML is printed again."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from report_test_helpers import live_processes

from tapgate.report import pdf, render
from tapgate.report.html import render_html

pytestmark = pytest.mark.browser


def _text(content: bytes, tmp_path) -> str:
    target = tmp_path / "out.pdf"
    target.write_bytes(content)
    return subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout


def test_prestarted_browser_prints_what_a_one_off_browser_prints(failing, chromium, tmp_path, monkeypatch):
    one_off = render(failing, "pdf")
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path / "empty-cache"))  # print again, do not reuse
    with pdf.prestarted_browser():
        printer = pdf._prestarted
        prestarted = render(failing, "pdf")
        pid = printer._browser.pid
    assert _text(prestarted, tmp_path) == _text(one_off, tmp_path)
    assert pdf._prestarted is None and printer._browser.pid is None
    deadline = time.monotonic() + 5  # killed at once; their parents (killed too) may take a moment to go
    while live_processes(group=pid):
        assert time.monotonic() < deadline, "browser processes left running"
        time.sleep(0.05)


def test_same_html_is_not_printed_again(failing, chromium, monkeypatch):
    first = render(failing, "pdf")

    def no_browser(*_args, **_kwargs):
        raise AssertionError("a browser was started for a PDF already printed")

    monkeypatch.setattr(pdf, "PdfPrinter", no_browser)
    assert render(failing, "pdf") == first
    changed = failing.model_copy(deep=True)
    changed.provenance.started_at = "2030-01-01T00:00:00Z"
    assert render_html(changed) != render_html(failing)
    with pytest.raises(AssertionError, match="a browser was started"):
        render(changed, "pdf")


def test_pdf_is_untagged_a4_and_keeps_landscape_pages(failing, chromium, tmp_path):
    target = tmp_path / "r.pdf"
    target.write_bytes(render(failing, "pdf"))
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(target)], capture_output=True, text=True)
    sizes = re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts \(A4\)", info.stdout)
    assert ("594.96", "841.92") in sizes and ("841.92", "594.96") in sizes  # portrait and landscape A4
    assert re.search(r"^Tagged:\s+no", info.stdout, re.MULTILINE)


def test_hiding_the_page_on_screen_changes_nothing_printed(failing, chromium, tmp_path, monkeypatch):
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path / "empty-cache"))
    hidden = render(failing, "pdf")
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path / "another-empty-cache"))
    monkeypatch.setattr(pdf, "print_only", lambda html: html)  # the page as a reader's browser loads it
    shown = render(failing, "pdf")
    assert _text(hidden, tmp_path) == _text(shown, tmp_path)
    page_sizes = re.compile(rb"/MediaBox\s*\[[^\]]*\]")
    assert page_sizes.findall(hidden) == page_sizes.findall(shown)


def _spy_on_loads(monkeypatch) -> list[str]:
    """The HTML of every page Chromium loads to print, in order."""
    printed: list[str] = []
    load_and_print = pdf.PdfPrinter._load_and_print

    def spied(self, html, deadline):
        printed.append(html)
        return load_and_print(self, html, deadline)

    monkeypatch.setattr(pdf.PdfPrinter, "_load_and_print", spied)
    return printed


def test_a_chromium_whose_printing_pass_is_landscape_still_prints_the_report(
    failing, chromium, tmp_path, monkeypatch
):
    """The counting pass's rule hides the report in a landscape viewport: were the printing pass's viewport
    landscape too (here: landscape paper), the PDF would be one blank page, and the report is printed again
    without the rule."""
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path / "empty-cache"))
    expected = render(failing, "pdf")
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path / "another-empty-cache"))
    landscape = {**pdf.PRINT_SETTINGS, "paperWidth": 11.69, "paperHeight": 8.27}
    monkeypatch.setattr(pdf, "PRINT_SETTINGS", landscape)
    printed = _spy_on_loads(monkeypatch)
    again = render(failing, "pdf")
    assert [pdf.COUNTING_HIDDEN in html for html in printed] == [True, False]
    assert pdf.page_count(again) == pdf.page_count(expected) > 1
    assert _text(again, tmp_path) == _text(expected, tmp_path)


def test_the_counting_pass_rule_saves_a_layout_and_changes_nothing_printed(
    failing, chromium, tmp_path, monkeypatch
):
    printed = _spy_on_loads(monkeypatch)
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path / "empty-cache"))
    skipped = render(failing, "pdf")
    assert (
        len(printed) == 1 and pdf.COUNTING_HIDDEN in printed[0]
    )  # printed once: the rule hid nothing it prints
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path / "another-empty-cache"))
    with_counting = pdf.print_only
    monkeypatch.setattr(
        pdf, "print_only", lambda html, skip_counting=True: with_counting(html, skip_counting=False)
    )
    counted = render(failing, "pdf")
    assert _text(skipped, tmp_path) == _text(counted, tmp_path)
    page_sizes = re.compile(rb"/MediaBox\s*\[[^\]]*\]")
    assert page_sizes.findall(skipped) == page_sizes.findall(counted)
