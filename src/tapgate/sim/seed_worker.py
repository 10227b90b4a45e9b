"""The day's seed made on the second core: generated, then inserted, by a process of its own.

A business day seeds after the deploy (its rows need db_init's schema), and seeding is Python (drawing
~650,000 values) plus a COPY: done in the harness's process it added up with the deploy, which is Python
too, on one core. `SeedWorker` starts `python -m tapgate.sim.seed_worker` when the day starts; it generates
the seed while the harness starts PostgreSQL and deploys, waits for the database's DSN, inserts the rows
(`insert_with_psycopg`, one transaction) and sends the `SeedResult` back. The data is `generate_seed(spec)`'s:
the same function, in another process. The seed comes back through a file the process writes as soon as it
is generated, and the harness reads it while the process inserts the rows.

A new interpreter (not a fork: the harness has threads whose locks a fork would copy held; not
multiprocessing's spawn: it re-runs the caller's main module, which a script without a `__main__` guard
does not survive). The messages are pickles on the child's stdin and stdout; its stderr goes to a file
that a failure quotes.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
from typing import Any

from tapgate.sim.seed import SeedResult, SeedSpec, generate_seed, insert_with_psycopg

ANSWER_TIMEOUT_S = 600
GENERATED = b"G"  # the child's first byte on stdout: the seed is in the result file


class SeedFailed(RuntimeError):
    """The seed process failed or did not answer."""


class SeedWorker:
    def __init__(self, spec: SeedSpec):
        self._stderr = tempfile.TemporaryFile()
        handle, self._result_path = tempfile.mkstemp(prefix="tapgate-seed-", suffix=".pickle")
        os.close(handle)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tapgate.sim.seed_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._send((spec, self._result_path))

    def insert(self, dsn: str, timeout_s: float = ANSWER_TIMEOUT_S) -> SeedResult:
        """Hand the process the database; returns the seed once its rows are committed. The seed is read
        from the file the process wrote after generating it, while the process inserts the rows."""
        stdout: Any = self._process.stdout
        try:
            self._send(dsn)
            if stdout.read(1) != GENERATED:
                raise EOFError("no seed generated")
            with open(self._result_path, "rb") as handle:
                seeded = pickle.load(handle)  # noqa: S301 - written by our own child
            answer = pickle.load(stdout)  # noqa: S301 - written by our own child
            self._process.wait(timeout_s)
        except (EOFError, OSError, pickle.UnpicklingError, subprocess.TimeoutExpired) as err:
            raise SeedFailed(f"the seed process ended without an answer: {self._error_text()}") from err
        finally:
            self.close()
        if answer != "inserted":
            raise SeedFailed(f"seeding failed: {answer}")
        return seeded

    def close(self) -> None:
        """Stop the process if it is still there (a failed deploy: it must not outlive the day)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(5)
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._stderr.close()
        with contextlib.suppress(OSError):
            os.unlink(self._result_path)

    def _send(self, value: Any) -> None:
        pickle.dump(value, self._process.stdin)  # type: ignore[arg-type]
        self._process.stdin.flush()  # type: ignore[union-attr]

    def _error_text(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self._process.poll()}"


def main() -> None:
    """The child: (spec, result file) on stdin; the seed generated and pickled to the file, GENERATED on
    stdout; the DSN on stdin; rows inserted; "inserted" (or the error's text) pickled on stdout."""
    data_in, data_out = sys.stdin.buffer, sys.stdout.buffer
    spec, result_path = pickle.load(data_in)  # noqa: S301 - written by SeedWorker, the parent
    data = generate_seed(spec)
    with open(result_path + ".part", "wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(result_path + ".part", result_path)
    dsn = pickle.load(data_in)  # noqa: S301 - written by SeedWorker, the parent
    data_out.write(GENERATED)
    data_out.flush()
    try:
        insert_with_psycopg(dsn, data)
        answer = "inserted"
    except Exception as err:  # noqa: BLE001 - the harness raises it as SeedFailed
        answer = f"{type(err).__name__}: {err}"
    pickle.dump(answer, data_out)
    data_out.flush()


if __name__ == "__main__":
    main()
