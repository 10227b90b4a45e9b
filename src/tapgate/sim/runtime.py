"""Run the real Lambda handlers of lambdas/ in-process when moto invokes a function.

moto (with `lambda: {use_docker: False}`) never runs code, so `LambdaFunction._invoke_lambda` is replaced:
the function's `Handler` (e.g. `plan.lambda_handler`) is imported from lambdas/, called with the event and a
fake context, under exactly the environment variables of the function's configuration (as created from the
template). An exception becomes the Lambda error payload `{"errorType": <class name>, "errorMessage": …}`
with `errored=True`, which is what Step Functions' Retry/Catch match on.

Invocations are serialised: the environment is process-wide, and on two shared cores nothing is gained by
running Python handlers side by side. Everything a handler prints (Powertools EMF metric lines and logs) is
captured per invocation through a stdout proxy; EMF lines are kept for the metric counts.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SimulatedCrash(BaseException):
    """Kills a handler's invocation mid-batch (a BaseException: no `except Exception` in it can stop it)."""


CRASH_ERROR_TYPE = "Runtime.ExitError"  # what Lambda reports when the runtime process dies


def lambda_outcome(call: Callable[[], Any]) -> tuple[Any, bool, str | None]:
    """Run a handler as Lambda's runtime reports it: (payload, errored, errorType). A handler's exception
    becomes Lambda's error payload (type, message, the end of the stack trace); a simulated crash, the
    runtime dying."""
    try:
        return call(), False, None
    except SimulatedCrash as crash:
        return {"errorType": CRASH_ERROR_TYPE, "errorMessage": str(crash)}, True, CRASH_ERROR_TYPE
    except Exception as exc:  # noqa: BLE001 - every handler error becomes a Lambda error payload
        payload = {
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": traceback.format_exception(exc)[-3:],
        }
        return payload, True, type(exc).__name__


@dataclass
class Invocation:
    function: str  # the function's logical id where known, else its name
    errored: bool
    error_type: str | None
    error_message: str | None
    duration_s: float
    started: float
    cpu_s: float = 0.0  # the thread's CPU time: what the handler cost, whatever else loads the machine


@dataclass
class FakeLambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    timeout_s: int = 300
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "sim"
    _deadline: float = field(default_factory=lambda: time.monotonic() + 300)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _StdoutProxy(io.TextIOBase):
    """sys.stdout while the simulation runs: a handler's output goes to its invocation's buffer."""

    def __init__(self, real: Any):
        self.real = real
        self.local = threading.local()

    def write(self, text: str) -> int:
        buffer = getattr(self.local, "buffer", None)
        return (buffer or self.real).write(text)

    def flush(self) -> None:
        buffer = getattr(self.local, "buffer", None)
        (buffer or self.real).flush()

    def isatty(self) -> bool:
        return False


