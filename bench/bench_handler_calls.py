"""Benchmark: AWS calls and thread CPU a report of each handler on a simulated day, this tree's lambdas/ and
TapStack.json against those of an earlier revision, on the same (current) harness.

    python bench/bench_handler_calls.py [--reports 200] [--base REV] [--rounds 3]

Each round runs one day per tree, alternating, each in its own process (moto's backends are process-wide).
Calls are counted in botocore's `_make_api_call` on the handler thread while a handler runs (the runtime's
`current`), so they are exact; CPU is the runtime's thread CPU per handler, which contention inflates:
compare medians of rounds taken together. `--base` takes lambdas/ and TapStack.json from `git archive REV`
(nothing in the working tree changes). Not a test: nothing here asserts a figure.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HANDLERS = ("GenerateFunction", "ValidateFunction", "DeliverFunction", "ConfirmFunction")
ROOT = Path(__file__).resolve().parents[1]


def one_day(tree: Path, reports: int) -> dict:
    """Run one day of `tree` (TapStack.json + lambdas/) in this process; calls and CPU ms a report."""
    import botocore.client

    from tapgate.sim.day import BusinessDay

    calls: collections.Counter = collections.Counter()
    real = botocore.client.BaseClient._make_api_call
    day = BusinessDay(reports=reports, template=tree / "TapStack.json", lambdas=tree / "lambdas")
    running = day.stack.runtime.current  # thread-local: .function is the handler running on this thread

    def counted(self, operation, params):
        function = getattr(running, "function", None)
        if function:
            calls[function] += 1
        return real(self, operation, params)

    botocore.client.BaseClient._make_api_call = counted
    with day:
        result = day.result(day.run())
    return {
        "ok": result["ok"],
        "calls": {h: round(calls[h] / reports, 2) for h in HANDLERS},
        "cpu_ms": {
            h: round(result["invocations"][h]["cpu_seconds"] / reports * 1000, 2)
            for h in HANDLERS
            if h in result["invocations"]
        },
    }


def _child(tree: Path, reports: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(tree), "--reports", str(reports)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--base", help="git revision whose lambdas/ and TapStack.json are the baseline")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one day of this tree, print JSON
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_day(Path(args.one), args.reports)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp:
        trees = {"this tree": ROOT}
        if args.base:
            base = Path(tmp) / "base"
            base.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.base, "lambdas", "TapStack.json"],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            trees = {f"base {args.base}": base, **trees}
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        load_before = os.getloadavg()[0]
        for _ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(_child(tree, args.reports))
        load_after = os.getloadavg()[0]
    print(f"{args.reports}-report day, {args.rounds} rounds; load {load_before:.2f} → {load_after:.2f}")
    print(f"{'tree':<22} {'handler':<18} {'calls a report':>15} {'CPU ms a report (median, min-max)':>36}")
    for name, results in runs.items():
        assert all(r["ok"] for r in results), f"{name}: an invariant failed"
        for handler in HANDLERS:
            cpu = [r["cpu_ms"][handler] for r in results]
            spread = f"{statistics.median(cpu):.1f} ({min(cpu):.1f}-{max(cpu):.1f})"
            print(f"{name:<22} {handler:<18} {results[0]['calls'][handler]:>15.2f} {spread:>36}")
        total = [sum(r["cpu_ms"].values()) for r in results]
        calls = sum(results[0]["calls"].values())
        print(f"{name:<22} {'the four':<18} {calls:>15.2f} {statistics.median(total):>36.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
