"""The text report: one line when all is well; a table of what fails (and why) when not."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tapgate.model import ControlStatus, GateResult, Status

STATUS_STYLE = {"FAIL": "bold red", "WAIVED": "yellow", "SUPPRESSED": "yellow", "ERROR": "bold magenta"}


def render_text(result: GateResult, color: bool = False, width: int = 140) -> str:
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
