"""Scale budgets at a daily volume: history, Lambda concurrency, SES rate, Data API/ACU, end-to-end window.

The figures come from the template (Map MaxConcurrency, ReservedConcurrentExecutions, ACU range) and a
throughput model whose planning figures live in `MODEL` and are shown in every finding's `extra`, so a
reader can redo the sum. The volume checked is `--reports-per-day`; 50,000 is always checked as well:
the hard Step Functions history quota fails at either volume, the softer budgets at 50,000 are reported
as headroom (PASS with `over_budget` in extra) unless 50,000 is the volume asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tapgate.crosscheck import asl, budgets
from tapgate.crosscheck.context import CrossContext
from tapgate.crosscheck.policy import role_of
from tapgate.crosscheck.project import Project
from tapgate.model import Finding, Status
from tapgate.template import pointer

HISTORY, CONCURRENCY, SES, DATA_API, WINDOW = (
    "TAPX_SCALE_HISTORY",
    "TAPX_SCALE_CONCURRENCY",
    "TAPX_SCALE_SES_RATE",
    "TAPX_SCALE_DATA_API",
    "TAPX_SCALE_WINDOW",
)
# Planning figures (seconds of work per report per stage, overheads). Not AWS quotas: stated so they can be
# argued with. Data API: Aurora Serverless v2 sets no request-rate quota (Aurora User Guide, "Comparing RDS
# Data API behaviors"), so the budget is the cluster's capacity: statements per ACU-second below.
MODEL = {
    "seconds_per_report": {"generate": 0.30, "validate": 0.05, "deliver": 0.25, "confirm": 0.05},
    "invoke_overhead_s": 0.10,  # per Lambda task, incl. the state transition
    "ses_send_s": 0.10,  # one SES v2 SendEmail round trip
    "data_api_call_s": 0.05,  # one ExecuteStatement round trip
    "statements_per_acu_second": 50,
    "distributed_map_default_concurrency": 10_000,
    "inline_map_default_concurrency": 40,
    "account_concurrency": 1_000,
    "unreserved_minimum": 100,
}
DEFAULT_BATCH = 25  # docs/contract.md: one manifest item is a batch of at most 25 reports


@dataclass
class MapPlan:
    machine: str
    state: str
    items: int
    concurrency: int
    functions: list[str]  # logical ids invoked inside the Map's processor


def check(ctx: CrossContext, project: Project) -> list[Finding]:
    findings: list[Finding] = []
    batch = batch_size(project)
    for reports in ctx.volumes():
        headroom = reports != ctx.reports_per_day
        findings += _history(ctx, reports)
        plans = map_plans(ctx.data, reports, batch)
        findings += _soft(ctx, _concurrency(ctx, reports, plans), headroom)
        findings += _soft(ctx, _ses(ctx, project, reports, plans, batch), headroom)
        findings += _soft(ctx, _data_api(ctx, project, reports, plans), headroom)
        findings += _soft(ctx, _window(ctx, reports, plans, batch), headroom)
    return findings


def batch_size(project: Project) -> int:
    """Reports per manifest item: a BATCH constant of the plan module, else the contract's 25."""
    import ast

    for fn in project.functions:
        if fn.facts is None or not project.analyzer:
            continue
        module = project.analyzer.index.find(fn.module)
        for node in module.tree.body if module else []:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any("BATCH" in n.upper() and "SIZE" in n.upper() for n in names) and isinstance(
                    node.value.value, int
                ):
                    return max(1, node.value.value)
    return DEFAULT_BATCH


def map_plans(template: dict[str, Any], reports: int, batch: int) -> list[MapPlan]:
    plans = []
    for lid, res in asl.state_machines(template).items():
        definition, _ = asl.definition(res)
        subs = asl.substitutions(res)
        for state in asl.walk(definition or {}):
            if state.body.get("Type") != "Map":
                continue
            items = budgets.map_items(state.body, reports, batch)
            default = MODEL[
                "distributed_map_default_concurrency"
                if asl.is_distributed(state.body)
                else "inline_map_default_concurrency"
            ]
            limit = state.body.get("MaxConcurrency") or default
            processor = state.body.get("ItemProcessor") or state.body.get("Iterator") or {}
            functions = sorted(
                {
                    role_of(subs.get(name)) or name
                    for name in asl.placeholders(processor)
                    if (template["Resources"].get(role_of(subs.get(name)) or "") or {}).get("Type")
                    == "AWS::Lambda::Function"
                }
            )
            plans.append(MapPlan(lid, state.name, items, min(items, int(limit)), functions))
    return plans


def _soft(ctx: CrossContext, findings: list[Finding], headroom: bool) -> list[Finding]:
    if not headroom:
        return findings
    for finding in findings:
        if finding.status is Status.FAIL:
            finding.status, finding.severity = Status.PASS, finding.severity.__class__.INFO
            finding.extra["over_budget"] = True
            finding.message = "headroom only (not the volume checked): " + finding.message
    return findings


