"""The order of a `tapgate check --fast` run that lets cfn-guard overlap tapgate's own work (issue 8):
cfn-guard's first processes are launched before anything imports pydantic, rich or the catalog's YAML,
from the main thread; the result's cache key is still there and still the one a cached run looks up."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from gate_test_helpers import REPO

pytestmark = pytest.mark.engines

# Runs the gate in a fresh interpreter, noting which heavy modules were loaded when each engine process
# was launched, and on which thread.
PROBE = """
import json, sys, threading
from tapgate.engines import base
launched = []
original = base._launch
def probe(engine, command, env):
    heavy = sorted(m for m in ("pydantic", "rich", "yaml") if m in sys.modules)
    launched.append([engine, heavy, threading.current_thread() is threading.main_thread()])
    return original(engine, command, env)
base._launch = probe
from tapgate.cli import main
code = main(sys.argv[1:])
print(json.dumps(launched), file=sys.stderr)
sys.exit(code)
"""


def test_guard_launches_first_on_the_main_thread(tmp_path):
    out = tmp_path / "result.json"
    argv = ["check", str(REPO / "TapStack.json"), "--fast", "--no-cache", "-f", "json", "-o", str(out)]
    env = {**os.environ, "TAPGATE_CACHE_DIR": str(tmp_path / "cache")}
    probe = [sys.executable, "-c", PROBE, *argv]
    done = subprocess.run(probe, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    launched = json.loads(done.stderr.strip().splitlines()[-1])
    first = launched[: min(os.cpu_count() or 1, 8)]  # the groups launched up front, one per worker
    assert [engine for engine, _, _ in first] == ["cfn-guard"] * len(first)
    assert all(heavy == [] and on_main for _, heavy, on_main in first), launched
    assert len(json.loads(out.read_text())["provenance"]["cache_key"]) == 64
