"""Inline suppressions for `tapgate crosscheck` alone: `Metadata.tapgate.Suppress: [{rule, reason}]`.

The gate applies the same contract (docs/contract.md) to every in-process engine; the stand-alone command
applies it here so both give the same verdict. A suppression without a reason does not suppress.
"""

from __future__ import annotations

from typing import Any

from tapgate.model import Finding
from tapgate.suppress import apply_inline_all


def apply_inline(findings: list[Finding], template: dict[str, Any]) -> list[Finding]:
    return apply_inline_all(findings, template.get("Resources") or {})
