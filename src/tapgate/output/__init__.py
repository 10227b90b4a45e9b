"""Render a `GateResult` in every format the gate writes.

text, json, sarif and junit are written here; markdown, html and pdf come from the report piece through
`tapgate.report.render(result, fmt) -> bytes | str`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tapgate.errors import UsageError

if TYPE_CHECKING:
    from tapgate.model import GateResult

OWN_FORMATS = ("text", "json", "sarif", "junit")
EXTENSIONS = {"text": "txt", "junit": "xml", "markdown": "md"}  # else the format name


def render(result: GateResult, fmt: str, color: bool = False) -> bytes:
    if fmt == "text":
        from tapgate.output.text import render_text

        return render_text(result, color=color).encode()
    if fmt == "json":
        return (result.model_dump_json(indent=2) + "\n").encode()
    if fmt == "sarif":
        from tapgate.output.sarif import render_sarif

        return render_sarif(result).encode()
    if fmt == "junit":
        from tapgate.output.junit import render_junit

        return render_junit(result)
    return _from_report(result, fmt)


def _from_report(result: GateResult, fmt: str) -> bytes:
    try:
        from tapgate.report import render as report_render
    except ImportError:
        raise UsageError(f"format {fmt} needs tapgate.report.render, which is not installed") from None
    content = report_render(result, fmt)
    return content.encode() if isinstance(content, str) else content


def extension(fmt: str) -> str:
    return EXTENSIONS.get(fmt, fmt)
