"""Handler worker processes: the harness's side (`handler_worker.py` is the worker's).

`HandlerPool(n, lambdas_dir)` starts n `python -m tapgate.sim.handler_worker` processes at once, so they
import botocore and boto3 while the harness starts PostgreSQL and deploys. `run(job, serve)` takes an idle
worker (moto's Map runs up to `MaxConcurrency` batches on threads; with n workers, n handlers run at a
time), sends it the invocation, and on the calling thread answers each AWS call the handler makes with
`serve(call)` until the worker sends the result. The calls are answered in this process because moto's
backends (S3's objects, SES's messages, the executions) live here.

A new interpreter, not a fork (the harness has threads whose locks a fork would copy held) and not
multiprocessing's spawn (it re-runs the caller's main module). A worker that dies or stops answering fails
the invocation's caller with `WorkerFailed`, quoting the end of the worker's stderr.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

READY_TIMEOUT_S = 120.0


def dumps(message: Any) -> bytes:
    """A message on the socket: the C pickler at once (Connection.send's ForkingPickler is a Python class
    built for every message, a measurable part of a call's round trip)."""
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    return pickle.loads(data)  # noqa: S301 - the other end is our own worker (or harness) process


class WorkerFailed(RuntimeError):
    """A handler worker process died or broke the protocol."""


class _Process:
    def __init__(self, lambdas_dir: str, env: dict[str, str]):
        ours, theirs = socket.socketpair()
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tapgate.sim.handler_worker", str(theirs.fileno()), lambdas_dir],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            env=env,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self._asked_to_exit = False
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(READY_TIMEOUT_S):
            raise self.failed("did not start")
        self.recv()
        self.ready = True

    def recv(self) -> Any:
        try:
            return loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            raise self.failed("died") from None

    def send(self, message: Any) -> None:
        try:
            self.conn.send_bytes(dumps(message))
        except OSError:
            raise self.failed("died") from None

    def failed(self, what: str) -> WorkerFailed:
        self.stderr.seek(0)
        lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        detail = f": {lines[-1]}" if lines else ""
        return WorkerFailed(f"handler worker (pid {self.process.pid}) {what}{detail}")

    def ask_to_exit(self) -> None:
        if self._asked_to_exit:
            return
        self._asked_to_exit = True
        with contextlib.suppress(OSError):
            self.conn.send_bytes(dumps(("exit",)))

    def close(self) -> None:
        self.ask_to_exit()
        try:
            self.process.wait(5.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.conn.close()
        self.stderr.close()


class HandlerPool:
    def __init__(self, size: int, lambdas_dir: str, env: dict[str, str] | None = None):
        self.size = size
        base = dict(os.environ if env is None else env)
        # the worker imports tapgate from wherever this process does (a checkout run without installing)
        import tapgate

        source = os.path.dirname(os.path.dirname(os.path.abspath(tapgate.__file__)))
        base["PYTHONPATH"] = os.pathsep.join(filter(None, (source, base.get("PYTHONPATH"))))
        self._processes = [_Process(str(lambdas_dir), base) for _ in range(size)]
        self._idle: queue.SimpleQueue[_Process] = queue.SimpleQueue()
        for process in self._processes:
            self._idle.put(process)
        self._closed = threading.Event()

    def wait_ready(self) -> None:
        for process in self._processes:
            process.wait_ready()

    def run(self, job: dict[str, Any], serve: Callable[[tuple], tuple]) -> tuple:
        """Run one invocation on an idle worker; `serve` answers its AWS calls. Returns its "done" tuple."""
        worker = self._idle.get()
        try:
            if self._closed.is_set():
                raise WorkerFailed("the handler workers were closed")
            worker.wait_ready()
            worker.send(("invoke", job))
            while True:
                message = worker.recv()
                if message[0] == "done":
                    return message
                if message[0] != "call":
                    raise worker.failed(f"sent {message[0]!r} during an invocation")
                worker.send(serve(message))
        finally:
            self._idle.put(worker)

    def ask_to_exit(self) -> None:
        """Tell every worker to exit, without waiting (each takes ~0.3 s: they do it side by side, while
        the harness tears down the rest). No invocation may start after it."""
        self._closed.set()
        for process in self._processes:
            process.ask_to_exit()

    def close(self) -> None:
        self.ask_to_exit()
        for process in self._processes:
            process.close()


def answer_call(message: tuple, stubber: Any) -> tuple:
    """A worker's AWS call answered by moto's before-send stubber (and whatever wraps it: the fault
    injector): ("answer", status, headers, body), or ("raise", error) for what it raised."""
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from botocore.exceptions import EndpointConnectionError

    from tapgate.sim.runtime import SimulatedCrash

    _, event_name, method, url, header_items, body, stream_output = message
    headers = HTTPHeaders()
    for key, value in header_items:
        headers[key] = value
    request = AWSPreparedRequest(method, url, headers, body, stream_output)
    try:
        response = stubber(event_name=event_name, request=request)
    except (Exception, SimulatedCrash) as err:  # noqa: BLE001 - raised again in the worker, where it belongs
        return ("raise", _picklable(err))
    if response is None:  # moto serves no such URL: in-process, botocore would try the network and fail
        return ("raise", EndpointConnectionError(endpoint_url=url))
    return ("answer", response.status_code, dict(response.headers.items()), response.content)


def _picklable(err: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes, just made
    except Exception:  # noqa: BLE001 - any pickling failure: the worker gets the message instead
        return RuntimeError(f"{type(err).__name__}: {err}")
    return err
