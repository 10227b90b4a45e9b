"""A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`).

Chromium reads commands on its fd 3 and writes replies and events on its fd 4, each one JSON message ended by
a NUL byte. No port is opened, nothing else can reach the browser, and no client library is needed: the few
commands the PDF needs are `Target.attachToTarget`, `Page.navigate` and `Page.printToPDF`.

The browser runs in its own session (process group), like the engines: `close()` kills the whole group
(renderers, GPU and network processes included) and removes the temporary profile, on every path. If this
process dies without closing it, the pipe closes and Chromium exits on its own.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path


class BrowserGone(Exception):
    """Chromium closed the pipe or exited: `detail` is the last line it wrote on stderr."""

    def __init__(self, returncode: int | None, detail: str):
        super().__init__(detail)
        self.returncode, self.detail = returncode, detail


class BrowserTimeout(Exception):
    """Chromium did not answer in time."""


class CdpError(Exception):
    """Chromium answered a command with an error."""


def _high_fd(fd: int) -> int:
    """The fd moved to 10 or above (close-on-exec): mapping it onto 3 or 4 can never clobber its pair."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium process and its DevTools pipe. Not thread-safe: one caller at a time."""

    def __init__(self, executable: str, flags: tuple[str, ...]):
        self.root = Path(tempfile.mkdtemp(prefix="tapgate-pdf-"))
        self._stderr = self.root / "stderr.log"
        child_reads, self._to_browser = (_high_fd(fd) for fd in os.pipe())
        self._from_browser, child_writes = (_high_fd(fd) for fd in os.pipe())
        command = [executable, *flags, f"--user-data-dir={self.root / 'profile'}", "--remote-debugging-pipe"]
        try:
            self.pid: int | None = os.posix_spawn(
                executable,
                [*command, "about:blank"],
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 2, str(self._stderr), os.O_WRONLY | os.O_CREAT, 0o600),
                    (os.POSIX_SPAWN_DUP2, child_reads, 3),
                    (os.POSIX_SPAWN_DUP2, child_writes, 4),
                ],
                setsid=True,  # its own process group: close() kills renderers too; Ctrl-C reaches us, not it
            )
        except OSError:
            self.pid = None
            self.close()
            raise
        finally:
            os.close(child_reads)
            os.close(child_writes)
        self._buffer = b""
        self._events: list[dict] = []
        self._next_id = 0

    def call(self, method: str, params: dict | None = None, session: str | None = None, *, deadline: float):
        """Send one command and wait for its reply (events arriving meanwhile are kept for `wait_event`)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, session: str | None, *, deadline: float) -> dict:
        while True:
            for event in self._events:
                if event["method"] == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return event
            self._events.append(self._receive(deadline))

    def drop_events(self) -> None:
        self._events.clear()

    def _send(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self._to_browser, data) :]
        except OSError:  # BrokenPipeError: it is gone
            raise self._gone() from None

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise BrowserTimeout("no answer from headless Chromium in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise self._gone()
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _gone(self) -> BrowserGone:
        """The browser closed its end: reap it for its exit code, and take its last stderr line as the why."""
        returncode = None
        if self.pid is not None:
            for _ in range(50):  # it may still be exiting: up to 0.5 s
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:  # reaped by kill() meanwhile
                    break
                if pid:
                    returncode, self.pid = os.waitstatus_to_exitcode(status), None
                    break
                time.sleep(0.01)
        return BrowserGone(returncode, self.last_stderr_line())

    def last_stderr_line(self) -> str:
        try:
            lines = self._stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return lines[-1] if lines else "no message"

    def kill(self) -> None:
        """Kill the browser's whole process group and reap it: a caller blocked on the pipe sees it gone."""
        pid, self.pid = self.pid, None
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass

    def close(self) -> None:
        """`kill()`, then close the pipe and delete the profile: only once no one else uses the browser."""
        self.kill()
        for name in ("_to_browser", "_from_browser"):
            fd = getattr(self, name, None)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)
        shutil.rmtree(self.root, ignore_errors=True)
