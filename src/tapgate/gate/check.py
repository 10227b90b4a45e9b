"""One gate run: load the templates, start the engines, then (while they run) load the catalog and the
waivers, and finally judge the findings.

`run_check(options) -> GateResult`. A template that does not parse raises InputError (exit 2) before any
engine starts. Nothing heavy (pydantic, the catalog's YAML) is loaded before the engine processes are
launched: a gate run should cost little more than its slowest engine (issue 8).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from tapgate import template as template_module
from tapgate.engines.base import EngineContext, allow_running, kill_running
from tapgate.engines.provision import control_tower_rules
from tapgate.errors import EngineError, UsageError
from tapgate.gate.inputs import engine_inputs
from tapgate.gate.options import CheckOptions
from tapgate.gate.runner import Progress, run_engines, start_engines

if TYPE_CHECKING:
    from tapgate.model import EngineRun, Finding, GateResult


def run_check(
    opts: CheckOptions,
    policies: Path,
    versions: dict[str, str],
    progress: Progress | None = None,
    after_launch: Callable[[], object] | None = None,
) -> GateResult:
    """The run; `after_launch` is called on this thread once the engines are launched (work that must
    not delay them)."""
    from tapgate.gate.provenance import utc_now

    started_at = utc_now()
    allow_running()
    templates = [template_module.load(path) for path in opts.templates]
    names = opts.engine_names()
    with tempfile.TemporaryDirectory(prefix="tapgate-") as scratch, ThreadPoolExecutor(4) as side:
        ctx = _context(opts, templates, policies, Path(scratch))
        # the engines launch first (cfn-lint's command waits for the catalog's rule ids, the others don't);
        # cfn-guard's processes start right here, before any thread imports pydantic or the catalog's YAML
        ctx.catalog_future = Future()
        try:
            failed = _attach_pack(names, ctx, opts.control_tower)
            started = start_engines(names, ctx)
            engines_done = side.submit(run_engines, names, ctx, versions, progress, started)
            side.submit(_settle, ctx.catalog_future, _load_catalog, policies)
            git = side.submit(_git_state, policies.parent)
            hashes = side.submit(_policy_hashes, policies)  # while the engines run, not after them
            cost = side.submit(_cost_estimate, templates, opts)  # while the engines run, not after them
            for tpl in templates:  # line marks are indexed while the engines run, not after them
                side.submit(lambda t=tpl: t.spans)
            if after_launch is not None:
                after_launch()
            register = _load_register(policies)
            catalog = ctx.catalog_future.result()
            runs = failed + engines_done.result()
            git_state = git.result()
            policy_hashes = hashes.result()
            cost_estimate = cost.result()
        except BaseException:  # bad catalog or waivers, Ctrl-C, SIGTERM: no engine outlives the gate
            kill_running()
            raise
    loaded = (catalog, register, runs, cost_estimate, policy_hashes)
    return _result(opts, policies, versions, started_at, templates, loaded, git_state)


def _result(opts, policies, versions, started_at, templates, loaded, git_state) -> GateResult:
    from tapgate.gate import findings as finishing
    from tapgate.gate import provenance, verdict, waivers
    from tapgate.model import GateResult

    catalog, register, runs, cost_estimate, policy_hashes = loaded
    engine_runs = [run for run, _ in runs]
    found = _judged([f for _, found in runs for f in found], engine_runs, opts, catalog, templates)
    waivers.apply_waivers(found, register)
    found += waivers.problem_findings(register, policies / "waivers.yaml")
    found = finishing.finish(found, templates, catalog)
    controls = verdict.control_results(catalog.controls, found)
    hashes = {t.path: t.sha256 for t in templates}
    return GateResult(
        provenance=provenance.build(
            hashes, policy_hashes, opts.command, versions, _options(opts), git_state, started_at
        ),
        summary=verdict.summarize(engine_runs, controls, found),
        engines=engine_runs,
        controls=controls,
        regulations=catalog.regulations,
        findings=found,
        waivers=register + waivers.suppression_entries(found),
        flow_evidence=_flow_evidence(opts),
        cost_estimate=cost_estimate,
    )


def _flow_evidence(opts) -> dict | None:
    """The last `tapgate simulate --evidence` result in the report directory, shown as flow evidence."""
    import json

    if not opts.report_dir:
        return None
    path = Path(opts.report_dir) / "simulation.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        from tapgate.errors import InputError

        raise InputError(f"unreadable flow evidence: {err}", str(path)) from err


def _cost_estimate(templates, opts: CheckOptions) -> dict | None:
    """The monthly cost at the default volume (cross-checks' price table), for a single-template run.
    Not a check: --fast (an editor's run) leaves it out unless it writes reports."""
    if len(templates) != 1 or (opts.fast and not opts.report_dir):
        return None
    from tapgate.crosscheck.cost import estimate_monthly_cost

    return estimate_monthly_cost(templates[0].data, 2000)


def _settle(future: Future, func, *args) -> None:
    """Run func(*args) and put its result (or its error) in a future created before the work was queued."""
    try:
        future.set_result(func(*args))
    except BaseException as err:  # noqa: BLE001 - whoever waits on the future re-raises it
        future.set_exception(err)


def _load_catalog(policies: Path):
    from tapgate.gate.catalog import load_catalog

    return load_catalog(policies)


def _load_register(policies: Path):
    from tapgate.gate import waivers

    return waivers.load_register(policies / "waivers.yaml", dt.datetime.now(dt.UTC).date())


def _policy_hashes(policies: Path) -> dict[str, str]:
    from tapgate.gate.provenance import policy_hashes

    return policy_hashes(policies)


def _git_state(root: Path):
    from tapgate.gate.provenance import git_state

    return git_state(root)


def _judged(
    found: list[Finding], runs: list[EngineRun], opts: CheckOptions, catalog, templates
) -> list[Finding]:
    """The engines' findings plus a PASS/SKIP for every catalog rule an engine that ran said nothing about."""
    from tapgate.gate import findings as finishing

    ran_ok = {run.name for run in runs if run.ok}
    if opts.control_tower and "cfn-guard" in ran_ok and all(run.name != "control-tower" for run in runs):
        ran_ok.add("control-tower")  # the pack ran inside the cfn-guard process
    return found + finishing.not_reported(catalog, ran_ok, found, templates)


def _context(opts: CheckOptions, templates, policies: Path, scratch: Path) -> EngineContext:
    return EngineContext(
        templates=templates,
        root=policies.parent,
        policies=policies,
        inputs=engine_inputs(templates, opts.strict, scratch),
        timeout_s=opts.timeout_s,
        strict=opts.strict,
        commands=opts.engine_commands,
        guard_bin=opts.guard_bin,
    )


def _attach_pack(names: list[str], ctx: EngineContext, control_tower: bool) -> list:
    """The Control Tower pack rides in the cfn-guard process; not finding it fails that engine."""
    if not control_tower:
        return []
    if "cfn-guard" not in names:
        raise UsageError("--control-tower runs inside the cfn-guard engine: do not leave it out")
    problem = attach_control_tower(ctx)
    return [(problem, [])] if problem is not None else []


def attach_control_tower(ctx: EngineContext) -> EngineRun | None:
    from tapgate.model import EngineRun

    try:
        ctx.control_tower = control_tower_rules()
    except EngineError as err:
        return EngineRun(name="control-tower", ok=False, error=str(err))
    return None


def _options(opts: CheckOptions) -> dict:
    return {
        "strict": opts.strict,
        "fast": opts.fast,
        "engines": opts.engine_names(),
        "control_tower": opts.control_tower,
        "timeout_s": opts.timeout_s,
    }