def _history(ctx: CrossContext, reports: int) -> list[Finding]:
    findings = []
    for history in budgets.history_estimates(ctx.data, reports):
        at = pointer("Resources", history.state_machine)
        over = history.events > budgets.HISTORY_LIMIT
        extra = {
            "reports": reports,
            "events": history.events,
            "limit": budgets.HISTORY_LIMIT,
            "scope": history.scope,
            "executions": history.executions,
            "retry_rate": budgets.DEFAULT_RETRY_RATE,
        }
        if history.loops:
            extra["loops_counted_once"] = history.loops
        message = (
            f"{history.state_machine} ({history.scope}) at {reports:,} reports/day: about "
            f"{history.events:,} history events per execution vs the {budgets.HISTORY_LIMIT:,} limit"
        )
        findings.append(
            ctx.finding(
                HISTORY,
                Status.FAIL if over else Status.PASS,
                history.state_machine,
                at,
                message,
                "iterate in a DISTRIBUTED Map (each child has its own history) or batch items"
                if over
                else "",
                **extra,
            )
        )
    return findings


def _concurrency(ctx: CrossContext, reports: int, plans: list[MapPlan]) -> list[Finding]:
    resources = ctx.data.get("Resources") or {}
    peaks: dict[str, int] = {}
    for plan in plans:
        for fn in plan.functions:
            peaks[fn] = max(peaks.get(fn, 1), plan.concurrency)
    findings = []
    for fn, peak in sorted(peaks.items()):
        reserved = (resources[fn].get("Properties") or {}).get("ReservedConcurrentExecutions")
        at = pointer("Resources", fn, "Properties", "ReservedConcurrentExecutions")
        extra = {"reports": reports, "peak_concurrency": peak, "reserved": reserved}
        if isinstance(reserved, int) and reserved < peak:
            findings.append(
                ctx.finding(
                    CONCURRENCY,
                    Status.FAIL,
                    fn,
                    at,
                    f"{fn}: {peak} concurrent invocations at {reports:,} reports/day, "
                    f"{reserved} reserved: the rest throttle",
                    "raise ReservedConcurrentExecutions or lower the Map's MaxConcurrency",
                    **extra,
                )
            )
        else:
            findings.append(
                ctx.finding(
                    CONCURRENCY,
                    Status.PASS,
                    fn,
                    pointer("Resources", fn),
                    f"{fn}: peak {peak} concurrent within reserved {reserved}",
                    **extra,
                )
            )
    return findings + _account_concurrency(ctx, resources)


def _account_concurrency(ctx: CrossContext, resources: dict) -> list[Finding]:
    """Reservations must leave Lambda its 100 unreserved executions in the account."""
    reserved_total = sum(
        int((r.get("Properties") or {}).get("ReservedConcurrentExecutions") or 0)
        for r in resources.values()
        if isinstance(r, dict) and r.get("Type") == "AWS::Lambda::Function"
    )
    if MODEL["account_concurrency"] - reserved_total >= MODEL["unreserved_minimum"]:
        return []
    return [
        ctx.finding(
            CONCURRENCY,
            Status.FAIL,
            None,
            "",
            f"functions reserve {reserved_total} of {MODEL['account_concurrency']}: Lambda needs "
            f"{MODEL['unreserved_minimum']} unreserved",
            "reserve less",
            reserved_total=reserved_total,
        )
    ]


def _senders(project: Project) -> dict[str, float | None]:
    """function -> its own send-rate cap (SES_MAX_SEND_RATE env or a SEND_RATE constant), for SES senders."""
    senders: dict[str, float | None] = {}
    for fn in project.functions:
        if fn.facts and any(
            c.service in ("ses", "sesv2") and c.method.startswith("send") for c in fn.facts.calls
        ):
            cap = fn.environment.get("SES_MAX_SEND_RATE")
            senders[fn.lid] = (
                float(cap)
                if isinstance(cap, int | float | str) and str(cap).replace(".", "").isdigit()
                else None
            )
    return senders


def _ses(
    ctx: CrossContext, project: Project, reports: int, plans: list[MapPlan], batch: int
) -> list[Finding]:
    senders = _senders(project)
    if not senders:
        why = "no code directory" if ctx.code_dir is None else "no function's code sends through SES"
        return [ctx.finding(SES, Status.SKIP, None, "", "no SES sender to pace", reason=why, reports=reports)]
    findings = []
    for fn, cap in sorted(senders.items()):
        concurrency = max([p.concurrency for p in plans if fn in p.functions] or [1])
        reserved = (ctx.data["Resources"][fn].get("Properties") or {}).get("ReservedConcurrentExecutions")
        if isinstance(reserved, int):
            concurrency = min(concurrency, reserved)
        per_invocation = cap or 1 / (MODEL["seconds_per_report"]["deliver"])
        rate = min(concurrency * per_invocation, reports / 1.0)
        extra = {
            "reports": reports,
            "peak_sends_per_s": round(rate, 1),
            "quota_per_s": ctx.ses_rate,
            "concurrency": concurrency,
            "per_invocation_rate": round(per_invocation, 2),
            "model": MODEL,
        }
        at = pointer("Resources", fn)
        if rate > ctx.ses_rate:
            findings.append(
                ctx.finding(
                    SES,
                    Status.FAIL,
                    fn,
                    at,
                    f"{fn} can send about {rate:.0f} emails/s "
                    f"({concurrency} concurrent × {per_invocation:.1f}/s) vs the SES quota of "
                    f"{ctx.ses_rate:g}/s",
                    "cap the send rate (SES_MAX_SEND_RATE) or lower the sender's reserved concurrency",
                    **extra,
                )
            )
        else:
            findings.append(
                ctx.finding(
                    SES,
                    Status.PASS,
                    fn,
                    at,
                    f"{fn}: peak {rate:.1f} sends/s within {ctx.ses_rate:g}/s",
                    **extra,
                )
            )
    return findings


