"""Declarative checks: a jsonpath-ng selector and an expectation, like checkov's value checks.

`ValueCheck` selects values inside each resource of its types (`selector`, a JSONPath relative to the
resource) and expects each selected value to satisfy `expect(key, value)`. Every value that does not is a
FAIL at its own JSON pointer; a resource whose values all hold is one PASS. `prepare` may rewrite a resource
first (e.g. parse a state machine's DefinitionString) and says where the rewritten part sits in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from jsonpath_ng import DatumInContext
from jsonpath_ng.ext import parse

from tapgate.checks.base import Check, Verdict, resources_of
from tapgate.model import Status

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
        elif hasattr(path, "index"):
            parts.append(path.index)
        node = node.context
    return tuple(reversed(parts))


def key_of(match: DatumInContext) -> str | int:
    parts = pointer_parts(match)
    return parts[-1] if parts else ""


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
        return parse(self.selector)

    def verdicts(self, data: dict[str, Any]) -> Iterator[Verdict]:
        for logical_id, resource in resources_of(data, self.resource_types):
            prepared = self.prepare(resource)
            if prepared is None:
                continue  # nothing of this kind to judge on this resource
            document, base, exact = prepared
            failures = [m for m in self._compiled.find(document) if not self.expect(key_of(m), m.value)]
            if not failures:
                yield Verdict(logical_id, Status.PASS, self.ok_message.format(resource=logical_id), base)
            for match in failures:
                parts = base + pointer_parts(match) if exact else base
                key = key_of(match)
                text = self.message.format(
                    key=key,
                    value=_short(match.value),
                    resource=logical_id,
                    why=self.explain(key, match.value),
                )
                yield Verdict(logical_id, Status.FAIL, text, parts)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
