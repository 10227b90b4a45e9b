"""A role's granted actions as written in the template, each with the JSON pointer of its Action entry.

A role's statements are its inline `Policies`, plus every `AWS::IAM::Policy`, `AWS::IAM::RolePolicy` and
`AWS::IAM::ManagedPolicy` in the template attached to it (by `Ref` to the role, or by its `RoleName`).
Managed policies from outside the template (`ManagedPolicyArns` with an ARN string) cannot be read, so
they are reported as undecidable rather than assumed empty.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

from tapgate.template import pointer

ATTACHED_POLICY_TYPES = {"AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy"}


@dataclass(frozen=True)
class Grant:
    """One Action entry of one Allow statement."""

    action: str  # as written: "s3:PutObject", "s3:Get*", "*"
    pointer: str  # JSON pointer to this entry in the template
    resource: str  # the logical id holding the statement (the role, or a policy resource)
    sid: str = ""
    resources: tuple[str, ...] = ()  # the statement's Resource entries, as JSON text

    def allows(self, action: str) -> bool:
        return fnmatch.fnmatchcase(action.lower(), self.action.lower())

    def covers(self, target: str) -> bool:
        """Whether the statement's Resource can name the template resource `target`.

        Yes for "*", for a reference to it (Ref, GetAtt, ${target} in Fn::Sub), and for a wildcard ARN of
        its kind (arn:...:function:prefix-*): a pattern is not resolved against the target's name, so it
        counts as covering. No for a list of other resources: that is the mistake worth catching.
        """
        for entry in self.resources:
            if entry == '"*"' or f'"{target}"' in entry or "${" + target + "}" in entry:
                return True
            if "${" + target + "." in entry or ("*" in entry and "arn:" in entry):
                return True
        return not self.resources


@dataclass
class RoleGrants:
    role: str
    grants: list[Grant] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)  # why some grants could not be read (external ARNs ...)

    def allowed(self, action: str, target: str = "") -> bool:
        return any(g.allows(action) and (not target or g.covers(target)) for g in self.grants)


def role_of(value: Any) -> str | None:
    """The logical id of a role referenced as {Fn::GetAtt: [R, Arn]} or {Ref: R}."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            parts = att if isinstance(att, list) else str(att).split(".", 1)
            return str(parts[0]) if parts else None
        if "Ref" in value:
            return str(value["Ref"])
    return None


def role_grants(template: dict[str, Any], role: str) -> RoleGrants:
    resources = template.get("Resources") or {}
    result = RoleGrants(role)
    props = (resources.get(role) or {}).get("Properties") or {}
    for i, policy in enumerate(props.get("Policies") or []):
        document = (policy or {}).get("PolicyDocument") or {}
        _statements(
            document, ("Resources", role, "Properties", "Policies", i, "PolicyDocument"), role, result
        )
    for arn in props.get("ManagedPolicyArns") or []:
        attached = role_of(arn)
        if attached is None or attached not in resources:
            result.opaque.append(f"managed policy {arn!r} is not in the template")
    role_name = props.get("RoleName")
    for lid, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") not in ATTACHED_POLICY_TYPES:
            continue
        rprops = res.get("Properties") or {}
        targets = [*(rprops.get("Roles") or []), *([rprops["RoleName"]] if "RoleName" in rprops else [])]
        attached_by_arn = any(role_of(a) == lid for a in props.get("ManagedPolicyArns") or [])
        if attached_by_arn or any(role_of(t) == role or (role_name and t == role_name) for t in targets):
            document = rprops.get("PolicyDocument") or {}
            _statements(document, ("Resources", lid, "Properties", "PolicyDocument"), lid, result)
    return result


def _statements(document: dict, base: tuple, holder: str, result: RoleGrants) -> None:
    statements = document.get("Statement")
    many = isinstance(statements, list)
    for i, statement in enumerate(statements if many else [statements]):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        where = (*base, "Statement", i) if many else (*base, "Statement")
        if "NotAction" in statement:
            result.opaque.append(f"{pointer(*where)} uses NotAction: what it allows is not enumerable")
            continue
        actions = statement.get("Action")
        listed = isinstance(actions, list)
        for j, action in enumerate(actions if listed else [actions]):
            if isinstance(action, str):
                at = pointer(*where, "Action", j) if listed else pointer(*where, "Action")
                resources = statement.get("Resource")
                listed_resources = resources if isinstance(resources, list) else [resources]
                texts = tuple(json.dumps(r, sort_keys=True) for r in listed_resources if r is not None)
                result.grants.append(Grant(action, at, holder, str(statement.get("Sid") or ""), texts))
