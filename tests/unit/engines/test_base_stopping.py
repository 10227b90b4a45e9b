"""tapgate.engines.base: once the gate is interrupted (kill_running), no engine process starts any more (a
queued cfn-guard group cannot start after Ctrl-C and keep the gate waiting); a new gate run allows them."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from tapgate.engines import base
from tapgate.errors import EngineError

SLEEP = [sys.executable, "-c", "import time; time.sleep(30)"]


@pytest.fixture(autouse=True)
def _allowed_again():
    yield
    base.allow_running()


def test_no_process_starts_after_kill_running():
    base.kill_running()
    started = time.monotonic()
    with pytest.raises(EngineError, match="not started: the gate is stopping"):
        base.run_process("cfn-guard", SLEEP, {0}, timeout_s=30)
    assert time.monotonic() - started < 5


def test_kill_running_ends_a_running_engine_and_a_new_run_may_start_again():
    errors: list[BaseException] = []

    def run():
        try:
            base.run_process("cfn-guard", SLEEP, {0}, timeout_s=30)
        except EngineError as err:
            errors.append(err)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not base._LIVE and time.monotonic() < deadline:
        time.sleep(0.05)
    base.kill_running()
    worker.join(timeout=10)
    assert not worker.is_alive() and errors and "crashed" in str(errors[0])
    base.allow_running()
    out = base.run_process("cfn-guard", [sys.executable, "-c", "print('ok')"], {0}, timeout_s=30)
    assert out.stdout.strip() == "ok"
