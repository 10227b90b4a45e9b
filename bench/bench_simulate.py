"""Benchmark: the simulated business day, wall time from a cold start (PostgreSQL, moto, deploy, seed, run).

    python bench/bench_simulate.py [--reports 2000] [--profile] [--json FILE]

Prints the wall time, the time per stage and per handler; with --profile, the functions where the time
goes (cProfile, cumulative, top 25). Target (docs/benchmarks.md, "Simulation"): 2,000 reports in ≤ 60 s on
2 cores, startup included. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    started = time.perf_counter()  # before the heavy imports: startup counts
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    from tapgate.sim.day import BusinessDay

    with BusinessDay(reports=args.reports) as day:
        outcome = day.run()
        result = day.result(outcome)
    wall = time.perf_counter() - started
    if profiler:
        profiler.disable()
    figures = {
        "reports": args.reports,
        "wall_s": round(wall, 2),
        "ok": result["ok"],
        "stages_s": result["stages_s"],
        "handlers": result["invocations"],
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, indent=2))
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
