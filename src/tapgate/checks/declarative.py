"""Declarative checks: a jsonpath-ng selector and an expectation, like checkov's value checks.

`ValueCheck` selects values inside each resource of its types (`selector`, a JSONPath relative to the
resource) and expects each selected value to satisfy `expect(key, value)`. Every value that does not is a
FAIL at its own JSON pointer; a resource whose values all hold is one PASS. `prepare` may rewrite a resource
first (e.g. parse a state machine's DefinitionString) and says where the rewritten part sits in the file.

The two descendant selectors the checks use, `$..*` and `$..NAME.*`, are walked directly: the same values
in jsonpath-ng's order (tests/unit/checks/test_declarative_walk.py), at a fraction of the cost of building a
DatumInContext per node over a whole template (issue 8: `--fast` runs these checks). Any other selector
goes through jsonpath-ng.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tapgate.checks.base import Check, Verdict, resources_of
from tapgate.model import Status

if TYPE_CHECKING:
    from jsonpath_ng import DatumInContext

DESCENDANTS = re.compile(r"^\$\.\.(?:([A-Za-z_][A-Za-z0-9_]*)\.)?\*$")  # `$..*` or `$..NAME.*`
Match = tuple[tuple[str | int, ...], str | int, Any]  # (pointer parts in the document, key, value)

# What `prepare` returns: the document to select in, its pointer parts below the resource, and whether
# pointers into it are exact (False when it was decoded from a string, e.g. a DefinitionString).
Prepared = tuple[Any, tuple[str | int, ...], bool]


def pointer_parts(match: DatumInContext) -> tuple[str | int, ...]:
    """The JSON pointer parts of a jsonpath-ng match, from the selected document's root."""
    parts: list[str | int] = []
    node: DatumInContext | None = match
    while node is not None and node.context is not None:
        path = node.path
        if hasattr(path, "fields"):
            parts.append(path.fields[0])
        elif getattr(path, "indices", None):  # jsonpath-ng >= 1.6: Index(indices=(n,))
            parts.append(path.indices[0])
        elif hasattr(path, "index"):
            parts.append(path.index)
        node = node.context
    return tuple(reversed(parts))


def key_of(match: DatumInContext) -> str:
    return name_of(pointer_parts(match))


def name_of(parts: tuple[str | int, ...]) -> str:
    """The property name a value sits under: for an item of a list, the list's own name (a literal inside
    `"Passwords": [...]` is judged as a password), so list positions never stand in for a name."""
    return next((part for part in reversed(parts) if isinstance(part, str)), "")


class ValueCheck(Check):
    selector: str = "$"
    message: str = ""  # format fields: {key}, {value}, {resource}, {why}
    ok_message: str = ""

    def expect(self, key: str | int, value: Any) -> bool:
        """True when `value` (found under `key`, a property name or list index) is acceptable."""
        raise NotImplementedError

    def explain(self, key: str | int, value: Any) -> str:
        """Why a value failed, for the message's {why} field."""
        return ""

    def prepare(self, resource: dict[str, Any]) -> Prepared | None:
        """The part of the resource to select in; None when the resource has nothing to judge."""
        return resource, (), True

    @cached_property
    def _compiled(self):
        from jsonpath_ng.ext import parse

        return parse(self.selector)

    def select(self, document: Any) -> list[Match]:
        """Every value the selector picks in `document`, with its pointer parts and key, in order."""
        descendants = DESCENDANTS.match(self.selector)
        if descendants:  # a string key is its own name; a list position takes its list's
            return [
                (parts, key if isinstance(key, str) else name_of(parts), value)
                for parts, key, value in descendant_matches(document, descendants.group(1))
            ]
        return [
            (parts, name_of(parts), m.value)
            for m in self._compiled.find(document)
            for parts in (pointer_parts(m),)
        ]

    def verdicts(self, data: dict[str, Any]) -> Iterator[Verdict]:
        for logical_id, resource in resources_of(data, self.resource_types):
            prepared = self.prepare(resource)
            if prepared is None:
                continue  # nothing of this kind to judge on this resource
            document, base, exact = prepared
            failures = [m for m in self.select(document) if not self.expect(m[1], m[2])]
            if not failures:
                yield Verdict(logical_id, Status.PASS, self.ok_message.format(resource=logical_id), base)
            for found, key, value in failures:
                text = self.message.format(
                    key=key, value=_short(value), resource=logical_id, why=self.explain(key, value)
                )
                yield Verdict(logical_id, Status.FAIL, text, base + found if exact else base)


def descendant_matches(document: Any, name: str | None) -> Iterator[Match]:
    """What jsonpath-ng's `$..*` (name None) or `$..NAME.*` selects: a pre-order walk over every mapping
    and list, each node visited giving first its own selection (its children, or the children of its NAME
    member), then the walk going on into its children in order."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack:
        parts, node = stack.pop()
        children = _children(parts, node)
        if name is None:
            yield from children
        elif isinstance(node, dict) and name in node:
            yield from _children((*parts, name), node[name])
        stack.extend((child_parts, child) for child_parts, _, child in reversed(children))


def _children(parts: tuple[str | int, ...], node: Any) -> list[Match]:
    if isinstance(node, dict):
        return [((*parts, key), key, child) for key, child in node.items()]
    if isinstance(node, list):
        return [((*parts, index), index, child) for index, child in enumerate(node)]
    return []


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
