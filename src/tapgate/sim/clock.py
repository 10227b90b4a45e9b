"""Compressed time: Retry and Wait intervals are recorded, not slept.

moto's ASL interpreter sleeps in real time between retries (`RetrierDecl`, `time.sleep(interval)`) and in
Wait states; botocore sleeps between its own retries of throttled or 5xx calls. A simulated day must not
wait minutes, but the intervals the template declares must stay checkable: every skipped sleep is recorded
with the state it belongs to (and the attempt), and tests compare them with the template's Retry.
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RetryRecord:
    state: str  # the state whose Retry fired
    error: str  # the error name that matched
    attempt: int  # 1 for the first retry
    interval_s: float  # the interval moto computed (IntervalSeconds × BackoffRate^n, capped, jittered)


@dataclass
class Clock:
    retries: list[RetryRecord] = field(default_factory=list)
    waits: list[tuple[str, float]] = field(default_factory=list)  # (state, seconds) of Wait states
    sdk_retry_sleeps: list[float] = field(default_factory=list)  # botocore's own retry delays
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retries_of(self, state: str) -> list[RetryRecord]:
        return [r for r in self.retries if r.state == state]

    @contextlib.contextmanager
    def installed(self) -> Iterator[Clock]:
        from botocore import endpoint
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

        clock = self
        local = threading.local()
        original_eval = retrier_decl.RetrierDecl._eval_body
        original_wait = wait_function.WaitFunction._wait_interval
        original_retrier_time, original_endpoint_time = retrier_decl.time, endpoint.time

        def retrier_eval(decl: Any, env: Any) -> None:
            # the sleep below needs to know which state is retrying and on which error
            local.env = env
            top = env.stack[-1] if env.stack else None
            local.error = str(getattr(top, "error_name", top))
            original_eval(decl, env)

        def retrier_sleep(seconds: float) -> None:
            env = getattr(local, "env", None)
            state, attempt = _retry_context(env)
            error = getattr(local, "error", "?")
            with clock._lock:
                clock.retries.append(RetryRecord(state, error, attempt, float(seconds)))

        def wait_interval(fn: Any, env: Any, wait_seconds: int) -> None:
            with clock._lock:
                clock.waits.append((_state_name(env), float(wait_seconds)))

        def sdk_sleep(seconds: float) -> None:
            with clock._lock:
                clock.sdk_retry_sleeps.append(float(seconds))

        retrier_decl.RetrierDecl._eval_body = retrier_eval
        retrier_decl.time = _time_with_sleep(retrier_sleep)
        endpoint.time = _time_with_sleep(sdk_sleep)
        wait_function.WaitFunction._wait_interval = wait_interval
        try:
            yield self
        finally:
            retrier_decl.RetrierDecl._eval_body = original_eval
            retrier_decl.time, endpoint.time = original_retrier_time, original_endpoint_time
            wait_function.WaitFunction._wait_interval = original_wait


def _time_with_sleep(sleep: Any) -> types.SimpleNamespace:
    import time

    names = {n: getattr(time, n) for n in dir(time) if not n.startswith("_")}
    return types.SimpleNamespace(**{**names, "sleep": sleep})


def _state_name(env: Any) -> str:
    try:
        return env.states.context_object.context_object_data["State"]["Name"]
    except (AttributeError, KeyError, TypeError):
        return "?"


def _retry_context(env: Any) -> tuple[str, int]:
    """(state name, retry number) from the interpreter's environment at the time of the sleep."""
    if env is None:
        return "?", 0
    try:
        attempt = int(env.states.context_object.context_object_data["State"].get("RetryCount", 0)) + 1
    except (AttributeError, KeyError, TypeError, ValueError):
        attempt = 0
    return _state_name(env), attempt
