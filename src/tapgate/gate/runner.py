"""Run the engines concurrently: each subprocess in its own thread, the in-process checks alongside.

Every engine starts once. An engine that fails yields `EngineRun(ok=False)` with a one-line error; the
others still finish so the report shows everything that could be judged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from tapgate import engines
from tapgate.engines.base import EngineContext, kill_running
from tapgate.errors import EngineError

if TYPE_CHECKING:
    from tapgate.engines.base import Engine
    from tapgate.model import EngineRun, Finding

Progress = Callable[[str, str], None]  # (engine, "started" | "done" | "failed")


def start_engines(names: list[str], ctx: EngineContext) -> dict[str, Engine]:
    """The engines that launch ahead (engines.STARTS_EARLY: cfn-guard), created and started right now on
    the calling thread, before the gate imports anything heavy. A failure here is kept by the engine and
    recorded by run_engines, like any other."""
    created: dict[str, Engine] = {}
    for name in names:
        if name in engines.STARTS_EARLY:
            created[name] = engines.create(name)
            created[name].start(ctx)  # type: ignore[attr-defined]
    return created


def run_engines(
    names: list[str],
    ctx: EngineContext,
    versions: dict[str, str],
    progress: Progress | None = None,
    started: dict[str, Engine] | None = None,
) -> list[tuple[EngineRun, list[Finding]]]:
    notify = progress or (lambda _engine, _state: None)
    ready = started or {}
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="engine") as pool:
        futures = [
            pool.submit(_run_one, name, ctx, versions.get(name, ""), notify, ready.get(name))
            for name in names
        ]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C or SIGTERM: take the engines down with us, then let it propagate
            kill_running()
            raise


def _run_one(
    name: str, ctx: EngineContext, version: str, notify: Progress, engine: Engine | None = None
) -> tuple[EngineRun, list[Finding]]:
    """Launch first, import pydantic later: the EngineRun is built once the engine has answered."""
    started = time.monotonic()
    notify(name, "started")
    command: list[str] = []
    error: str | None = None
    findings: list[Finding] = []
    try:
        engine = engine or engines.create(name)
        output = engine.run(ctx)
        command = output.command
        findings = engine.parse(output, ctx)
    except EngineError as err:
        error = str(err)
    except Exception as err:  # noqa: BLE001 - an engine bug must fail closed, not crash the report
        error = f"engine {name}: internal error: {type(err).__name__}: {err}"
    if error is not None and not command:
        command = _intended_command(engine, ctx)  # what it was to run, for the failed run's record
    from tapgate.model import EngineRun

    run = EngineRun(name=name, version=version, ok=error is None, command=command, error=error)
    run.duration_s = round(time.monotonic() - started, 3)
    run.findings = len(findings) if run.ok else 0
    notify(name, "done" if run.ok else "failed")
    return run, (findings if run.ok else [])


def _intended_command(engine, ctx: EngineContext) -> list[str]:
    """The command an engine that failed was to run; [] when even that cannot be built (e.g. no binary)."""
    try:
        return engine.command(ctx) if hasattr(engine, "command") else []
    except Exception:  # noqa: BLE001 - the run's own error is what gets reported
        return []
