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


def live_processes(*, cmdline_contains: str | None = None, group: int | None = None) -> list[int]:
    """Pids of live (not zombie) processes whose command line contains a string, or in a process group, read
    from /proc so the tests need no procps."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] == "Z":
            continue
        if (cmdline_contains is not None and cmdline_contains in cmdline) or (
            group is not None and int(fields[2]) == group
        ):
            found.append(int(entry.name))
    return found
