"""What one cross-check run looks at: the template, the code directory, the volume and the budgets.

The gate hands over its own `CheckContext` (template, root, lambdas ...); `CrossContext.of(ctx)` reads
what it can from any such object, so the same checks run in the gate and in `tapgate crosscheck`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapgate.crosscheck.locate import JsonIndex
from tapgate.model import Finding, Severity, Status

ENGINE = "crosscheck"
DEFAULT_REPORTS_PER_DAY = 2_000
ALWAYS_CHECKED_REPORTS = 50_000
DEFAULT_SES_RATE = 14.0  # SES production sending quota per second in a new account's region
DEFAULT_DEADLINE_MINUTES = 45.0
_KEY = re.compile(r'^\s{1,12}"?([A-Za-z0-9]+)"?\s*:\s*\{?\s*$', re.MULTILINE)  # a logical id opening its body


@dataclass
class CrossContext:
    template: Any  # tapgate.template.Template: .data, .path, .locate(pointer), .snippet(pointer)
    code_dir: Path | None
    reports_per_day: int = DEFAULT_REPORTS_PER_DAY
    ses_rate: float = DEFAULT_SES_RATE
    deadline_minutes: float = DEFAULT_DEADLINE_MINUTES
    options: dict[str, Any] = field(default_factory=dict)
    _lines: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    _offsets: dict[str, int] = field(default_factory=dict, repr=False)
    _index: JsonIndex | None = field(default=None, repr=False)

    @property
    def data(self) -> dict[str, Any]:
        return self.template.data

    @property
    def file(self) -> str:
        return str(self.template.path)

    @classmethod
    def of(cls, ctx: Any) -> CrossContext:
        if isinstance(ctx, CrossContext):
            return ctx
        template = ctx.template
        options = dict(getattr(ctx, "options", None) or {})
        # An explicit code_dir wins; else lambdas/ beside the template (the brief's default, and right for a
        # copy of the project anywhere); else the gate's project lambdas/.
        code = getattr(ctx, "code_dir", None) or options.get("code_dir")
        beside = Path(template.path).resolve().parent / "lambdas"
        if code is None:
            code = beside if beside.is_dir() else getattr(ctx, "lambdas", None) or beside
        code = Path(code)
        return cls(
            template=template,
            code_dir=code if code.is_dir() else None,
            reports_per_day=int(_option(ctx, options, "reports_per_day", DEFAULT_REPORTS_PER_DAY)),
            ses_rate=float(_option(ctx, options, "ses_rate", DEFAULT_SES_RATE)),
            deadline_minutes=float(_option(ctx, options, "deadline_minutes", DEFAULT_DEADLINE_MINUTES)),
            options=options,
        )

    def volumes(self) -> list[int]:
        return sorted({self.reports_per_day, ALWAYS_CHECKED_REPORTS})

    def finding(
        self,
        rule: str,
        status: Status,
        resource: str | None,
        path: str,
        message: str,
        fix: str = "",
        *,
        severity: Severity = Severity.HIGH,
        code_location: str | None = None,
        reason: str | None = None,
        **extra: Any,
    ) -> Finding:
        line, column = self.locate(path) if path else self.quick_locate(resource)
        resources = self.data.get("Resources") or {}
        return Finding(
            engine=ENGINE,
            rule=rule,
            file=self.file,
            resource=resource,
            resource_type=(resources.get(resource) or {}).get("Type") if resource else None,
            path=path,
            line=line,
            column=column,
            status=status,
            severity=severity if status is Status.FAIL else Severity.INFO,
            message=message,
            fix=fix,
            reason=reason,
            code_location=code_location,
            group=f"{rule}:{resource}:{extra.get('action', '')}",
            extra=extra,
        )

    def quick_locate(self, resource: str | None) -> tuple[int | None, int | None]:
        """The line of a resource's key, found in the text (enough for PASS/SKIP findings)."""
        text = getattr(self.template, "text", "") or ""
        if not resource or not text:
            return (None, None)
        if not self._offsets:
            self._offsets = {m.group(1): m.start() for m in _KEY.finditer(text)}
        offset = self._offsets.get(resource)
        if offset is None:
            return (None, None)
        start = text.rfind("\n", 0, offset) + 1
        return (text.count("\n", 0, offset) + 1, offset - start + 1)

    def locate(self, path: str) -> tuple[int | None, int | None]:
        if path not in self._lines:
            text = getattr(self.template, "text", "") or ""
            found = None
            if getattr(self.template, "is_json", False) and text:
                if self._index is None:
                    self._index = JsonIndex(text)
                found = self._index.line_col(path)
            if found is None:
                try:
                    found = self.template.locate(path)
                except Exception:  # noqa: BLE001 - a location is a courtesy; the finding stands without it
                    found = None
            self._lines[path] = found or (None, None)
        return self._lines[path]


def _option(ctx: Any, options: dict, name: str, default: Any) -> Any:
    value = getattr(ctx, name, None)
    if value is None:
        value = options.get(name, default)
    return default if value is None else value
