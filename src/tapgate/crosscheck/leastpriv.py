"""Least privilege from the code: each role's grants against what its principals need.

- missing (`TAPX_IAM_MISSING_ACTION`): an action needed that no Allow statement of the role grants;
  reported on the role with the code location (or template property) that needs it;
- unused (`TAPX_IAM_UNUSED_ACTION`): a granted Action entry that allows nothing any principal of the role
  needs; reported on the role with the JSON pointer of that entry;
- undecidable (`TAPX_IAM_UNDECIDABLE`): what could not be worked out (a service or operation named at run
  time, a managed policy from outside the template). It fails: an unchecked role is not a checked one.

Actions are compared, not resources: resource scoping is judged by the guard rules on the template.
"""

from __future__ import annotations

from collections import defaultdict

from tapgate.crosscheck import needs as needs_of
from tapgate.crosscheck.actions import Need
from tapgate.crosscheck.codescan import Unknown
from tapgate.crosscheck.context import CrossContext
from tapgate.crosscheck.policy import RoleGrants, role_grants, role_of
from tapgate.crosscheck.project import Project
from tapgate.model import Finding, Status
from tapgate.template import pointer

MISSING, UNUSED, UNDECIDABLE = "TAPX_IAM_MISSING_ACTION", "TAPX_IAM_UNUSED_ACTION", "TAPX_IAM_UNDECIDABLE"


def check(ctx: CrossContext, project: Project) -> list[Finding]:
    role_needs: dict[str, list[Need]] = defaultdict(list)
    role_unknowns: dict[str, list[Unknown]] = defaultdict(list)
    principals: dict[str, list[str]] = defaultdict(list)
    skipped: dict[str, str] = {}
    for fn in project.functions:
        if fn.role is None:
            continue
        principals[fn.role].append(fn.lid)
        if fn.facts is None:
            skipped[fn.role] = (
                f"no code directory (looked for {ctx.code_dir or 'lambdas/ beside the template'})"
                if ctx.code_dir is None
                else (fn.problem or "the handler's code was not analysed")
            )
            continue
        code, unknown = needs_of.code_needs(fn.facts, ctx.data)
        role_needs[fn.role] += code + needs_of.function_platform_needs(
            fn.lid, fn.resource, fn.facts, ctx.data
        )
        role_unknowns[fn.role] += unknown
    for lid, res in _state_machines(ctx).items():
        role = role_of((res.get("Properties") or {}).get("RoleArn"))
        if role:
            principals[role].append(lid)
            found, unknown = needs_of.state_machine_needs(lid, res, ctx.data)
            role_needs[role] += found
            role_unknowns[role] += unknown
    for role, found in needs_of.target_role_needs(ctx.data).items():
        principals[role].append("EventBridge")
        role_needs[role] += found
    findings: list[Finding] = []
    for role in sorted(principals):
        if role in skipped:
            findings += [
                ctx.finding(
                    rule,
                    Status.SKIP,
                    role,
                    pointer("Resources", role),
                    "code not analysed",
                    reason=skipped[role],
                )
                for rule in (MISSING, UNUSED, UNDECIDABLE)
            ]
            continue
        grants = role_grants(ctx.data, role)
        findings += _compare(ctx, role, principals[role], role_needs[role], grants, role_unknowns[role])
    return findings


def _state_machines(ctx: CrossContext) -> dict:
    from tapgate.crosscheck.asl import state_machines

    return state_machines(ctx.data)


def _compare(ctx, role, principals, needs, grants: RoleGrants, unknowns) -> list[Finding]:
    at = pointer("Resources", role)
    who = ", ".join(sorted(set(principals)))
    by_action: dict[str, list[Need]] = defaultdict(list)
    for need in needs:
        by_action[need.action].append(need)
    return [
        *_undecidable(ctx, role, at, who, unknowns, grants),
        *_missing(ctx, role, at, who, by_action, grants),
        *_unused(ctx, role, at, who, by_action, grants),
    ]


def _missing(ctx, role, at, who, by_action: dict[str, list[Need]], grants: RoleGrants) -> list[Finding]:
    missing = [a for a in sorted(by_action) if not grants.allowed(a)]
    findings = []
    for action in missing:
        first = by_action[action][0]
        is_code = not first.location.startswith("/")
        findings.append(
            ctx.finding(
                MISSING,
                Status.FAIL,
                role,
                at,
                f"{role} lacks {action}, which {who} needs: {first.reason} at {first.location}",
                f"add {action} to a statement of {role} (scoped to the resource the code uses)",
                code_location=first.location.split(" (via")[0] if is_code else None,
                action=action,
                needed_at=[f"{n.location} ({n.reason})" for n in by_action[action]],
            )
        )
    if not missing:
        findings.append(
            ctx.finding(
                MISSING,
                Status.PASS,
                role,
                at,
                f"{role} grants all {len(by_action)} actions that {who} need",
                actions=sorted(by_action),
            )
        )
    return findings


def _unused(ctx, role, at, who, by_action: dict[str, list[Need]], grants: RoleGrants) -> list[Finding]:
    unused = [g for g in grants.grants if not any(g.allows(a) for a in by_action)]
    findings = [
        ctx.finding(
            UNUSED,
            Status.FAIL,
            role,
            grant.pointer,
            f"{role} grants {grant.action} (statement {grant.sid or grant.pointer}) but no code path or "
            f"configuration of {who} uses it",
            f"remove {grant.action} from {grant.resource}",
            action=grant.action,
            statement=grant.pointer,
        )
        for grant in unused
    ]
    if not unused:
        findings.append(
            ctx.finding(
                UNUSED,
                Status.PASS,
                role,
                at,
                f"every action {role} grants is used by {who}",
                grants=[g.action for g in grants.grants],
            )
        )
    return findings


def _undecidable(ctx, role, at, who, unknowns: list[Unknown], grants: RoleGrants) -> list[Finding]:
    findings = []
    for unknown in sorted(set(unknowns), key=lambda u: (u.location, u.what)):
        code = not unknown.location.startswith("/")
        findings.append(
            ctx.finding(
                UNDECIDABLE,
                Status.FAIL,
                role,
                at if code else unknown.location,
                f"cannot decide what {who} needs: {unknown.what} at {unknown.location}",
                "name the service and operation with literals (or a helper called with literals), "
                "or suppress with Metadata.tapgate.Suppress and the reason",
                code_location=unknown.location if code else None,
                what=unknown.what,
            )
        )
    for opaque in grants.opaque:
        findings.append(
            ctx.finding(
                UNDECIDABLE,
                Status.FAIL,
                role,
                at,
                f"cannot read all grants of {role}: {opaque}",
                "define the policy in the template",
                what=opaque,
            )
        )
    if not findings:
        findings.append(ctx.finding(UNDECIDABLE, Status.PASS, role, at, f"every call of {who} was decided"))
    return findings