class LambdaRuntime:
    """The in-process Lambda runtime: handler loading, environment, error mapping, EMF capture."""

    def __init__(self, lambdas_dir: Path, region: str = "us-east-1"):
        self.lambdas_dir = Path(lambdas_dir)
        self.region = region
        self.logical_ids: dict[str, str] = {}  # function name -> logical id
        self.invocations: list[Invocation] = []
        self.emf: list[dict[str, Any]] = []  # every EMF document printed by a handler
        self.logs: list[str] = []
        self.env_keys: set[str] = set()  # every variable any function sets: cleared between functions
        # Called with (function logical id) before each handler runs, under the runtime's lock: the harness
        # expires abandoned Data API transactions here (faults.expire_abandoned_transactions).
        self.before_invoke: Callable[[str], None] | None = None
        self.current = threading.local()  # .function = logical id of the running handler, else None
        # handler worker processes (`workers.HandlerPool`): set, handlers run there, `pool.size` at a time,
        # and this process answers their AWS calls through `serve_call`; unset, they run here, one at a time
        self.pool: Any = None
        self.serve_call: Callable[[tuple], tuple] | None = None
        self.worker_stats: list[dict[str, Any]] = []  # per worker invocation: its CPU, calls, waits
        self.sdk_sleeps: list[float] = []  # botocore's retry sleeps in the workers (clock.sdk_retry_sleeps)
        # Called with the invocation's token after a worker's invocation ends: the harness expires the Data
        # API transactions it left open (concurrent handlers: `before_invoke` would expire a live one)
        self.after_worker_invoke: Callable[[object], None] | None = None
        # more for a worker's job: the harness gives the Data API's DSN when no fault plan needs its calls
        self.worker_job_extra: Callable[[], dict[str, Any]] = dict
        self._lock = threading.RLock()
        self._proxy: _StdoutProxy | None = None

    # moto's hook --------------------------------------------------------------------------------
    def invoke(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """What `LambdaFunction._invoke_lambda(self, event)` returns: (payload_json, errored, logs)."""
        if self.pool is not None:
            return self._invoke_in_worker(fn, event)
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        name = fn.function_name
        logical = self.logical_ids.get(name, name)
        with self._lock:
            started, cpu_started = time.monotonic(), time.thread_time()
            buffer = io.StringIO()
            with self._environment(fn), self._captured(buffer):
                self.current.function = logical
                try:
                    if self.before_invoke:
                        self.before_invoke(logical)
                    payload, errored, error_type = lambda_outcome(lambda: self._call(fn, event))
                finally:
                    self.current.function = None
            output = buffer.getvalue()
            self._collect(output)
            message = payload.get("errorMessage") if errored and isinstance(payload, dict) else None
            self.invocations.append(
                Invocation(
                    logical,
                    errored,
                    error_type,
                    message,
                    time.monotonic() - started,
                    started,
                    time.thread_time() - cpu_started,
                )
            )
        return json.dumps(payload, default=str), errored, output

    def _invoke_in_worker(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """The invocation on a handler worker; its AWS calls are answered on this thread, which carries the
        function's logical id (the fault injector reads it) and the invocation's token (the Data API bridge
        records which invocation opened a transaction)."""
        if isinstance(event, bytes):
            event = event.decode("utf-8")
        name = fn.function_name
        logical = self.logical_ids.get(name, name)
        token = object()
        job = {
            "handler": fn.handler,
            "env": self.function_environment(fn),
            "event": event if isinstance(event, str) else json.dumps(event),
            "context": self.context_fields(fn),
            **self.worker_job_extra(),
        }
        started, cpu_started = time.monotonic(), time.thread_time()
        self.current.function, self.current.invocation = logical, token
        try:
            done = self.pool.run(job, self.serve_call)
        finally:
            self.current.function = self.current.invocation = None
            if self.after_worker_invoke:
                self.after_worker_invoke(token)
        _, payload, errored, error_type, message, output, worker_cpu, sleeps, stats = done
        self.worker_stats.append({"function": logical, "worker_cpu_s": worker_cpu, **stats})
        self._collect(output)
        self.sdk_sleeps.extend(sleeps)
        cpu_s = worker_cpu + time.thread_time() - cpu_started  # the handler's, and answering its calls
        self.invocations.append(
            Invocation(logical, errored, error_type, message, time.monotonic() - started, started, cpu_s)
        )
        return payload, errored, output

    # internals ----------------------------------------------------------------------------------
    def _call(self, fn: Any, event: Any) -> Any:
        module_name, _, attr = fn.handler.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attr)
        return handler(event, FakeLambdaContext(**self.context_fields(fn)))

    def function_environment(self, fn: Any) -> dict[str, str]:
        """What the Lambda runtime sets, and the function's own variables."""
        return {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size or 128),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            **{k: str(v) for k, v in (fn.environment_vars or {}).items()},
        }

    def context_fields(self, fn: Any) -> dict[str, Any]:
        return {
            "function_name": fn.function_name,
            "invoked_function_arn": fn.function_arn,
            "memory_limit_in_mb": int(fn.memory_size or 128),
            "timeout_s": int(fn.timeout or 3),
            "log_group_name": f"/aws/lambda/{fn.function_name}",
        }

    @contextlib.contextmanager
    def _environment(self, fn: Any) -> Iterator[None]:
        """Exactly this function's variables (plus what the Lambda runtime sets), restored afterwards."""
        saved = dict(os.environ)
        for key in self.env_keys:
            os.environ.pop(key, None)
        os.environ.update(self.function_environment(fn))
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    @contextlib.contextmanager
    def _captured(self, buffer: io.StringIO) -> Iterator[None]:
        if self._proxy is None:
            yield
            return
        self._proxy.local.buffer = buffer
        try:
            # sys.stdout may have been swapped since install (pytest's capture does, between test phases):
            # point it at the proxy again for the invocation, where Powertools prints its EMF lines
            with contextlib.redirect_stdout(self._proxy):
                yield
        finally:
            self._proxy.local.buffer = None

    def _collect(self, output: str) -> None:
        for line in output.splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict) and "_aws" in doc:
                self.emf.append(doc)
            else:
                self.logs.append(line)

    @contextlib.contextmanager
    def installed(self) -> Iterator[LambdaRuntime]:
        """Patch moto and put lambdas/ on sys.path for the duration; handlers print into the proxy."""
        from moto.awslambda.models import LambdaBackend, LambdaFunction
        from moto.awslambda_simple.models import LambdaSimpleBackend

        runtime = self
        original_invoke = LambdaFunction._invoke_lambda
        original_simple = LambdaSimpleBackend.invoke

        def _invoke_lambda(fn: Any, event: Any = None) -> tuple[str, bool, str]:
            return runtime.invoke(fn, event)

        path = str(self.lambdas_dir.resolve())
        self._proxy = _StdoutProxy(sys.stdout)
        real_stdout, sys.stdout = sys.stdout, self._proxy
        sys.path.insert(0, path)
        LambdaFunction._invoke_lambda = _invoke_lambda
        # with use_docker False moto answers Invoke from its "simple" backend, which echoes the event without
        # calling the function: route it back to the full backend's invoke, which calls _invoke_lambda
        LambdaSimpleBackend.invoke = LambdaBackend.invoke
        try:
            yield self
        finally:
            LambdaFunction._invoke_lambda = original_invoke
            LambdaSimpleBackend.invoke = original_simple
            sys.stdout = real_stdout
            self._proxy = None
            with contextlib.suppress(ValueError):
                sys.path.remove(path)

    # metrics ------------------------------------------------------------------------------------
    def metric_totals(self, dimension: str | None = None, since: int = 0) -> dict[str, float]:
        """Sum of each metric over the EMF documents from index `since`. With `dimension`, only the series
        that carry it; without, only the aggregate `service` series (the per-jurisdiction one doubles it)."""
        totals: dict[str, float] = {}
        for doc in self.emf[since:]:
            for directive in doc["_aws"].get("CloudWatchMetrics", []):
                dims = {d for group in directive.get("Dimensions", []) for d in group}
                if dimension is None and any(d != "service" for d in dims):
                    continue  # the per-jurisdiction series would count everything twice
                if dimension is not None and dimension not in dims:
                    continue
                for metric in directive.get("Metrics", []):
                    value = doc.get(metric["Name"], 0)
                    total = sum(value) if isinstance(value, list) else value
                    totals[metric["Name"]] = totals.get(metric["Name"], 0) + total
        return totals
