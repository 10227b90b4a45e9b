"""Text rendering of a simulation result, and the live status line shown on a terminal."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

STATUSES = ("confirmed", "quarantined", "failed")


def render_text(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    verdict = "[green]all invariants hold[/]" if result["ok"] else "[red]INVARIANTS FAILED[/]"
    console.print(
        f"Simulated business day {result['business_date']}: {result['reports']} reports, "
        f"execution {result['execution']['status']}, {verdict}"
    )
    table = Table(title="Reports by jurisdiction and final status")
    table.add_column("jurisdiction")
    others = sorted({s for row in result["by_jurisdiction"].values() for s in row} - set(STATUSES))
    for status in (*STATUSES, *others):
        table.add_column(status, justify="right")
    for jurisdiction, row in result["by_jurisdiction"].items():
        table.add_row(jurisdiction, *(str(row.get(s, 0)) for s in (*STATUSES, *others)))
    console.print(table)
    console.print(
        "flow: "
        + ", ".join(
            f"{k} {result[k]}" for k in ("generated", "validated", "delivered", "confirmed", "quarantined")
        )
        + f", failed {result['failed']}; SES messages {result['ses_messages']}"
    )
    retries = result["retries"]
    by_state = ", ".join(f"{k} {v}" for k, v in retries["by_state"].items()) or "none"
    console.print(
        f"retries (Step Functions): {retries['total']} ({by_state}); SDK retries {retries['sdk_retries']}"
    )
    injected = ", ".join(f"{k} {v}" for k, v in result["faults"]["injected"].items()) or "none"
    console.print(f"faults injected: {injected}")
    console.print("time per stage: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["stages_s"].items()))
    handlers = ", ".join(f"{k} {v['count']}×/{v['seconds']:.1f} s" for k, v in result["invocations"].items())
    console.print(f"handlers: {handlers}")
    console.print(f"wall time: {result['wall_s']:.1f} s")
    failing = [name for name, held in result["invariants"].items() if not held]
    for name in failing:
        console.print(f"[red]invariant failed:[/] {name}")
    for problem in retries.get("problems", []):
        console.print(f"[red]retry outside the template:[/] {problem}")


@contextlib.contextmanager
def live_status(day: Any) -> Iterator[Callable[[str], None]]:
    """A rich status line refreshed from another thread: the stage, handler invocations, elapsed time."""
    from rich.console import Console

    console = Console(stderr=True)
    state = {"stage": "starting PostgreSQL and deploying the stack"}
    started = time.monotonic()
    stop = threading.Event()
    with console.status(state["stage"]) as status:

        def refresh() -> None:
            while not stop.wait(0.5):
                calls = len(day.stack.runtime.invocations)
                status.update(
                    f"{state['stage']} · {calls} handler invocations · {time.monotonic() - started:.0f} s"
                )

        thread = threading.Thread(target=refresh, name="sim-progress", daemon=True)
        thread.start()
        try:
            yield lambda text: state.__setitem__("stage", text)
        finally:
            stop.set()
            thread.join()
