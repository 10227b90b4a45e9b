"""Benchmark: the simulated business day, wall time from a cold start (PostgreSQL, moto, deploy, seed, run).

    python bench/bench_simulate.py [--reports 2000] [--profile] [--json FILE]

Prints the wall time, the process's CPU time (what the day costs whatever else loads the machine), the time
per stage and per handler (wall and CPU seconds), the load average before and after. With --profile, where
the time goes (cProfile, top 25): the main thread (startup, deploy, seed, evidence) and, separately, the
handler invocations, which run on moto's execution thread.
Target (docs/benchmarks.md, "Simulation"): 2,000 reports in ≤ 60 s on 2 cores, startup included.
Not a test: nothing here asserts a time.
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
import threading
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()  # before the heavy imports: startup counts
    cpu_started = time.process_time()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    from tapgate.sim.day import BusinessDay

    handler_profiler = _profile_handlers() if args.profile else None

    with BusinessDay(reports=args.reports) as day:
        outcome = day.run()
        result = day.result(outcome)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # this process only (PostgreSQL runs in its own)
    if profiler:
        profiler.disable()
    figures = {
        "reports": args.reports,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "ok": result["ok"],
        "stages_s": result["stages_s"],
        "handlers": result["invocations"],
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
    }
    print(json.dumps(figures, indent=2))
    for title, prof in (("main thread", profiler), ("handler invocations", handler_profiler)):
        if prof:
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(25)
            print(f"--- {title} ---\n{out.getvalue()}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    return 0 if result["ok"] else 1


def _profile_handlers() -> cProfile.Profile:
    """A profiler switched on around each handler call (they run on moto's execution thread), timed in the
    thread's CPU time: on a shared machine wall time would charge other processes' work to whatever ran."""
    from tapgate.sim import runtime

    profiler = cProfile.Profile(time.thread_time)
    call = runtime.LambdaRuntime._call

    def profiled(self, fn, event):
        if threading.current_thread() is threading.main_thread():  # db_init, at deploy: the main profiler's
            return call(self, fn, event)
        profiler.enable()
        try:
            return call(self, fn, event)
        finally:
            profiler.disable()

    runtime.LambdaRuntime._call = profiled
    return profiler


if __name__ == "__main__":
    sys.exit(main())