def _data_api(ctx: CrossContext, project: Project, reports: int, plans: list[MapPlan]) -> list[Finding]:
    users = {
        fn.lid
        for fn in project.functions
        if fn.facts and any(c.service == "rds-data" for c in fn.facts.calls)
    }
    concurrent = max([p.concurrency for p in plans] or [1]) if users else 0
    rate = concurrent / MODEL["data_api_call_s"]
    findings = []
    for lid, res in (ctx.data.get("Resources") or {}).items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::RDS::DBCluster":
            continue
        scaling = (res.get("Properties") or {}).get("ServerlessV2ScalingConfiguration") or {}
        max_acu = float(scaling.get("MaxCapacity") or 0)
        needed = rate / MODEL["statements_per_acu_second"]
        extra = {
            "reports": reports,
            "statements_per_s": round(rate, 1),
            "acu_needed": round(needed, 2),
            "acu_max": max_acu,
            "concurrent_callers": concurrent,
            "model": MODEL,
        }
        at = pointer("Resources", lid, "Properties", "ServerlessV2ScalingConfiguration")
        over = bool(max_acu) and needed > max_acu
        findings.append(
            ctx.finding(
                DATA_API,
                Status.FAIL if over else Status.PASS,
                lid,
                at,
                f"{lid}: about {rate:.0f} Data API statements/s need ~{needed:.1f} ACU of max {max_acu:g}",
                "raise MaxCapacity or lower the Map's MaxConcurrency" if over else "",
                **extra,
            )
        )
    return findings


def _window(ctx: CrossContext, reports: int, plans: list[MapPlan], batch: int) -> list[Finding]:
    findings = []
    for lid in asl.state_machines(ctx.data):
        stages = [_stage_seconds(ctx, plan, batch, reports) for plan in plans if plan.machine == lid]
        compute = sum(_pipeline_seconds(stage) for stage in stages)
        ses_floor = reports / ctx.ses_rate if ctx.ses_rate else 0.0
        seconds = max(compute, ses_floor) + 2 * MODEL["invoke_overhead_s"]
        minutes = seconds / 60
        bottleneck = max(
            (s for stage in stages for s in stage), key=lambda s: math.ceil(s[3] / s[2]) * s[1], default=None
        )
        extra = {
            "reports": reports,
            "minutes": round(minutes, 1),
            "deadline_minutes": ctx.deadline_minutes,
            "compute_minutes": round(compute / 60, 1),
            "ses_floor_minutes": round(ses_floor / 60, 1),
            "batch": batch,
            "bottleneck": bottleneck[0] if bottleneck else None,
            "model": MODEL,
        }
        over = minutes > ctx.deadline_minutes
        findings.append(
            ctx.finding(
                WINDOW,
                Status.FAIL if over else Status.PASS,
                lid,
                pointer("Resources", lid),
                f"{lid}: about {minutes:.0f} min end to end at {reports:,} reports/day vs a "
                f"{ctx.deadline_minutes:g} min deadline"
                + (f" (bottleneck {bottleneck[0]}, {bottleneck[2]} at a time)" if bottleneck else ""),
                "raise the bottleneck's concurrency (within the SES quota) or the SES quota" if over else "",
                **extra,
            )
        )
    return findings


def _stage_seconds(ctx: CrossContext, plan: MapPlan, batch: int, reports: int) -> list[tuple]:
    """(function, seconds per item, concurrency, items) for each function a Map's items pass through."""
    resources = ctx.data.get("Resources") or {}
    stages = []
    for fn in plan.functions:
        props = (resources.get(fn) or {}).get("Properties") or {}
        stage = str(props.get("Handler") or "").split(".")[0]
        per_report = MODEL["seconds_per_report"].get(stage, 0.02)
        per_item = min(batch, reports) * per_report + MODEL["invoke_overhead_s"]
        reserved = props.get("ReservedConcurrentExecutions")
        concurrency = (
            min(plan.concurrency, reserved)
            if isinstance(reserved, int) and reserved > 0
            else plan.concurrency
        )
        stages.append((fn, per_item, max(1, concurrency), plan.items))
    return stages


def _pipeline_seconds(stages: list[tuple]) -> float:
    """Items flow through the stages: the slowest stage's throughput, plus one item through the others."""
    if not stages:
        return 0.0
    bottleneck = max(math.ceil(items / concurrency) * per_item for _, per_item, concurrency, items in stages)
    fill = sum(per_item for _, per_item, _, _ in stages)
    return bottleneck + fill
