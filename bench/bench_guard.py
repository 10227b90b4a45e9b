"""The cfn-guard engine: one plain process against the projected, grouped run the gate uses (issue 8).

    python bench/bench_guard.py [--runs 5] [--template TapStack.json] [--control-tower DIR]

Cases, round-robin, medians of wall and CPU (user + system of the process and its children):

- `cfn-guard plain`: `cfn-guard validate -r policies/guard -d T -o json --structured --show-summary none`,
  the command the engine reports (tapgate.engines.guard.GuardEngine.command);
- `cfn-guard projected (engine)`: the engine's own run (tapgate.engines.guard_exec) in a fresh Python that
  imports only what it needs: the rule files grouped by the resource types they read, a few cfn-guard
  processes on projected copies, the answers merged back;
- `tapgate check --engines cfn-guard --no-cache`: the engine inside the gate (target ≤ 0.5 s);
- `tapgate check --fast --no-cache`: cfn-guard and tapgate's own checks (target ≤ 1 s);
- with `--control-tower DIR`: the same pair of plain / projected runs with the Control Tower pack added.

It also prints the plan: each group's rule files, resource types and data size. Figures go to docs/gate.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_gate import GATE_OK, REPO, describe_machine, snapshot, timed

ENGINE_RUN = """
import sys, time
from pathlib import Path
from tapgate.engines.guard_exec import run_projected
from tapgate.engines.provision import find_guard
dirs = [Path(p) for p in sys.argv[2:]]
run_projected("cfn-guard", [find_guard()], dirs, [sys.argv[1]], {0, 19}, 300)
"""


def cases(snap: Path, template: Path, control_tower: Path | None) -> dict:
    from tapgate.engines.provision import find_guard

    guard, rules = find_guard(), snap / "policies" / "guard"
    env = {"PYTHONPATH": str(snap / "src")}
    tail = ["-o", "json", "--structured", "--show-summary", "none"]
    packs = {"": [rules], " + Control Tower": [rules, control_tower]} if control_tower else {"": [rules]}
    found = {}
    for label, dirs in packs.items():
        plain = [guard, "validate", *[a for d in dirs for a in ("-r", str(d))], "-d", str(template), *tail]
        found[f"cfn-guard plain{label}"] = (plain, {}, {0, 19})
        engine = [sys.executable, "-c", ENGINE_RUN, str(template), *map(str, dirs)]
        found[f"cfn-guard projected (engine){label}"] = (engine, env, {0})
    gate = [sys.executable, "-m", "tapgate", "check", template.name, "--no-cache"]
    found["tapgate check --engines cfn-guard --no-cache"] = ([*gate, "--engines", "cfn-guard"], env, GATE_OK)
    found["tapgate check --fast --no-cache"] = ([*gate, "--fast"], env, GATE_OK)
    return found


def show_plan(snap: Path, template: Path, control_tower: Path | None) -> None:
    from tapgate.engines.guard_exec import GROUPS_PER_WORKER
    from tapgate.engines.guard_plan import bytes_by_type, classify, plan, project, rule_files

    data = json.loads(template.read_text(encoding="utf-8"))
    dirs = [snap / "policies" / "guard", *([control_tower] if control_tower else [])]
    classified, weights = classify(rule_files(dirs))
    full = sorted(p.name for p, types in classified.items() if types is None)
    print(f"{len(classified)} rule files, {len(full)} need the whole template: {', '.join(full[:8])}")
    sizes, base = bytes_by_type([data])
    workers = max(1, min(os.cpu_count() or 1, 8))
    for group in plan(classified, sizes, base, workers * GROUPS_PER_WORKER, weights, workers):
        size = len(json.dumps(project(data, group.types)))
        kinds = "ALL" if group.types is None else ", ".join(sorted(t.split("::", 1)[1] for t in group.types))
        print(f"  {len(group.rule_files):3d} files on {size:7d} B: {kinds[:90]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--template", type=Path, default=REPO / "TapStack.json")
    parser.add_argument("--control-tower", type=Path, default=None)
    args = parser.parse_args(argv)
    before = describe_machine()
    with tempfile.TemporaryDirectory(prefix="bench-guard-") as tmp:
        snap = Path(tmp)
        template = snapshot(snap, args.template.resolve())
        show_plan(snap, template, args.control_tower)
        todo = cases(snap, template, args.control_tower)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in todo}
        for _ in range(args.runs):
            for name, (argv_, env, ok) in todo.items():
                times[name].append(timed(argv_, env, ok, snap))
    after = describe_machine()
    print(f"\n{before['when']}, {before['summary']}")
    print(f"load average (1 min) before/after: {before['load1']:.2f} / {after['load1']:.2f}\n")
    print("| case | median wall s | min wall s | median CPU s |\n|---|---:|---:|---:|")
    for name, runs in times.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        wall, fastest, cpu = statistics.median(walls), min(walls), statistics.median(cpus)
        print(f"| `{name}` | {wall:.2f} | {fastest:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
