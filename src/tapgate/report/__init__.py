"""Auditor reports rendered from a `GateResult`: Markdown, HTML, PDF (and the JSON they are rendered from).

`render(result, fmt)` is the one entry point the gate calls (for `--format markdown|html` and `--report-dir`);
`write_report_dir` writes every format into a directory and skips the PDF with a warning when no renderer is
installed. Nothing heavy is imported until a report is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tapgate.model import GateResult

FORMATS = ("markdown", "html", "pdf", "json")
# File names inside --report-dir, by format.
FILE_NAMES = {"json": "result.json", "markdown": "report.md", "html": "report.html", "pdf": "report.pdf"}


def render(result: GateResult, fmt: str) -> str | bytes:
    """The report in `fmt`: str for markdown, html and json; bytes for pdf.

    PDF raises `tapgate.report.pdf.PdfUnavailable` when no headless Chromium is installed and `PdfError`
    when it fails; both are `TapgateError`s with a one-line message.
    """
    if fmt == "markdown":
        from tapgate.report.markdown import render_markdown

        return render_markdown(result)
    if fmt == "html":
        from tapgate.report.html import render_html

        return render_html(result)
    if fmt == "pdf":
        from tapgate.report.html import render_html
        from tapgate.report.pdf import html_to_pdf

        return html_to_pdf(render_html(result))
    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each, e.g. the PDF was skipped


def write_report_dir(
    result: GateResult, directory: str | Path, formats: tuple[str, ...] = FORMATS
) -> Written:
    """Write each format to `directory` (created); a PDF renderer missing or failing is only a warning."""
    from tapgate.report.pdf import PdfError, PdfUnavailable

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = Written()
    for fmt in formats:
        target = out / FILE_NAMES[fmt]
        try:
            content = render(result, fmt)
        except (PdfUnavailable, PdfError) as err:
            written.warnings.append(str(err))
            continue
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        written.files.append(target)
    return written
