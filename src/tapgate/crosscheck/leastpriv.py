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
from dataclasses import dataclass, field

from tapgate.crosscheck import needs as needs_of
from tapgate.crosscheck.actions import Need
from tapgate.crosscheck.codescan import Unknown
from tapgate.crosscheck.context import CrossContext
from tapgate.crosscheck.policy import RoleGrants, role_grants, role_of
from tapgate.crosscheck.project import Project
from tapgate.model import Finding, Status
from tapgate.template import pointer

MISSING, UNUSED, UNDECIDABLE = "TAPX_IAM_MISSING_ACTION", "TAPX_IAM_UNUSED_ACTION", "TAPX_IAM_UNDECIDABLE"


@dataclass
class _Principals:
    """What every role in the template is asked to do, by whom, and what could not be worked out."""

    needs: dict[str, list[Need]] = field(default_factory=lambda: defaultdict(list))
    unknowns: dict[str, list[Unknown]] = field(default_factory=lambda: defaultdict(list))
    users: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    skipped: dict[str, str] = field(default_factory=dict)  # role -> why its code was not analysed
    external: list[tuple[str, str]] = field(
        default_factory=list
    )  # (principal, property) with a role elsewhere


def check(ctx: CrossContext, project: Project) -> list[Finding]:
    found = _collect(ctx, project)
    findings: list[Finding] = []
    for principal, prop in found.external:
        findings.append(
            ctx.finding(
                UNDECIDABLE,
                Status.FAIL,
                principal,
                pointer("Resources", principal, "Properties", prop),
                f"{principal}'s role is not defined in this template: "
                "its grants cannot be compared with its needs",
                "define the role in the template, or suppress with Metadata.tapgate.Suppress and the reason",
                what="external role",
            )
        )
    for role in sorted(found.users):
        at = pointer("Resources", role)
        if role in found.skipped:
            findings += [
                ctx.finding(rule, Status.SKIP, role, at, "code not analysed", reason=found.skipped[role])
                for rule in (MISSING, UNUSED, UNDECIDABLE)
            ]
            continue
        grants = role_grants(ctx.data, role)
        findings += _compare(ctx, role, found.users[role], found.needs[role], grants, found.unknowns[role])
    return findings


def _collect(ctx: CrossContext, project: Project) -> _Principals:
    found = _Principals()
    resources = ctx.data.get("Resources") or {}
    for fn in project.functions:
        if fn.role not in resources:
            found.external.append((fn.lid, "Role"))
            continue
        found.users[fn.role].append(fn.lid)
        if fn.facts is None:
            found.skipped[fn.role] = (
                f"no code directory (looked for {ctx.code_dir or 'lambdas/ beside the template'})"
                if ctx.code_dir is None
                else (fn.problem or "the handler's code was not analysed")
            )
            continue
        code, unknown = needs_of.code_needs(fn.facts, ctx.data)
        found.needs[fn.role] += code + needs_of.function_platform_needs(
            fn.lid, fn.resource, fn.facts, ctx.data
        )
        found.unknowns[fn.role] += unknown
    for lid, res in _state_machines(ctx).items():
        role = role_of((res.get("Properties") or {}).get("RoleArn"))
        if role not in resources:
            found.external.append((lid, "RoleArn"))
            continue
        found.users[role].append(lid)
        needed, unknown = needs_of.state_machine_needs(lid, res, ctx.data)
        found.needs[role] += needed
        found.unknowns[role] += unknown
    for role, needed in needs_of.target_role_needs(ctx.data).items():
        if role in resources:
            found.users[role].append("EventBridge")
            found.needs[role] += needed
    return found


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
    findings = []
    for action in sorted(by_action):
        if not grants.allowed(action):
            gaps = [(action, "", by_action[action])]
        else:  # granted: on every template resource it must reach? (functions a Task invokes, rule targets)
            targets = sorted({n.target for n in by_action[action] if n.target})
            gaps = [
                (action, t, [n for n in by_action[action] if n.target == t])
                for t in targets
                if not grants.allowed(action, t)
            ]
        findings += [_missing_finding(ctx, role, at, who, *gap) for gap in gaps]
    if not findings:
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


def _missing_finding(ctx, role, at, who, action: str, target: str, needs: list[Need]) -> Finding:
    first = needs[0]
    is_code = not first.location.startswith("/")
    on = f" on {target}" if target else ""
    return ctx.finding(
        MISSING,
        Status.FAIL,
        role,
        at,
        f"{role} lacks {action}{on}, which {who} needs: {first.reason} at {first.location}",
        f"add {action} to a statement of {role}"
        + (f" with {target} in its Resource" if target else " (scoped to the resource the code uses)"),
        code_location=first.location.split(" (via")[0] if is_code else None,
        action=action,
        target=target or None,
        needed_at=[f"{n.location} ({n.reason})" for n in needs],
    )


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
