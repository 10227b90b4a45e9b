"""How long the cross-checks take on the whole project (issue 7: under 1 s).

    python bench/bench_crosscheck.py [--runs 5] [--template TapStack.json] [--code lambdas] [--write-docs]

Each run is a fresh Python process (nothing cached from a previous run), which reports:

- `analysis`: `tapgate.crosscheck.check(ctx)` on the loaded template — handler resolution, the AST
  analysis of every function's code, botocore/boto3 model reads, role comparison, drift, the scale budgets
  at both volumes, and finding locations. This is the figure the target is about: what the gate adds;
- `cost`: `estimate_monthly_cost` for the same template;
- `imports`: importing tapgate's template loader and the cross-check package;
- `command`: the whole `tapgate crosscheck` process, wall clock (interpreter start-up included).

Medians over `--runs`. Timing is never asserted in tests; `--write-docs` rewrites the "Cross-checks" section
of docs/benchmarks.md with the table, the command and the machine (bench/_common.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, describe_machine, measured_lines, publish, spread_cells

TARGET_S = 1.0
PROBE = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from tapgate import template
from tapgate.crosscheck import check
from tapgate.crosscheck.context import CrossContext
from tapgate.crosscheck.cost import estimate_monthly_cost
t1 = time.perf_counter()
tpl = template.load(sys.argv[1])
t2 = time.perf_counter()
findings = check(CrossContext(tpl, Path(sys.argv[2])))
t3 = time.perf_counter()
estimate_monthly_cost(tpl.data, 2000)
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "template_load": t2 - t1, "analysis": t3 - t2, "cost": t4 - t3,
                  "findings": len(findings)}))
"""


def one_run(template: Path, code: Path) -> dict[str, float]:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(template), str(code)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    figures = json.loads(probe.stdout)
    started = time.perf_counter()
    command = subprocess.run(
        [sys.executable, "-m", "tapgate", "crosscheck", str(template), "--code", str(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    figures["command"] = time.perf_counter() - started
    if command.returncode not in (0, 1):
        raise SystemExit(f"tapgate crosscheck exited {command.returncode}: {command.stderr.strip()}")
    return figures


def table(results: list[dict[str, float]], runs: int) -> list[str]:
    lines = ["| measure | median (s) | min (s) | max (s) |", "|---|---:|---:|---:|"]
    for key in ("analysis", "cost", "imports", "template_load", "command"):
        lines.append(f"| {key} | {spread_cells(r[key] for r in results)} |")
    verdict = "within" if statistics.median(r["analysis"] for r in results) < TARGET_S else "OVER"
    lines.append("")
    lines.append(
        f"Analysis median {verdict} the {TARGET_S:g} s target over {runs} fresh processes; "
        f"{results[0]['findings']} findings per run."
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--template", default=str(REPO / "TapStack.json"))
    parser.add_argument("--code", default=None)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    template = Path(args.template)
    code = Path(args.code) if args.code else template.resolve().parent / "lambdas"
    before = describe_machine()
    results = [one_run(template, code) for _ in range(args.runs)]
    after = describe_machine()
    command = f"python bench/bench_crosscheck.py --runs {args.runs}"
    detail = f"{args.runs} fresh process{'es' if args.runs != 1 else ''}; {template.name}"
    body = "\n".join([*measured_lines(command, detail, before, after), "", *table(results, args.runs)])
    publish(body, "Cross-checks", args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
