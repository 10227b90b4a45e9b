"""Auditor reports rendered from a `GateResult`: Markdown, HTML, PDF (and the JSON they are rendered from).

`render(result, fmt)` is the one entry point the gate calls (for `--format markdown|html` and `--report-dir`);
`write_report_dir` writes every format into a directory and skips the PDF with a warning when no renderer is
installed. Nothing heavy is imported until a report is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `tapgate report` registers through this package: no pydantic on every CLI start-up
    from tapgate.model import GateResult

FORMATS = ("markdown", "html", "pdf", "json")


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


def prepare() -> None:
    """Import and compile what the HTML needs, ahead of the verdict (on a thread beside the engines, by
    `pdf.prestarted_browser`): Jinja2, the compiled template, the report's view. After the verdict the HTML
    is the one format the PDF waits for; the others (sarif-om alone is 0.25 s to import) are rendered while
    Chromium prints, on the other core, so warming them too would only add work beside the engines."""
    from tapgate.report.html import warm_template

    warm_template()


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each, e.g. the PDF was skipped


def write_report_dir(result: GateResult, directory: str | Path) -> Written:
    """Every format `tapgate check --report-dir` writes, under the same names (gate.md, gate.html, gate.pdf,
    gate.json, gate.sarif, gate.xml, gate.txt), for the gate and for `tapgate report --report-dir`.

    The HTML is rendered once: written as gate.html and printed as gate.pdf by Chromium on a thread (the
    gate's prestarted browser, else a one-off one) while the other formats are rendered here. A format that
    cannot be rendered (no PDF renderer, a failed print) is a warning and the others are still written; a
    folder that cannot be made or a file that cannot be written is a one-line `UsageError`."""
    from tapgate.errors import TapgateError, UsageError
    from tapgate.gate.options import REPORT_DIR_FORMATS
    from tapgate.output import extension
    from tapgate.output import render as render_any
    from tapgate.report.pdf import BackgroundPdf

    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--report-dir {out}: cannot create: {err.strerror or err}") from None
    problems = (TapgateError, ImportError, NotImplementedError, ValueError)
    try:
        html: bytes | Exception = render_any(result, "html")
    except problems as err:
        html = err
    pdf = BackgroundPdf(html.decode()) if isinstance(html, bytes) else None
    written = Written()
    for fmt in REPORT_DIR_FORMATS:
        try:
            if fmt in ("html", "pdf") and isinstance(html, Exception):
                raise html
            content = pdf.result() if fmt == "pdf" else html if fmt == "html" else render_any(result, fmt)
        except problems as err:
            written.warnings.append(f"{fmt} report not written: {err}")
            continue
        target = out / f"gate.{extension(fmt)}"
        try:
            target.write_bytes(content)
        except OSError as err:
            raise UsageError(f"{target}: cannot write: {err.strerror or err}") from None
        written.files.append(target)
    return written
