"""The gate's cost against its engines, side by side in one run (issue 8).

    python bench/bench_gate.py [--runs 5] [--template TapStack.json] [--write-docs | --fast-only]

Cases, each run `--runs` times round-robin (so a burst of load from elsewhere hits every case alike), with
the median reported:

- `checkov`, `cfn-lint`, `cfn-guard` alone: each engine's own CLI with the exact arguments and environment
  the gate's engine plug-ins build (tapgate.engines.*.command), so "alone" is the same work the gate asks
  for; and `checkov as the gate runs it` (through tapgate.engines.checkov_main, JSONPath parser built once);
- `tapgate check --no-cache`: the full gate;
- `tapgate check` on unchanged inputs: a cache hit (one warm-up run stores the result first);
- `tapgate check --fast --no-cache`: cfn-guard and tapgate's own checks, what an editor calls;
- `tapgate's own checks (--fast, no cfn-guard)`: the in-process part of --fast alone (start-up, template,
  checks, verdict, text output), which runs beside cfn-guard.

The gate runs on a snapshot of the project (src/, policies/, lambdas/ and the template copied to a temporary
directory and imported from there), so edits others make in the working tree meanwhile cannot turn cache hits
into misses. The snapshot is byte-compiled first, as `pip install` leaves a package: with
PYTHONDONTWRITEBYTECODE set, every run would otherwise compile tapgate's modules again (about 0.1 s).
Targets: full ≤ 1.15 × the slowest engine alone, cached ≤ 0.5 s, fast ≤ 1 s (its in-process part ≤ 0.6 s).
`--write-docs` rewrites the "Gate" section of docs/benchmarks.md with the table, the command and the machine.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import BENCHMARKS_DOC, REPO, describe_machine, measured_lines, write_docs_section

GATE_OK = {0, 1}  # a verdict; 2 (bad input) or 3 (engine failure) would make every figure meaningless
TARGETS = {"full_over_slowest": 1.15, "cached_s": 0.5, "fast_s": 1.0, "own_checks_s": 0.6}
ENGINES_ALONE = ("checkov", "cfn-lint", "cfn-guard")
FULL, FAST, OWN = (
    "tapgate check --no-cache",
    "tapgate check --fast --no-cache",
    "tapgate's own checks (--fast)",
)
# What profiling (cProfile, python -X importtime, /usr/bin/time) found, and what was done about it.
FINDINGS = """Which baseline is "the slowest engine alone": checkov, run by its own console script with the
arguments and environment the gate gives it (`-o json --framework cloudformation --skip-download --compact`,
its one framework run in-process). The gate runs the same checkov through tapgate.engines.checkov_main,
which does the same checks for less CPU; its row is the second, stricter yardstick. Both ratios are shown.

What the profiles showed (cProfile, python -X importtime, user+system time per process):

