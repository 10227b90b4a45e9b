"""Fail closed: an engine that is missing, crashes, hangs, prints garbage or the wrong shape, a checker that
raises makes `tapgate check` exit 3 with one line, never pass; SIGTERM takes running engines down too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from gate_test_helpers import POLICIES, TEMPLATES, clean_fakes, fake

from tapgate.engines import registry
from tapgate.errors import EXIT_ENGINE, EXIT_OK

PASSING = TEMPLATES / "bucket_pass.json"
EXTERNAL = "--engines=cfn-lint,checkov,cfn-guard"


def test_clean_fakes_pass(gate):
    code, out, err = gate(PASSING, "--policies", POLICIES, EXTERNAL, "--no-cache", *clean_fakes())
    assert code == EXIT_OK, err
    assert "PASS" in out


@pytest.mark.parametrize("engine", ["cfn_lint", "checkov", "cfn_guard"])
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("crash", "crashed: exit code 70 (RuntimeError: engine exploded)"),
        ("garbage", "unparseable output"),
        ("wrong-shape", "unparseable output"),
    ],
)
def test_broken_engine_exits_3(gate, engine, mode, expected):
    fakes = clean_fakes(**{engine: mode})
    code, out, err = gate(PASSING, "--policies", POLICIES, EXTERNAL, "--no-cache", *fakes)
    assert code == EXIT_ENGINE
    name = engine.replace("_", "-")
    assert f"tapgate: error: engine {name}: {expected}" in err
    assert "Traceback" not in err
    assert "ERROR" in out and "PASS" not in out.split()


def test_guard_silent_about_a_template_exits_3(gate):
    templates = (PASSING, TEMPLATES / "bucket_fail.json")
    args = ("--policies", POLICIES, "--engines=cfn-guard", "--no-cache")
    code, _, err = gate(*templates, *args, *clean_fakes(cfn_guard="guard-forgets-a-template"))
    assert code == EXIT_ENGINE
    assert f"engine cfn-guard: no report for {TEMPLATES / 'bucket_fail.json'}" in err


def test_hanging_engine_times_out_and_exits_3(gate):
    args = (PASSING, "--policies", POLICIES, EXTERNAL, "--no-cache", "--timeout", "2")
    code, _, err = gate(*args, *clean_fakes(checkov="hang"))
    assert code == EXIT_ENGINE
    assert "engine checkov: timed out after 2s" in err


def test_missing_engine_exits_3(gate):
    args = ["--engine-command", "cfn-lint=/nonexistent/cfn-lint"]
    code, _, err = gate(PASSING, "--policies", POLICIES, "--engines=cfn-lint", "--no-cache", *args)
    assert code == EXIT_ENGINE
    assert "engine cfn-lint: not found: /nonexistent/cfn-lint" in err


def test_missing_guard_binary_exits_3(gate):
    args = ("--engines=cfn-guard", "--guard-bin", "/nope/cfn-guard")
    code, _, err = gate(PASSING, "--policies", POLICIES, *args)
    assert code == EXIT_ENGINE
    assert "--guard-bin /nope/cfn-guard is not an executable file" in err


def test_engine_failure_is_in_json_and_not_cached(gate, tmp_path):
    out_file = tmp_path / "result.json"
    args = (PASSING, "--policies", POLICIES, EXTERNAL, "-f", "json", "-o", out_file)
    for _ in range(2):  # the second run must run again, not replay a cached failure as anything else
        code, _, _ = gate(*args, *clean_fakes(cfn_guard="garbage"))
        assert code == EXIT_ENGINE
        result = json.loads(out_file.read_text())
        assert result["summary"]["verdict"] == "ERROR"
        guard = next(e for e in result["engines"] if e["name"] == "cfn-guard")
        assert guard["ok"] is False and "unparseable" in guard["error"]
        assert result["provenance"]["cached"] is False


def test_raising_checker_exits_3(gate, monkeypatch):
    def exploding_check(ctx):
        raise KeyError("Resources")

    monkeypatch.setitem(registry._registered, "tapgate", [exploding_check])
    monkeypatch.setattr(registry, "PACKAGES", {**registry.PACKAGES, "tapgate": "tapgate_no_such_package_x"})
    code, _, err = gate(PASSING, "--policies", POLICIES, "--engines=tapgate", "--no-cache")
    assert code == EXIT_ENGINE
    assert "exploding_check raised KeyError" in err


def test_checker_returning_garbage_exits_3(gate, monkeypatch):
    monkeypatch.setitem(registry._registered, "crosscheck", [lambda ctx: "all good"])
    absent = {**registry.PACKAGES, "crosscheck": "tapgate_no_such_package_y"}
    monkeypatch.setattr(registry, "PACKAGES", absent)
    code, _, err = gate(PASSING, "--policies", POLICIES, "--engines=crosscheck", "--no-cache")
    assert code == EXIT_ENGINE
    assert "returned str, not a list of Finding" in err


def test_no_guard_rules_exits_3(gate, tmp_path):
    (tmp_path / "guard").mkdir()
    code, _, err = gate(PASSING, "--policies", tmp_path, "--engines=cfn-guard", "--no-cache", *clean_fakes())
    assert code == EXIT_ENGINE
    assert "no guard rules under" in err


def _processes_with(marker: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in text and "tapgate\0check" not in text:  # the engine, not the gate naming it
            found.append(cmdline.parent.name)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the engine processes")
def test_sigterm_kills_running_engines(tmp_path):
    marker = f"hang-marker-{uuid.uuid4().hex}"
    hanging = f"checkov={fake('hang')} {marker}"
    command = [sys.executable, "-m", "tapgate", "check", str(PASSING), "--policies", str(POLICIES)]
    command += ["--engines=checkov", "--no-cache", "--engine-command", hanging]
    env = {**os.environ, "TAPGATE_CACHE_DIR": str(tmp_path)}
    gate_process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker), "the fake engine never started"
    gate_process.send_signal(signal.SIGTERM)
    _, err = gate_process.communicate(timeout=30)
    assert gate_process.returncode != 0
    assert b"interrupted" in err
    time.sleep(0.5)
    assert _processes_with(marker) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_during_an_import_comes_once_the_import_is_over(tmp_path, monkeypatch, signum):
    """Raised inside the import machinery, KeyboardInterrupt can leave a module lock held and the gate's
    threads waiting on it forever: the gate's handler lets the import finish, then interrupts."""
    import importlib

    from tapgate.gate.session import _interrupt_on_sigterm

    name = f"interrupted_import_{signum}"
    (tmp_path / f"{name}.py").write_text(
        f"import os, time\nos.kill(os.getpid(), {int(signum)})\ntime.sleep(0.3)\nWHOLE = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        _interrupt_on_sigterm()
        with pytest.raises(KeyboardInterrupt):
            importlib.import_module(name)
            time.sleep(5)  # the interrupt arrives here, after the import
        assert sys.modules[name].WHOLE
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        sys.modules.pop(name, None)
