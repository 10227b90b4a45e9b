"""What every tapgate check shares: one verdict per judged resource, turned into `Finding`s the same way.

A check judges every resource of its types, whatever its logical id, and reports PASS per resource too, so a
control shows what was checked. Inline `Metadata.tapgate.Suppress: [{rule, reason}]` turns a FAIL into
SUPPRESSED, unless the context is strict; a suppression without a reason still FAILs (the gate applies the
same rule to every in-process engine).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tapgate.model import Finding, Severity, Status
from tapgate.suppress import apply_inline

ENGINE = "tapgate"


@dataclass(frozen=True)
class Verdict:
    """One judgement on one resource; `parts` is the pointer below it, e.g. ("Properties", "Role")."""

    resource: str
    status: Status
    message: str
    parts: tuple[str | int, ...] = ()
    section: str = "Resources"
    extra: dict[str, Any] = field(default_factory=dict)


def template_data(ctx: Any) -> dict[str, Any]:
    """The template as a plain dict, from the gate's CheckContext, a `Template`, or a dict (tests)."""
    if isinstance(ctx, dict):
        return ctx
    for attr in ("data", "template"):
        value = getattr(ctx, attr, None)
        if isinstance(value, dict):
            return value
        if value is not None and isinstance(getattr(value, "data", None), dict):
            return value.data
    raise TypeError(f"cannot read a template from {type(ctx).__name__}")


def resources_of(data: dict[str, Any], types: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, resource) for each resource whose Type is in `types` ("*" = every resource)."""
    for logical_id, resource in (data.get("Resources") or {}).items():
        if isinstance(resource, dict) and ("*" in types or resource.get("Type") in types):
            yield logical_id, resource


def escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


class Check:
    """Base of every check: subclasses set the class attributes and implement `verdicts(data)`."""

    rule: str = ""
    title: str = ""
    severity: Severity = Severity.HIGH
    resource_types: tuple[str, ...] = ()
    fix: str = ""

    def verdicts(self, data: dict[str, Any]) -> Iterator[Verdict]:
        raise NotImplementedError

    def __call__(self, ctx: Any) -> list[Finding]:
        data = template_data(ctx)
        file = str(getattr(ctx, "file", "") or "")
        strict = bool(getattr(ctx, "strict", False))
        return [self._finding(v, data, file, strict) for v in self.verdicts(data)]

    def _finding(self, verdict: Verdict, data: dict[str, Any], file: str, strict: bool) -> Finding:
        parts = (verdict.section, verdict.resource, *verdict.parts)
        resource = (data.get(verdict.section) or {}).get(verdict.resource) or {}
        finding = Finding(
            engine=ENGINE,
            rule=self.rule,
            file=file,
            resource=verdict.resource,
            resource_type=resource.get("Type") if verdict.section == "Resources" else None,
            path="/" + "/".join(escape(p) for p in parts),
            status=verdict.status,
            severity=self.severity,
            message=verdict.message,
            fix=self.fix if verdict.status is Status.FAIL else "",
            extra=dict(verdict.extra),
        )
        if finding.status is Status.FAIL and not strict:
            apply_inline(finding, resource)
        return finding
