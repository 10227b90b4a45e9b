"""The HTML report in a real headless Chromium (Debian's package): the control matrix is in the rendered DOM
and readable as text on the printed page; the PDF has one page per forced section at least, "Page i of N"
on every page matching its real page count, and each framework view starting its own page."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tapgate.report import render
from tapgate.report.pdf import chromium_command, run_chromium
from tapgate.report.view import build_view
from tapgate.report.wording import STATUS_WORDS

pytestmark = pytest.mark.browser
CHAPTERS = ("2. Summary", "4. Findings", "5. Framework views", "6. Waivers", "Appendix A.", "Appendix B.")


@pytest.fixture(scope="module")
def poppler():
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        pytest.fail("pdftotext/pdfinfo missing: apt-get install poppler-utils")


@pytest.fixture(scope="module")
def pdf_file(failing, chromium, poppler, tmp_path_factory):
    pdf = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pdf.write_bytes(render(failing, "pdf"))
    return pdf


@pytest.fixture(scope="module")
def pdf_pages(pdf_file) -> list[str]:
    """The failing fixture's PDF, as the text of each page (pdftotext keeps the layout)."""
    pdf = pdf_file
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = text.stdout.split("\f")
    assert pages[-1].strip() == "" and len(pages) - 1 == count
    return pages[:-1]


def test_control_matrix_is_in_the_rendered_dom(failing, chromium, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(failing, "html"), encoding="utf-8")
    dom = run_chromium(chromium_command(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())).stdout
    matrix = dom.split('<table class="matrix">')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td><strong>(TAP-[A-Z]+-\d+)</strong>", matrix)
    assert rows == [c.id for c in failing.controls]
    for control in failing.controls:
        assert f'class="badge s-{control.status.value}">{STATUS_WORDS[control.status.value]}<' in matrix


def test_control_matrix_is_readable_text_on_the_printed_page(failing, pdf_pages):
    # After the cover (its contents list names every chapter): the matrix's pages, up to the findings.
    start = next(i for i, page in enumerate(pdf_pages) if i and "3. Control matrix" in page)
    end = next(i for i, page in enumerate(pdf_pages) if i > start and _first_heading(page) == "4. Findings")
    matrix = "\n".join(pdf_pages[start:end])
    for control in failing.controls:
        line = next(line for line in matrix.splitlines() if control.id in line)
        assert STATUS_WORDS[control.status.value] in line, f"{control.id}: status not beside it in {line!r}"


def test_every_page_is_numbered_against_the_real_page_count(pdf_pages):
    total = len(pdf_pages)
    for number, page in enumerate(pdf_pages, start=1):
        assert f"Page {number} of {total}" in page


def test_forced_page_breaks_give_the_expected_pages(failing, pdf_pages):
    frameworks = build_view(failing).frameworks
    assert len(pdf_pages) >= 1 + len(CHAPTERS) + len(frameworks)
    assert "1. Provenance" in pdf_pages[0] and failing.provenance.template_sha256 in pdf_pages[0]
    for heading in CHAPTERS:
        assert any(_first_heading(page).startswith(heading) for page in pdf_pages), heading
    for number, fw in enumerate(frameworks, start=1):
        title = f"5.{number} {fw.regulation.title}"
        assert any(_first_heading(page).startswith(title[:40]) for page in pdf_pages), title


def test_pdf_carries_the_findings_text(failing, pdf_pages):
    text = " ".join(" ".join(pdf_pages).split())
    view = build_view(failing)
    for fact in view.facts:
        assert f"{fact.label} ·" in text
    assert "EXPIRED since 2026-06-30" in text
    assert "quarantined kept as evidence" in text and "215.83 USD" in text


def test_nothing_overflows_so_nothing_is_shrunk_to_fit(pdf_file):
    """Chromium scales a whole document down when anything is wider than the page, but not its margin boxes:
    the heading "1. Provenance" (15pt) over the footer's "Page 1 of N" (7.5pt) is about 2 at full size."""
    assert _heading_to_footer_ratio(pdf_file) > 1.85


def _heading_to_footer_ratio(pdf) -> float:
    command = ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"]
    boxes = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', boxes)
    height = {w: max(float(b) - float(a) for a, b, x in words if x == w) for w in ("Page", "Provenance")}
    return height["Provenance"] / height["Page"]


def _first_heading(page: str) -> str:
    """The first line of a page's body (after the running header)."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    body = [line for line in lines if line != "tapgate compliance report"]
    return body[0] if body else ""
