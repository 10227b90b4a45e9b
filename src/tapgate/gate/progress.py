"""Progress while the engines run: a live line on a terminal (stderr), nothing otherwise."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tapgate.gate.runner import Progress


@contextmanager
def engine_progress(names: list[str]) -> Iterator[Progress | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    states = dict.fromkeys(names, "waiting")
    lock = threading.Lock()
    console = Console(file=sys.stderr)
    with console.status(_line(states)) as status:

        def update(engine: str, state: str) -> None:
            with lock:
                states[engine] = state
                status.update(_line(states))

        yield update


def _line(states: dict[str, str]) -> str:
    marks = {"waiting": "·", "started": "…", "done": "[green]✓[/]", "failed": "[red]✗[/]"}
    return "  ".join(f"{name} {marks.get(state, state)}" for name, state in states.items())
