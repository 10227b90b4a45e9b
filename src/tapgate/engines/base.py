"""The engine plug-in interface: `run(ctx) -> EngineOutput`, then `parse(output, ctx) -> list[Finding]`.

An external engine runs as one subprocess over every template at once. Whatever stops it from giving a
trustworthy answer (missing binary, undocumented exit code, timeout, unparseable output) raises
`EngineError`: the gate records the run as not ok and exits 3. It never reads silence as a pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tapgate.errors import EngineError
from tapgate.template import Template

if TYPE_CHECKING:  # pydantic loads after the engine processes have started (issue 8)
    from tapgate.model import Finding

DEFAULT_TIMEOUT_S = 300.0
_LIVE: set[subprocess.Popen] = set()  # running engine processes, killed if the gate itself is interrupted
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set by kill_running: no engine process starts after the gate was interrupted
_OWN_ENV: dict[str, str] = {}  # variables tapgate set for its own process: the engines do not inherit them


def set_own_env(name: str, value: str) -> None:
    """Set `name` in tapgate's own environment unless the user did; engine processes still get the
    environment as the user gave it."""
    if name not in os.environ:
        os.environ[name] = value
        _OWN_ENV[name] = value


def engine_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an engine process: the user's, plus `extra`."""
    env = {name: value for name, value in os.environ.items() if _OWN_ENV.get(name) != value}
    return {**env, **(extra or {})}


@dataclass
class EngineContext:
    """What every engine may look at. `inputs`: the files the engines read (stripped copies in --strict)."""

    templates: list[Template]
    root: Path  # the project: policies/ and lambdas/ live here
    policies: Path  # policies/ (guard rules, controls.yaml, waivers.yaml)
    inputs: dict[str, str] = field(default_factory=dict)  # file the engine reads -> template path
    timeout_s: float = DEFAULT_TIMEOUT_S
    strict: bool = False
    control_tower: Path | None = None  # the Control Tower rule pack, when asked for
    commands: dict[str, list[str]] = field(default_factory=dict)  # engine -> executable override
    guard_bin: str | None = None
    catalog_rules: dict[str, set[str]] = field(default_factory=dict)  # engine -> rule ids controls.yaml names
    catalog_future: Future | None = None  # the catalog still loading (its rules fill catalog_rules)

    def rules_named(self, engine: str) -> set[str]:
        """The catalog's rule ids and patterns for `engine`; waits for the catalog if it is still loading."""
        if self.catalog_future is not None:
            return self.catalog_future.result().rules_of(engine, patterns=True)
        return self.catalog_rules.get(engine, set())

    def input_files(self) -> list[str]:
        return list(self.inputs) or [t.path for t in self.templates]

    def template_for(self, engine_path: str) -> Template | None:
        """The template an engine's reported file name refers to (engines echo paths in their own ways)."""
        wanted = self.inputs.get(engine_path, engine_path)
        for candidate in (wanted, engine_path):
            for tpl in self.templates:
                if _same_file(tpl.path, candidate):
                    return tpl
        for source, original in self.inputs.items():  # checkov reports "/name.json" relative to its root
            if engine_path and Path(source).name == Path(engine_path).name:
                return next((t for t in self.templates if t.path == original), None)
        return self.templates[0] if len(self.templates) == 1 else None


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


@dataclass
class EngineOutput:
    engine: str
    command: list[str]
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    version: str = ""
    findings: list[Finding] | None = None  # in-process engines hand findings over directly


class Engine(Protocol):
    name: str

    def run(self, ctx: EngineContext) -> EngineOutput: ...

    def parse(self, output: EngineOutput, ctx: EngineContext) -> list[Finding]: ...


def run_process(
    engine: str, command: list[str], ok_codes: set[int], timeout_s: float, env: dict[str, str] | None = None
) -> EngineOutput:
    """Run one engine process; raise EngineError unless it ends in time with a documented exit code."""
    return Started(engine, command, env).finish(ok_codes, timeout_s)


class Started:
    """An engine process launched now and awaited later (`finish`): the gate starts cfn-guard before it
    imports what its own checks need, so the two overlap (issue 8)."""

    def __init__(self, engine: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.engine, self.command, self.started = engine, command, time.monotonic()
        self.proc = _launch(engine, command, env)
        self._reader = threading.Lock()  # held by whoever reads its pipes: finish, or kill if nobody does

    def finish(self, ok_codes: set[int], timeout_s: float) -> EngineOutput:
        """Wait for it (at most timeout_s more); raise EngineError unless it ended with an ok_codes code."""
        engine, proc = self.engine, self.proc
        if not self._reader.acquire(blocking=False):
            raise EngineError(engine, "stopped: the rest of its run failed")
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise EngineError(engine, f"timed out after {timeout_s:g}s") from None
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        elapsed = time.monotonic() - self.started
        output = EngineOutput(engine, self.command, proc.returncode, stdout, stderr, elapsed)
        if proc.returncode not in ok_codes:
            raise EngineError(engine, f"crashed: exit code {proc.returncode}{_last_line(stderr or stdout)}")
        return output

    def kill(self) -> None:
        """End it (its run is abandoned: another part of the same engine failed). A thread in `finish`
        then sees it die; if none is reading its pipes, they are read and closed here."""
        with _LIVE_LOCK:
            _LIVE.discard(self.proc)
        if self.proc.returncode is None:  # not reaped yet, so the process group is still its own
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._reader.acquire(blocking=False):
            self.proc.communicate()


def _launch(engine: str, command: list[str], env: dict[str, str] | None) -> subprocess.Popen:
    if _STOPPING.is_set():
        raise EngineError(engine, "not started: the gate is stopping")
    try:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=engine_env(env),
            start_new_session=True,  # so a timeout can kill the engine's own children too
        )
    except FileNotFoundError:
        raise EngineError(engine, f"not found: {command[0]}") from None
    except PermissionError:
        raise EngineError(engine, f"not executable: {command[0]}") from None
    with _LIVE_LOCK:
        _LIVE.add(proc)
        stopping = _STOPPING.is_set()  # interrupted while it started: kill_running saw no such process
    if stopping:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        _kill_group(proc)
        raise EngineError(engine, "stopped: the gate was interrupted")
    return proc


def allow_running() -> None:
    """A new gate run may start engine processes again (after an earlier run in this process was stopped)."""
    _STOPPING.clear()


def kill_running() -> None:
    """Kill every engine still running (their own sessions do not see the terminal's Ctrl-C)."""
    with _LIVE_LOCK:
        _STOPPING.set()
        running = list(_LIVE)
    for proc in running:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return f" ({lines[-1][:200]})" if lines else ""


def unparseable(engine: str, why: str, text: str) -> EngineError:
    start = " ".join(text.strip()[:80].split())
    return EngineError(
        engine, f"unparseable output: {why}" + (f" (starts {start!r})" if start else " (empty)")
    )


def load_json(engine: str, text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError as err:
        raise unparseable(engine, str(err), text) from None
