"""Paths and the snapshot script shared by the report's tests (imported by name: pytest puts this folder on
sys.path, and conftest modules are not for importing)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RESULTS = ROOT / "tests" / "fixtures" / "results"
SNAPSHOTS = ROOT / "tests" / "snapshots" / "report"


def load_update_script():
    """scripts/update_snapshots.py as a module: the test compares exactly what the script writes."""
    spec = importlib.util.spec_from_file_location(
        "update_snapshots", ROOT / "scripts" / "update_snapshots.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
