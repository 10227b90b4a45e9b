"""Run the engines concurrently: each subprocess in its own thread, the in-process checks alongside.

Every engine starts once. An engine that fails yields `EngineRun(ok=False)` with a one-line error; the
others still finish so the report shows everything that could be judged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tapgate import engines
from tapgate.engines.base import EngineContext, kill_running
from tapgate.errors import EngineError
from tapgate.model import EngineRun, Finding

Progress = Callable[[str, str], None]  # (engine, "started" | "done" | "failed")


def run_engines(
    names: list[str], ctx: EngineContext, versions: dict[str, str], progress: Progress | None = None
) -> list[tuple[EngineRun, list[Finding]]]:
    notify = progress or (lambda _engine, _state: None)
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="engine") as pool:
        futures = [pool.submit(_run_one, name, ctx, versions.get(name, ""), notify) for name in names]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C or SIGTERM: take the engines down with us, then let it propagate
            kill_running()
            raise


def _run_one(
    name: str, ctx: EngineContext, version: str, notify: Progress
) -> tuple[EngineRun, list[Finding]]:
    started = time.monotonic()
    notify(name, "started")
    run = EngineRun(name=name, version=version, ok=False)
    try:
        engine = engines.create(name)
        if hasattr(engine, "command"):
            run.command = engine.command(ctx)
        output = engine.run(ctx)
        run.command = output.command
        findings = engine.parse(output, ctx)
    except EngineError as err:
        run.error = str(err)
        findings = []
    except Exception as err:  # noqa: BLE001 - an engine bug must fail closed, not crash the report
        run.error = f"engine {name}: internal error: {type(err).__name__}: {err}"
        findings = []
    else:
        run.ok = True
    run.duration_s = round(time.monotonic() - started, 3)
    run.findings = len(findings)
    notify(name, "done" if run.ok else "failed")
    return run, findings
