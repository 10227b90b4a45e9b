"""Each cfn-guard rule file alone on the data the projected run gives it: its CPU (issue 8).

    python bench/bench_guard_rules.py [--runs 3] [--template TapStack.json] [FILE ...]

For every rule file under policies/guard (or the files named), runs
`cfn-guard validate -r FILE -d <template projected to the file's readable types> -o json --structured
--show-summary none` and prints the median user + system CPU, costliest first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cpu_of(argv: list[str]) -> float:
    before = os.times()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main(argv: list[str] | None = None) -> int:
    from tapgate.engines.guard_plan import classify, project, rule_files
    from tapgate.engines.provision import find_guard

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--template", type=Path, default=REPO / "TapStack.json")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    guard = find_guard()
    data = json.loads(args.template.read_text(encoding="utf-8"))
    files = [p.resolve() for p in args.files] or rule_files([REPO / "policies" / "guard"])
    classified, _ = classify(files)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-guard-rules-") as tmp:
        for path in files:
            data_file = Path(tmp) / f"{path.stem}.json"
            data_file.write_text(json.dumps(project(data, classified[path])), encoding="utf-8")
            cmd = [guard, "validate", "-r", str(path), "-d", str(data_file), "-o", "json", "--structured"]
            cmd += ["--show-summary", "none"]
            cpu = statistics.median(cpu_of(cmd) for _ in range(args.runs))
            rows.append(
                (cpu, path.relative_to(REPO) if path.is_relative_to(REPO) else path, data_file.stat().st_size)
            )
    total = sum(cpu for cpu, _, _ in rows)
    for cpu, path, size in sorted(rows, key=lambda r: r[0], reverse=True):
        print(f"{cpu:6.3f} s  {size:7d} B  {path}")
    print(f"{total:6.3f} s  total of {len(rows)} files (each alone, includes ~process start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
