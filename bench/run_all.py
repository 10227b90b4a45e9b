"""Runs every benchmark in bench/ one after another and writes their sections of docs/benchmarks.md.

Run it on a quiet machine: `tox -e bench` (or `python bench/run_all.py`). Never part of plain `tox`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import describe_machine

HERE = Path(__file__).resolve().parent
BENCHES = (
    ["bench_gate.py", "--runs", "5", "--write-docs"],
    ["bench_lambdas.py", "--reports", "2000", "--runs", "3", "--write-docs"],
    ["bench_report.py", "--runs", "7", "--write-docs"],
    ["bench_crosscheck.py", "--runs", "5", "--write-docs"],
    ["bench_simulate.py", "--reports", "2000"],
)


def main(argv: list[str]) -> int:
    only = set(argv)
    failed = []
    machine = describe_machine()
    print(f"== {machine['when']}: {machine['summary']}; load average (1 min) {machine['load1']:.2f}")
    if machine["busy"]:
        print("== the machine is busy: every section will say its figures were taken under contention")
    for script, *args in BENCHES:
        if only and Path(script).stem not in only:
            continue
        print(f"== {script} {' '.join(args)}", flush=True)
        if subprocess.call([sys.executable, str(HERE / script), *args]) != 0:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