- The in-process path (`--fast` beside cfn-guard): pydantic and the result model are about a third of it;
  they no longer load before the engines are started (provenance's clock imported them), but beside them;
  the report piece is not imported without --report-dir; controls.yaml is parsed by libyaml (pure
  PyYAML parsed it twice: nodes for error positions, then data; a broken file still gets the located
  error); line marks are indexed in one pass that counts lines as it goes (half the time); the
  `$..*`/`$..NAME.*` selectors of tapgate's checks are walked directly instead of through jsonpath-ng
  (same values, pointers and order, property-tested); the monthly cost estimate, which is not a check, is
  left out of `--fast` (kept in full runs and whenever reports are written) and computed while the engines
  run. `--fast` and a full run judge alike (tests/unit/gate/test_gate_fast.py).
- `--fast` (cfn-guard beside the in-process checks; its CPU is about 0.6 s of cfn-guard in 6 processes plus
  0.4 s of Python, so on 2 cores it cannot end before ~0.5 s): cfn-guard's first processes (one per core,
  the rest as those end) are launched from the main thread right after the template is read, before
  anything imports pydantic, rich or YAML (tests/unit/gate/test_gate_launch_order.py); they used to start
  0.4-0.5 s into the run (timed by a wrapper around cfn-guard), behind the engine threads' imports.
  `tapgate check` runs with PYDANTIC_DISABLE_PLUGINS (not passed on to the engines): pydantic's plugin
  lookup read the entry points of every installed distribution when the first model was built, ~0.1 s CPU
  in this environment. `tapgate check` builds only its own sub-parser (the other commands' modules cost
  ~0.04 s); waivers.yaml is read by libyaml like controls.yaml; a run with nothing failing prints its
  headline without importing rich when rich would print the same bytes (property-tested); under --no-cache
  the cache key and the policies' provenance hashes are taken while the engines run, not before or after
  them; the cyclic collector is paused for the run (~0.05 s CPU) and the objects are frozen at exit, so
  the interpreter's last collection skips them (~0.04 s CPU).
  What is left in cfn-guard: ~20 ms per process is cfn-guard 3.1.1 compiling its case converters'
  singularisation regexes at the first missing key (a suppression filter's `Metadata` lookup); the rest
  is its rules walking their data.
- Cached run: it imports no pydantic, checkov or cfn-lint; engine versions are read from the
  `<dist>-<version>.dist-info` folder names.
- checkov: its JSONPath parser tables are built once, not per parse (tapgate.engines.checkov_main), and its
  one framework runs in-process (CHECKOV_PARALLELIZATION_TYPE=none: by default it forks a child and pickles
  the report and the whole resource graph back). Both give the checks its console script gives
  (tests/unit/engines/test_checkov_main.py). Its hash seed is pinned too (not for speed: the evaluated
  keys of its graph checks come out of sets, and the gate's pointer is the first). What is left is
  importing checkov (every framework's checks, whatever --framework says) and rendering its graph.
- cfn-lint: one region (its default), informational rules only as the catalog claims them; its CPU is the
  resource schema validation of every E/W rule, which the catalog maps: nothing unused to switch off.
- Full run: every engine starts once and all run at the same time. Its CPU is the sum of the engines'
  (checkov as the gate runs it, cfn-lint, cfn-guard) plus tapgate's own checks and cross-checks, so on
  N cores it cannot end before that sum / N (the "CPU bound" line); on 2 cores that bound, not any engine,
  sets the floor."""


def snapshot(into: Path, template: Path) -> Path:
    """Copy what the gate reads and runs into INTO; return the snapshot's template path."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for part in ("src", "policies", "lambdas"):
        if (REPO / part).exists():
            shutil.copytree(REPO / part, into / part, symlinks=True, ignore=ignore)
    compileall.compile_dir(into / "src", quiet=1)  # as an installed package is
    shutil.copy2(template, into / template.name)
    return into / template.name


def engine_commands(template: Path, policies: Path) -> dict[str, tuple[list[str], dict[str, str], set[int]]]:
    """name -> (argv, extra env, ok exit codes), built by the gate's own engine plug-ins. `checkov` is its
    console script with the gate's arguments; the gate itself runs it through tapgate.engines.checkov_main
    (JSONPath parser built once), shown as its own row."""
    from tapgate import template as template_module
    from tapgate.engines import cfnlint, checkov, guard
    from tapgate.engines.base import EngineContext
    from tapgate.engines.executables import python_tool

    ctx = EngineContext(templates=[template_module.load(template)], root=policies.parent, policies=policies)
    as_gate = checkov.CheckovEngine().command(ctx)
    gate_exe = checkov.checkov_command()
    cli = [*python_tool("checkov"), *as_gate[len(gate_exe) :]]
    return {
        "checkov": (cli, checkov.QUIET_ENV, checkov.OK_CODES),
        "checkov as the gate runs it": (as_gate, checkov.QUIET_ENV, checkov.OK_CODES),
        "cfn-lint": (cfnlint.CfnLintEngine().command(ctx), {}, cfnlint.OK_CODES),
        "cfn-guard": (guard.GuardEngine().command(ctx), {}, guard.OK_CODES),
    }


def gate_cases(snap: Path, template: Path) -> dict[str, tuple[list[str], dict[str, str], set[int]]]:
    gate = [sys.executable, "-m", "tapgate", "check", template.name]
    env = {"PYTHONPATH": str(snap / "src")}  # the snapshot's tapgate, not the editable install's tree
    return {
        FULL: ([*gate, "--no-cache"], env, GATE_OK),
        "tapgate check (cached)": (gate, env, GATE_OK),
        FAST: ([*gate, "--fast", "--no-cache"], env, GATE_OK),
        OWN: ([*gate, "--fast", "--engines", "tapgate", "--no-cache"], env, GATE_OK),
    }


def timed(
    argv: list[str], env: dict[str, str], ok: set[int], cwd: Path, after: Callable[[], object] | None = None
) -> tuple[float, float]:
    """(wall s, CPU s of the process and its children): CPU is the work done, which load from elsewhere
    barely changes; wall is what a user waits. `after` runs once the process ended, before its children's
    CPU is read (bench_report reaps the Chromium renderers a gate leaves, so their CPU counts)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if after is not None:
        after()
    if done.returncode not in ok:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise SystemExit(f"bench: {argv[0]} ... exited {done.returncode}: {tail[0]}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cases: dict, runs: int, cwd: Path) -> dict[str, list[tuple[float, float]]]:
    """case -> [(wall, cpu)] over the rounds; each round runs every case once."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    warm_up = cases.get("tapgate check (cached)") or cases[FAST]  # stores what the cached case reuses
    timed(*warm_up, cwd)
    for round_no in range(1, runs + 1):
        for name, (argv, env, ok) in cases.items():
            times[name].append(timed(argv, env, ok, cwd))
        done = ", ".join(f"{name} {runs_[-1][0]:.2f}s" for name, runs_ in times.items())
        print(f"round {round_no}/{runs}: {done}", flush=True)
    return times


def table(times: dict[str, list[tuple[float, float]]]) -> tuple[str, list[str]]:
    medians = {name: statistics.median(wall for wall, _ in runs) for name, runs in times.items()}
    cpus = {name: statistics.median(cpu for _, cpu in runs) for name, runs in times.items()}
    slowest = max(ENGINES_ALONE, key=lambda name: medians[name])
    rows = [
        "| case | median s | min s | max s | median CPU s | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    verdicts = []
    for name, runs in times.items():
        walls = [wall for wall, _ in runs]
        target, met = _target(name, medians, slowest)
        if met is not None:
            verdicts.append(f"{name}: {'met' if met else 'NOT met'} ({target})")
        shown = "" if met is None else ("yes" if met else "**no**")
        rows.append(
            f"| `{name}` | {medians[name]:.2f} | {min(walls):.2f} | {max(walls):.2f} | {cpus[name]:.2f} "
            f"| {target} | {shown} |"
        )
    return "\n".join(rows), [*verdicts, cpu_bound(cpus, medians)]


def fast_table(times: dict[str, list[tuple[float, float]]], before: dict, after: dict) -> str:
    lines = [f"load average (1 min) before/after: {before['load1']:.2f} / {after['load1']:.2f}"]
    for name, runs in times.items():
        walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
        lines.append(
            f"{name}: median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
            f"median CPU {statistics.median(cpus):.2f} s"
        )
    return "\n".join(lines)


def cpu_bound(cpus: dict[str, float], medians: dict[str, float]) -> str:
    """The full run's floor on this machine: its CPU (the engines' as the gate runs them, plus tapgate's
    in-process work) spread over every core."""
    cores = os.cpu_count() or 1
    floor = cpus[FULL] / cores
    return (
        f"CPU bound of the full run on {cores} cores: {cpus[FULL]:.2f} s CPU / {cores} = {floor:.2f} s "
        f"(engines as the gate runs them: checkov {cpus['checkov as the gate runs it']:.2f} + cfn-lint "
        f"{cpus['cfn-lint']:.2f} + cfn-guard {cpus['cfn-guard']:.2f} s CPU); the full run took "
        f"{medians[FULL]:.2f} s, {medians[FULL] / floor:.2f} × that floor"
    )


def _target(name: str, medians: dict[str, float], slowest: str) -> tuple[str, bool | None]:
    if name == FULL:
        ratio = medians[name] / medians[slowest]
        limit = TARGETS["full_over_slowest"]
        text = f"≤ {limit} × {slowest} alone: {ratio:.2f} ×"
        if "checkov as the gate runs it" in medians:  # the honest second yardstick: the gate's own checkov
            text += f" ({medians[name] / medians['checkov as the gate runs it']:.2f} × the gate's checkov)"
        return text, ratio <= limit
    limits = {"tapgate check (cached)": "cached_s", FAST: "fast_s", OWN: "own_checks_s"}
    if name in limits:
        limit = TARGETS[limits[name]]
        return f"≤ {limit} s", medians[name] <= limit
    return "", None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of every case (median reported; default 5)")
    parser.add_argument("--template", type=Path, default=REPO / "TapStack.json")
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite the Gate section of docs/benchmarks.md"
    )
    parser.add_argument(
        "--fast-only", action="store_true", help="only the two --fast cases (a quick check; no docs)"
    )
    args = parser.parse_args(argv)
    if args.fast_only and args.write_docs:
        parser.error("--write-docs needs every case")
    before = describe_machine()
    with tempfile.TemporaryDirectory(prefix="tapgate-bench-") as tmp:
        snap = Path(tmp)
        template = snapshot(snap, args.template.resolve())
        cases = {**engine_commands(template, snap / "policies"), **gate_cases(snap, template)}
        if args.fast_only:
            cases = {name: cases[name] for name in (FAST, OWN)}
        times = measure(cases, args.runs, snap)
    if args.fast_only:
        print(fast_table(times, before, describe_machine()))
        return 0
    rows, verdicts = table(times)
    after = describe_machine()
    command = "python bench/bench_gate.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = _report(rows, verdicts, command.strip(), before, after, args)
    print("\n" + report)
    if args.write_docs:
        write_docs_section(BENCHMARKS_DOC, "Gate", report)
        print("docs/benchmarks.md: Gate section written")
    return 0


def _report(rows: str, verdicts: list[str], command: str, before: dict, after: dict, args) -> str:
    detail = f"{args.runs} runs of each case, round-robin; {args.template.name}"
    return "\n".join(
        [
            "The engines alone run their own CLI with the arguments and environment the gate's plug-ins",
            "build (checkov's console script; the gate runs checkov through tapgate.engines.checkov_main:",
            "its own row).",
            "The gate runs on a byte-compiled snapshot of the project; the cached case is a re-run on",
            "unchanged inputs. CPU s is user + system time of the process and its children: the work done,",
            "which load from elsewhere barely moves, while wall time (median s) is what a user waits.",
            "",
            *measured_lines(command, detail, before, after),
            "",
            rows,
            "",
            *[f"- {line}" for line in verdicts],
            "",
            FINDINGS,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
