"""Which logical ids an intrinsic refers to: Ref, Fn::GetAtt (list or dotted string) and Fn::Sub ${Id...}."""

from __future__ import annotations

import re
from typing import Any

SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


def referenced_ids(value: Any) -> set[str]:
    """Every logical id (or parameter name) `value` refers to, at any depth; pseudo parameters excluded."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(target, str):
                    found.add(target.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    found |= set(SUB_REFERENCE.findall(text))
                if isinstance(inner, list) and len(inner) > 1:
                    found |= referenced_ids(inner[1])
            else:
                found |= referenced_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= referenced_ids(inner)
    return {name for name in found if not name.startswith("AWS::")}


def single_reference(value: Any) -> str | None:
    """The one logical id a property refers to (Ref or GetAtt), or None when it is a literal or several."""
    ids = referenced_ids(value)
    return next(iter(ids)) if len(ids) == 1 else None
