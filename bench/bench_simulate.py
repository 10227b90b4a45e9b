"""Benchmark: the simulated business day, wall time from a cold start (PostgreSQL, moto, deploy, seed, run).

    python bench/bench_simulate.py [--reports 2000] [--profile] [--json FILE] [--write-docs]

Prints the "Simulation" section of docs/benchmarks.md: the command, the machine and the load before and
after (bench/_common.py), wall and CPU seconds of the process (CPU is what the day costs whatever else loads
the machine), the time per stage, and per handler the invocations, wall and CPU seconds, CPU a report and
the spread of an invocation's CPU. With --profile, where the time goes (cProfile, top 25): the main thread
(startup, deploy, seed, evidence) and, separately, the handler invocations, which run on moto's execution
thread (and so with 0 handler workers). --workers N sets the handler worker processes (default: the
harness's). --json writes the figures; --write-docs rewrites the section.
Target (docs/benchmarks.md, "Simulation"): 2,000 reports in ≤ 60 s on 2 cores, startup included.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import threading
import time

from _common import describe_machine, measured_lines, publish, spread_cells

TARGET_S = 60.0
HEADING = "Simulation"
# What the profiles showed and what was changed (the measured figures above it are the script's own).
FINDINGS = """### Where the time goes

- Two processes' worth of Python on two cores. The handlers run in worker processes (default 4 on 2
  cores: `--workers`); their AWS calls come back to the harness's process, which answers them from moto's
  state with moto's own stubber, and runs moto's Step Functions interpreter. Data API calls are answered in
  the workers, on the same PostgreSQL with the same bridge code (unless a fault plan can fail them).
- The harness's process is the busier side (~35 s CPU of a ~52-57 s day, each call ~2.5 ms: moto's S3
  and SES, the bucket policy evaluation, the interpreter); a worker's call waits ~5-6 ms for it. With one
  worker more than there are calls in flight the harness is rarely idle: 3 workers 54.8-62.0 s, 4 workers
  51.6-58.3 s over alternating runs on 2026-11-28 (docs/benchmarks.md).
- The workers' CPU (~50 s, the seed process included) is botocore serialising, signing and parsing,
  psycopg and the handlers' own work (rendering, rules). Calls a report that reach the harness: Deliver
  2.9, Generate 1.0, Validate 1.0, Confirm 1.0 (`bench/bench_handler_calls.py` counts every call).
