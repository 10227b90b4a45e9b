"""TAP_IAM_ONE_ROLE_PER_FUNCTION: every Lambda function has its own execution role, defined in this template.

A shared role gives each function the union of every sharer's permissions, so least privilege per function
(and the crosscheck of actions against each function's code) is lost. Every function that shares a role
FAILs, whichever was added last: the verdict does not depend on logical ids or their order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tapgate.checks.base import Check, Verdict, resources_of
from tapgate.checks.refs import single_reference
from tapgate.model import Severity, Status

FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")


class OneRolePerFunction(Check):
    rule = "TAP_IAM_ONE_ROLE_PER_FUNCTION"
    title = "One execution role per Lambda function"
    severity = Severity.HIGH
    resource_types = FUNCTION_TYPES
    fix = "Give the function its own AWS::IAM::Role with only the actions its code calls."

    def verdicts(self, data: dict[str, Any]) -> Iterator[Verdict]:
        resources = data.get("Resources") or {}
        role_of: dict[str, str | None] = {}
        for logical_id, resource in resources_of(data, self.resource_types):
            role = single_reference((resource.get("Properties") or {}).get("Role"))
            role_of[logical_id] = role if role in resources else None
        users: dict[str, list[str]] = {}
        for function, role in role_of.items():
            if role:
                users.setdefault(role, []).append(function)
        for function, role in role_of.items():
            yield self._verdict(function, role, sorted(users.get(role or "", [])))

    def _verdict(self, function: str, role: str | None, sharers: list[str]) -> Verdict:
        where = ("Properties", "Role")
        if role is None:
            message = (
                f"{function}'s role is not a role of this template, so its permissions cannot be judged."
            )
            return Verdict(function, Status.FAIL, message, where)
        if len(sharers) > 1:
            message = (
                f"{function} shares its role {role} with {', '.join(f for f in sharers if f != function)}."
            )
            return Verdict(
                function, Status.FAIL, message, where, extra={"role": role, "shared_with": sharers}
            )
        return Verdict(function, Status.PASS, f"{function} has its own role {role}.", where)
