"""Resolve CloudFormation intrinsics against a stack that exists (in moto), so nothing is retyped by hand.

moto drops or skips part of TapStack.json (bucket versioning, Object Lock, secrets, SES, the DB cluster …).
The harness applies those parts itself, from the template's own properties; this resolver turns their
`Ref`/`Fn::GetAtt`/`Fn::Sub`/`Fn::Join`/… into concrete values using the created stack's physical ids, the
parameters given to `create_stack`, and the attributes of the resources the harness created itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # AWS::NoValue: the key (or list item) disappears
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class ResolveError(ValueError):
    """An intrinsic names something the stack does not have."""


@dataclass
class Resolver:
    """Everything a `Ref` or `Fn::GetAtt` can point at, for one deployed stack."""

    template: dict[str, Any]
    parameters: dict[str, str]
    physical_ids: dict[str, str]  # logical id -> physical id (Ref of a resource)
    region: str = "us-east-1"
    account: str = "123456789012"
    stack_name: str = "tapstack"
    stack_id: str = ""
    # (logical id, attribute) -> value, for resources the harness created itself (DB cluster, secret …)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    # fallback for GetAtt on resources moto created: (logical id, attribute) -> value
    moto_attribute: Callable[[str, str], Any] | None = None
    # fallback for Ref on resources moto created without listing a physical id
    moto_ref: Callable[[str], Any] | None = None

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::URLSuffix": "amazonaws.com",
        }

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        declared = self.template.get("Parameters", {}).get(name)
        if declared is not None and "Default" in declared:
            return declared["Default"]
        if name in self.physical_ids:
            return self.physical_ids[name]
        if self.moto_ref is not None:
            value = self.moto_ref(name)
            if value is not None:
                return value
        raise ResolveError(f"Ref {name}: no such parameter or created resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        if self.moto_attribute is not None:
            value = self.moto_attribute(logical_id, attribute)
            if value is not None:
                return value
        raise ResolveError(f"Fn::GetAtt {logical_id}.{attribute}: not known for the created stack")

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, node: Any) -> Any:
        """`node` with every intrinsic replaced by its value (AWS::NoValue entries removed)."""
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                return handler(self, arg)
        out = {}
        for key, value in node.items():
            resolved = self.resolve(value)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resolved Properties of one resource of the template."""
        return self.resolve(self.template["Resources"][logical_id].get("Properties", {}))

    def sub(self, text: str, variables: dict[str, Any] | None = None) -> str:
        variables = variables or {}

        def value_of(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return _as_text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return _as_text(self.get_att(logical_id, attribute))
            return _as_text(self.ref(name))

        # `${!Literal}` is the escape for a literal `${Literal}`
        return _SUB_VAR.sub(value_of, text).replace("${!", "${")


def _as_text(value: Any) -> str:
    return (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, dict | list)
        else str(value)
    )


def _fn_sub(r: Resolver, arg: Any) -> str:
    if isinstance(arg, str):
        return r.sub(arg)
    text, variables = arg
    return r.sub(text, {k: r.resolve(v) for k, v in variables.items()})


def _fn_get_att(r: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    return r.get_att(r.resolve(arg[0]), r.resolve(arg[1]))


def _fn_if(r: Resolver, arg: Any) -> Any:
    name, if_true, if_false = arg
    return r.resolve(if_true if r.condition(name) else if_false)


def _fn_find_in_map(r: Resolver, arg: Any) -> Any:
    name, top, second = (r.resolve(a) for a in arg[:3])
    return r.template["Mappings"][name][top][second]


_INTRINSICS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, a: r.ref(a),
    "Fn::GetAtt": _fn_get_att,
    "Fn::Sub": _fn_sub,
    "Fn::Join": lambda r, a: r.resolve(a[0]).join(_as_text(v) for v in r.resolve(a[1])),
    "Fn::Select": lambda r, a: r.resolve(a[1])[int(r.resolve(a[0]))],
    "Fn::Split": lambda r, a: r.resolve(a[1]).split(r.resolve(a[0])),
    "Fn::If": _fn_if,
    "Fn::Equals": lambda r, a: r.resolve(a[0]) == r.resolve(a[1]),
    "Fn::Not": lambda r, a: not r.resolve(a[0]),
    "Fn::And": lambda r, a: all(r.resolve(x) for x in a),
    "Fn::Or": lambda r, a: any(r.resolve(x) for x in a),
    "Condition": lambda r, a: r.condition(a),
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::GetAZs": lambda r, a: [f"{r.region}{s}" for s in "abc"],
    "Fn::Base64": lambda r, a: __import__("base64").b64encode(r.resolve(a).encode()).decode(),
    "Fn::ToJsonString": lambda r, a: json.dumps(r.resolve(a)),
}
