"""What every benchmark script shares: the machine it ran on, the spread of a measure, and its own section of
docs/benchmarks.md (with the command, the machine and the load, so a figure taken on a busy machine says so).

Scripts run as `python bench/<script>.py`, so bench/ is on sys.path and they import this as `_common`.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS_DOC = REPO / "docs" / "benchmarks.md"

DOC_INTRO = """# Benchmarks

What each part of TapStack costs, measured by the scripts in `bench/` (see bench/README.md). Every section
records the command that produced it and the machine it ran on. Each section is rewritten by its own script.
"""


def describe_machine() -> dict:
    """nproc, CPU model, RAM, Python, and the 1-minute load average (contention from other work).

    Keys: `summary` (one line), `load1`, `busy` (load above 0.4 a CPU: a busy core, not a decaying
    average), `when` (UTC).
    """
    cpu = (
        _first_match(Path("/proc/cpuinfo"), r"^model name\s*:\s*(.+)$")
        or platform.processor()
        or "unknown CPU"
    )
    mem_kb = _first_match(Path("/proc/meminfo"), r"^MemTotal:\s*(\d+) kB")
    ram = f"{int(mem_kb) / 1024 / 1024:.0f} GiB RAM" if mem_kb else "RAM unknown"
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    nproc = os.cpu_count() or 1
    summary = (
        f"{nproc} CPUs ({cpu}), {ram}, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return {"summary": summary, "load1": load1, "busy": load1 > nproc * 0.4, "when": when}


def _first_match(path: Path, pattern: str) -> str | None:
    try:
        found = re.search(pattern, path.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
    except OSError:
        return None
    return found.group(1).strip() if found else None


def measured_lines(command: str, detail: str, before: dict, after: dict) -> list[str]:
    """The provenance every section opens with: command (and what it ran), machine, load before/after."""
    return [
        f"Command: `{command}`" + (f" ({detail})." if detail else "."),
        f"Measured {before['when']}, {before['summary']}.",
        f"Load average (1 min) before/after: {before['load1']:.2f} / {after['load1']:.2f}"
        + (" — measured under contention from other work on the machine." if before["busy"] else "."),
    ]


def spread_cells(values: Iterable[float], digits: int = 3, unit: str = "") -> str:
    """`median | min | max` table cells of one measure."""
    values = list(values)
    return " | ".join(f"{x:.{digits}f}{unit}" for x in (statistics.median(values), min(values), max(values)))


def write_docs_section(doc: Path, heading: str, body: str) -> None:
    """Replace (or append) `## HEADING` up to the next `## ` heading; leave every other section alone."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else DOC_INTRO
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def publish(body: str, heading: str, write_docs: bool) -> None:
    """Print a section; with --write-docs also make it the `## HEADING` section of docs/benchmarks.md."""
    print(body)
    if write_docs:
        write_docs_section(BENCHMARKS_DOC, heading, body)
        print(f"docs/benchmarks.md: {heading} section written")