- Startup: PostgreSQL's initdb on a thread while moto's CloudFormation models import (~3 s), the deploy
  (~3 s), the seed generated on the second core and inserted (~2.5 s); the evidence stage ~0.2 s; exit
  ~0.5 s (the workers exit side by side; moto's rebuild of backends it then drops is skipped).

### What changed, and what is left

- 2026-11-27: 242.3 s. 2026-11-28 02:22 UTC: 99.3 s (fewer calls a report, the harness's own time, the
  evidence stage, the seed on the second core). 2026-11-28 12:10-13:35 UTC: 51.5-58.3 s (handler worker
  processes; moto's requests built without werkzeug's EnvironBuilder; the interpreter's Lambda client and
  JSONPaths kept; SES's headers-only parse; the cheaper exit).
- Left: the harness is one process under one GIL; more of its time would go only by moving moto's state
  into several processes, which moto does not support. `--profile` runs the handlers in-process (0
  workers) so that cProfile sees them."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile; the handlers then run in-process")
    parser.add_argument("--workers", type=int, help="handler worker processes (default: the harness's)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--write-docs", action="store_true", help="rewrite the Simulation section")
    args = parser.parse_args(argv)

    before = describe_machine()
    started = time.perf_counter()  # before the heavy imports: startup counts
    cpu_started = time.process_time()
    children_started = _children_cpu()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    from tapgate.sim.day import BusinessDay

    handler_profiler = _profile_handlers() if args.profile else None
    workers = 0 if args.profile and args.workers is None else args.workers  # the profile is in-process
    with BusinessDay(reports=args.reports, workers=workers) as day:
        outcome = day.run()
        result = day.result(outcome)
        invocations = list(day.stack.runtime.invocations)
        worker_stats = list(day.stack.runtime.worker_stats)
        workers = day.stack.workers
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # this process only (PostgreSQL runs in its own)
    children_cpu = _children_cpu() - children_started  # the handler workers and the seed process
    if profiler:
        profiler.disable()
    after = describe_machine()
    figures = {
        "reports": args.reports,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "workers": workers,
        "children_cpu_s": round(children_cpu, 2),
        "worker_calls": _worker_calls(worker_stats, args.reports),
        "ok": result["ok"],
        "stages_s": result["stages_s"],
        "handlers": result["invocations"],
        "machine": before["summary"],
        "load_average_1m": {"before": round(before["load1"], 2), "after": round(after["load1"], 2)},
    }
    command = "python bench/bench_simulate.py " + " ".join(argv if argv is not None else sys.argv[1:])
    publish(_section(figures, invocations, command.strip(), before, after), HEADING, args.write_docs)
    for title, prof in (("main thread", profiler), ("handler invocations", handler_profiler)):
        if prof:
            print(f"--- {title} ---\n{_top(prof)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    return 0 if result["ok"] else 1


def _section(figures: dict, invocations: list, command: str, before: dict, after: dict) -> str:
    reports, wall = figures["reports"], figures["wall_s"]
    met = ("met" if wall <= TARGET_S else "**not met**") if reports == 2000 else "set for 2,000 reports"
    detail = f"{reports} reports; " + ("all invariants held" if figures["ok"] else "an invariant FAILED")
    return "\n".join(
        [
            f"The {reports}-report business day from a cold start: imports, PostgreSQL, moto, `create_stack`",
            "and what the harness applies, db_init's migrations, seed, the daily run, reading the evidence",
            f"back. Target: ≤ {TARGET_S:.0f} s wall on 2 cores, startup included.",
            "",
            *measured_lines(command, detail, before, after),
            "",
            f"**{wall:.1f} s wall** ({figures['cpu_s']:.1f} s CPU of the harness's process, "
            f"{figures['children_cpu_s']:.1f} s of its {figures['workers']} handler worker processes and the "
            f"seed process): target {met}.",
            "",
            _stage_table(figures["stages_s"]),
            "",
            _handler_table(figures["handlers"], invocations, reports),
            "",
            *_worker_table(figures["worker_calls"]),
            FINDINGS,
        ]
    )


def _stage_table(stages: dict[str, float]) -> str:
    rows = ["| stage | wall s |", "|---|---:|"]
    rows += [f"| {name} | {seconds:.2f} |" for name, seconds in stages.items()]
    return "\n".join(rows)


def _handler_table(handlers: dict[str, dict], invocations: list, reports: int) -> str:
    """Per handler: invocations, wall and CPU seconds, CPU ms a report, and an invocation's CPU in ms
    (median, min, max: a batch costs about the same, or one of them stands out)."""
    rows = [
        "| handler | invocations | wall s | CPU s | CPU ms a report | CPU ms an invocation: median | min "
        "| max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_cpu = sorted(handlers.items(), key=lambda item: -item[1]["cpu_seconds"])
    for name, row in by_cpu:
        cpu_ms = [1000 * inv.cpu_s for inv in invocations if inv.function == name]
        spread = spread_cells(cpu_ms, digits=0)  # every handler in the table was invoked
        rows.append(
            f"| {name} | {row['count']} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} "
            f"| {1000 * row['cpu_seconds'] / max(reports, 1):.1f} | {spread} |"
        )
    return "\n".join(rows)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # children that have ended and been waited for
    return usage.ru_utime + usage.ru_stime


def _worker_calls(stats: list[dict], reports: int) -> dict[str, dict[str, float]]:
    """Per handler, from the workers' own accounts: AWS calls a report that went to the harness, the
    worker's CPU a report, and how long a call waited for the harness's answer."""
    out: dict[str, dict[str, float]] = {}
    for row in stats:
        total = out.setdefault(
            row["function"], {"calls": 0, "local_calls": 0, "worker_cpu_s": 0.0, "waited_s": 0.0}
        )
        total["calls"] += row["calls"]
        total["local_calls"] += row.get("local_calls", 0)
        total["worker_cpu_s"] += row["worker_cpu_s"]
        total["waited_s"] += row["waited_s"]
    return {
        name: {
            "calls_a_report": round(t["calls"] / max(reports, 1), 2),
            "local_calls_a_report": round(t["local_calls"] / max(reports, 1), 2),
            "worker_cpu_ms_a_report": round(1000 * t["worker_cpu_s"] / max(reports, 1), 2),
            "wait_ms_a_call": round(1000 * t["waited_s"] / max(t["calls"], 1), 2),
        }
        for name, t in sorted(out.items(), key=lambda item: -item[1]["worker_cpu_s"])
    }


def _worker_table(calls: dict[str, dict[str, float]]) -> list[str]:
    if not calls:
        return []
    rows = [
        "In the handler workers (the rest of a handler's CPU above is the harness answering its calls):",
        "",
        "| handler | calls a report to the harness | Data API calls a report, answered in the worker "
        "| worker CPU ms a report | wait for the harness, ms a call |",
        "|---|---:|---:|---:|---:|",
    ]
    rows += [
        f"| {name} | {row['calls_a_report']:.2f} | {row['local_calls_a_report']:.2f} "
        f"| {row['worker_cpu_ms_a_report']:.1f} | {row['wait_ms_a_call']:.2f} |"
        for name, row in calls.items()
    ]
    return [*rows, ""]


def _top(prof: cProfile.Profile) -> str:
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


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
