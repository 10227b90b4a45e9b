"""One gate run: load the templates, run the engines concurrently, finish and judge the findings.

`run_check(options) -> GateResult`. Input errors raise InputError (exit 2) before any engine starts.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tapgate import template as template_module
from tapgate.engines.base import EngineContext
from tapgate.engines.provision import control_tower_rules
from tapgate.errors import EngineError, UsageError
from tapgate.gate import findings as finishing
from tapgate.gate import provenance, verdict, waivers
from tapgate.gate.catalog import load_catalog
from tapgate.gate.inputs import engine_inputs
from tapgate.gate.options import CheckOptions
from tapgate.gate.runner import Progress, run_engines
from tapgate.model import EngineRun, Finding, GateResult


def run_check(
    opts: CheckOptions, policies: Path, versions: dict[str, str], progress: Progress | None = None
) -> GateResult:
    started_at = provenance.utc_now()
    templates = [template_module.load(path) for path in opts.templates]
    catalog = load_catalog(policies)
    waivers_file = policies / "waivers.yaml"
    register = waivers.load_register(waivers_file, _today())
    names = opts.engine_names()
    with tempfile.TemporaryDirectory(prefix="tapgate-") as scratch, ThreadPoolExecutor(2) as side:
        git = side.submit(provenance.git_state, policies.parent)
        for tpl in templates:  # decode line marks while the engines run, not after them
            side.submit(lambda t=tpl: t.spans)
        ctx = _context(opts, templates, policies, Path(scratch))
        ctx.catalog_rules = {engine: catalog.rules_of(engine, patterns=True) for engine in names}
        runs = _run(names, ctx, versions, progress, opts.control_tower)
        git_state = git.result()
    engine_runs = [run for run, _ in runs]
    found = _judged([f for _, found in runs for f in found], engine_runs, opts, catalog, templates)
    waivers.apply_waivers(found, register)
    found += waivers.problem_findings(register, waivers_file)
    found = finishing.finish(found, templates, catalog)
    controls = verdict.control_results(catalog.controls, found)
    hashes = {t.path: t.sha256 for t in templates}
    return GateResult(
        provenance=provenance.build(
            hashes, policies, opts.command, versions, _options(opts), git_state, started_at
        ),
        summary=verdict.summarize(engine_runs, controls, found),
        engines=engine_runs,
        controls=controls,
        regulations=catalog.regulations,
        findings=found,
        waivers=register + waivers.suppression_entries(found),
    )


def _judged(
    found: list[Finding], runs: list[EngineRun], opts: CheckOptions, catalog, templates
) -> list[Finding]:
    """The engines' findings plus a PASS/SKIP for every catalog rule an engine that ran said nothing about."""
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


def _run(
    names: list[str], ctx: EngineContext, versions: dict, progress, control_tower: bool
) -> list[tuple[EngineRun, list[Finding]]]:
    """The Control Tower pack rides in the cfn-guard process; not finding it fails that engine."""
    failed: list[tuple[EngineRun, list[Finding]]] = []
    if control_tower:
        if "cfn-guard" not in names:
            raise UsageError("--control-tower runs inside the cfn-guard engine: do not leave it out")
        problem = attach_control_tower(ctx)
        if problem is not None:
            failed.append((problem, []))
    return failed + run_engines(names, ctx, versions, progress)


def attach_control_tower(ctx: EngineContext) -> EngineRun | None:
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


def _today():
    import datetime as dt

    return dt.datetime.now(dt.UTC).date()
