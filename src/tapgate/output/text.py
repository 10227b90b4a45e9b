"""The text report: one line when all is well; a table of what fails (and why) when not."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

from tapgate.model import ControlStatus, GateResult, Status

if TYPE_CHECKING:  # rich loads only when there is more to show than the one-line headline (issue 8)
    from rich.console import Console
    from rich.table import Table

STATUS_STYLE = {"FAIL": "bold red", "WAIVED": "yellow", "SUPPRESSED": "yellow", "ERROR": "bold magenta"}
MARKUP = re.compile(r"^\[[a-z ]+\](\w+)\[/\]")  # the headline's one styled word
# what rich prints unchanged: printable ASCII without markup brackets, escapes or an emoji's second colon
PLAIN = re.compile(r"[ -Z^-~]*")


def render_text(result: GateResult, color: bool = False, width: int = 140) -> str:
    """The report; a run with nothing failing is its headline alone, printed without rich when rich would
    print it unchanged (the same bytes: tests/unit/output/test_text_plain.py)."""
    if not color and not any(f.status is Status.FAIL for f in result.findings):
        plain = _plain_headline(result, width)
        if plain is not None:
            return plain
    return _rich_text(result, color, width)


def _plain_headline(result: GateResult, width: int) -> str | None:
    """The headline without its markup, when every engine ran and rich would neither wrap, restyle nor
    re-read any of it; else None."""
    if not all(run.ok for run in result.engines):
        return None
    text = MARKUP.sub(r"\1", _headline(result))
    plain = PLAIN.fullmatch(text) and text.count(":") <= 1 and len(text) < width
    return text + "\n" if plain else None


def _rich_text(result: GateResult, color: bool, width: int) -> str:
    from rich.console import Console

    buffer = StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False)
    _engine_failures(console, result)
    failing = [f for f in result.findings if f.status is Status.FAIL]
    if failing:
        console.print(_findings_table(failing))
    accepted = [f for f in result.findings if f.status in (Status.WAIVED, Status.SUPPRESSED)]
    if accepted and failing:
        console.print(f"{len(accepted)} finding(s) waived or suppressed (the JSON report has the register)")
    console.print(_headline(result))
    return buffer.getvalue()


def _engine_failures(console: Console, result: GateResult) -> None:
    for run in result.engines:
        if not run.ok:
            console.print(f"[bold magenta]ERROR[/] {run.error}")


def _findings_table(failing) -> Table:
    from rich.table import Table

    table = Table(title="Failing findings", show_lines=False, expand=False)
    for column in ("severity", "engine", "rule", "resource", "where", "controls", "message"):
        table.add_column(column, overflow="fold")
    for f in failing:
        where = f"{_shown(f.file)}:{f.line}" if f.line else _shown(f.file)
        message = f.message + (f"\nfix: {f.fix}" if f.fix else "")
        controls = ", ".join(f.controls) or "-"
        table.add_row(f.severity.value, f.engine, f.rule, f.resource or "-", where, controls, message)
    return table


def _headline(result: GateResult) -> str:
    summary = result.summary
    controls = result.controls
    held = sum(1 for c in controls if c.status is ControlStatus.HELD)
    failed = [c.id for c in controls if c.status is ControlStatus.FAILED]
    waived = sum(1 for c in controls if c.status is ControlStatus.WAIVED)
    fails = summary.findings.get("FAIL", 0)
    style = {"PASS": "bold green", "FAIL": "bold red"}.get(summary.verdict, "bold magenta")
    text = (
        f"[{style}]{summary.verdict}[/] {result.provenance.template}: {held} control(s) held, "
        f"{waived} waived, {len(failed)} failed; {fails} failing finding(s); exit {summary.exit_code}"
    )
    if failed:
        text += f"\nfailed controls: {', '.join(failed)}"
    if result.provenance.cached:
        text += " (cached result)"
    return text


def _shown(path: str) -> str:
    """A path as short as it can be read: relative to the working directory when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return path
