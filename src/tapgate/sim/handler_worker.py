"""A handler worker: a process that runs the real Lambda handlers for the harness, on the second core.

`python -m tapgate.sim.handler_worker FD LAMBDAS_DIR`, started by `tapgate.sim.workers.HandlerPool`. FD is
its end of a socket pair to the harness; messages are pickles (`multiprocessing.connection`). For each
invocation the harness sends the handler, the function's environment, the event and the context; the worker
runs the handler exactly as the in-process runtime does (`runtime.LambdaRuntime`: the same error payloads,
a crash as `Runtime.ExitError`, stdout captured for the EMF lines) and answers with the payload.

The worker has no moto. Every AWS call a handler makes is prepared and signed by botocore here, then sent
to the harness from botocore's `before-send` event (where moto's own stubber answers in-process), with
the event's name; the harness answers it from moto's backends, through the same stubber and the same fault
injection, and the worker gives botocore that response (or raises the error the harness raised: a
transport error, an injected crash). botocore then parses, retries and raises as it does in production.
botocore's retry sleeps are recorded, not slept (as `clock.Clock` does in-process), and sent back.

Why a process: the handlers' Python (botocore serialising, signing and parsing; MIME building) and moto's
(routing, answering) hold one GIL in one process. Here the handlers run beside the harness, on the other
core.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from tapgate.sim.runtime import FakeLambdaContext, lambda_outcome
from tapgate.sim.workers import dumps, loads

DATA_API_EVENT = "before-send.rds-data."
NICENESS = 5


class _RawBody(io.BytesIO):
    """A response body botocore reads (moto's MockRawResponse: `stream()` is what botocore calls)."""

    def stream(self, **_kwargs: Any) -> Any:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


class _Capture(io.TextIOBase):
    """sys.stdout in the worker: a handler's output (Powertools' EMF lines, logs) goes to its invocation."""

    def __init__(self) -> None:
        self.buffer_: io.StringIO | None = None

    def write(self, text: str) -> int:
        return self.buffer_.write(text) if self.buffer_ is not None else len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class Worker:
    def __init__(self, conn: Connection, lambdas_dir: str):
        self.conn = conn
        self.lambdas_dir = lambdas_dir
        self.sdk_sleeps: list[float] = []
        # AWS calls of the current invocation sent to the harness and the time spent waiting for their
        # answers; Data API calls answered here
        self.calls, self.waited_s, self.local_calls = 0, 0.0, 0
        self.capture = _Capture()
        # the Data API, answered in this process when the harness sends a DSN (no fault plan needs its calls)
        self._bridge: Any = None
        self.bridge: Any = None
        self._invocation: object = None
        self.base_env = dict(os.environ)

    # botocore's before-send: the call goes to the harness -------------------------------------------
    def forward(self, request: Any, event_name: str = "", **_kwargs: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        if self.bridge is not None and event_name.startswith(DATA_API_EVENT):
            return self._data_api(request, event_name[len(DATA_API_EVENT) :])
        body = request.body
        if hasattr(body, "read"):
            position = body.tell() if hasattr(body, "tell") else None
            data = body.read()
            if position is not None:
                body.seek(position)
            body = data
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = list(request.headers.items())
        call = ("call", event_name, request.method, request.url, headers, body, request.stream_output)
        waited = time.perf_counter()
        self.conn.send_bytes(dumps(call))
        answer = loads(self.conn.recv_bytes())
        self.calls += 1
        self.waited_s += time.perf_counter() - waited
        if answer[0] == "raise":
            raise answer[1]
        _, status, response_headers, content = answer
        return AWSResponse(request.url, status, response_headers, _RawBody(content))

    def _data_api(self, request: Any, operation_name: str) -> Any:
        """A Data API call answered here, on the worker's own connections to the day's PostgreSQL."""
        from botocore.awsrequest import AWSResponse

        from tapgate.sim.dataapi import OPERATIONS_BY_API_NAME, answer

        operation = OPERATIONS_BY_API_NAME.get(operation_name)
        if operation is None:
            status, body = 400, json.dumps({"__type": "BadRequestException", "message": operation_name})
        else:
            status, body = answer(self.bridge, operation, request.body)
        headers = {"Content-Type": "application/json"}
        if status != 200:
            headers["x-amzn-ErrorType"] = json.loads(body)["__type"]
        self.local_calls += 1
        return AWSResponse(request.url, status, headers, _RawBody(body.encode("utf-8")))

    def _bridge_for(self, job: dict[str, Any]) -> Any:
        if not job.get("data_api_dsn"):
            return None
        if self._bridge is None or self._bridge.dsn != job["data_api_dsn"]:
            from tapgate.sim.dataapi import DataApiBridge

            self._bridge = DataApiBridge(job["data_api_dsn"])
            self._bridge.owner = lambda: self._invocation
        return self._bridge

    def _record_sleep(self, seconds: float) -> None:
        self.sdk_sleeps.append(float(seconds))

    # the invocation ---------------------------------------------------------------------------------
    def invoke(self, job: dict[str, Any]) -> tuple:
        self.sdk_sleeps = []
        self.calls, self.waited_s, self.local_calls = 0, 0.0, 0
        self.bridge = self._bridge_for(job)
        self._invocation = object()
        started = time.perf_counter()
        buffer = io.StringIO()
        cpu_started = time.thread_time()
        os.environ.clear()
        os.environ.update(self.base_env)
        os.environ.update(job["env"])
        self.capture.buffer_ = buffer

        def call() -> Any:
            module_name, _, attr = job["handler"].rpartition(".")
            handler = getattr(importlib.import_module(module_name), attr)
            return handler(json.loads(job["event"] or "{}"), FakeLambdaContext(**job["context"]))

        try:
            payload, errored, error_type = lambda_outcome(call)
        finally:
            self.capture.buffer_ = None
            if self.bridge is not None:  # what this invocation left open is abandoned: expired now
                self.bridge.abandon(self._invocation)
        message = payload.get("errorMessage") if errored and isinstance(payload, dict) else None
        return (
            "done",
            json.dumps(payload, default=str),
            errored,
            error_type,
            message,
            buffer.getvalue(),
            time.thread_time() - cpu_started,
            self.sdk_sleeps,
            {
                "calls": self.calls,
                "waited_s": self.waited_s,
                "local_calls": self.local_calls,
                "wall_s": time.perf_counter() - started,
            },
        )

    def serve(self) -> None:
        while True:
            try:
                message = loads(self.conn.recv_bytes())
            except EOFError:  # the harness is gone
                return
            if message[0] == "exit":
                if self._bridge is not None:
                    self._bridge.close()
                return
            if message[0] == "invoke":
                self.conn.send_bytes(dumps(self.invoke(message[1])))


def main(argv: list[str]) -> int:
    fd, lambdas_dir = int(argv[0]), argv[1]
    # the harness answers every call of every worker: where the cores are short, it goes first
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    conn = Connection(fd)
    worker = Worker(conn, lambdas_dir)
    sys.stdout = worker.capture  # before any handler module binds a logger to it
    sys.path.insert(0, lambdas_dir)

    import botocore.handlers
    from botocore import endpoint

    from tapgate.sim.clock import _time_with_sleep
    from tapgate.sim.dispatch import botocore_client_cached

    # the only before-send handler: every session and client created from now on answers through it
    botocore.handlers.BUILTIN_HANDLERS.append(("before-send", worker.forward))
    endpoint.time = _time_with_sleep(worker._record_sleep)
    with botocore_client_cached():
        import boto3  # noqa: F401 - imported while the harness deploys, not at the first invocation

        conn.send_bytes(dumps(("ready",)))
        with contextlib.suppress(KeyboardInterrupt):
            worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
