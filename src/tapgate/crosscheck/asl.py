"""Read a state machine's definition (Amazon States Language) out of a template, and walk it.

The definition may be an object `Definition` (with `DefinitionSubstitutions`), a `DefinitionString` literal,
or a `DefinitionString` built with `Fn::Sub` / `Fn::Join`. Intrinsics are rendered as `${Name}` placeholders,
which is enough to read the states: the cross-checks only need state types, resources and parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

STATE_MACHINE = "AWS::StepFunctions::StateMachine"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")


@dataclass
class StateRef:
    """One state found while walking: its name, body, and where it sits (inside which Map, how deep)."""

    name: str
    body: dict[str, Any]
    path: tuple[str, ...]  # JSON pointer parts from the definition root to this state
    in_distributed_map: bool = False
    in_map: bool = False


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """logical id -> resource, for every state machine in the template."""
    resources = template.get("Resources") or {}
    return {
        lid: res
        for lid, res in resources.items()
        if isinstance(res, dict) and res.get("Type") == STATE_MACHINE
    }


def definition(resource: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """(the parsed definition or None, the property it came from)."""
    props = resource.get("Properties") or {}
    if isinstance(props.get("Definition"), dict):
        return props["Definition"], "Definition"
    raw = props.get("DefinitionString")
    text = _render(raw)
    if text is None:
        return None, "DefinitionString"
    try:
        parsed = json.loads(text)
    except ValueError:
        return None, "DefinitionString"
    return (parsed if isinstance(parsed, dict) else None), "DefinitionString"


def substitutions(resource: dict[str, Any]) -> dict[str, Any]:
    """`DefinitionSubstitutions`, plus the variables of a `Fn::Sub` [string, {vars}] DefinitionString."""
    props = resource.get("Properties") or {}
    subs = dict(props.get("DefinitionSubstitutions") or {})
    raw = props.get("DefinitionString")
    if isinstance(raw, dict) and isinstance(raw.get("Fn::Sub"), list) and len(raw["Fn::Sub"]) > 1:
        subs.update(raw["Fn::Sub"][1] or {})
    return subs


def placeholders(value: Any) -> set[str]:
    """The `${Name}` placeholders used anywhere in a (part of a) definition."""
    return set(_PLACEHOLDER.findall(json.dumps(value)))


def walk(
    states_owner: dict[str, Any], path: tuple[str, ...] = (), *, in_map=False, in_dmap=False
) -> Iterator[StateRef]:
    """Every state, depth first, including those in Parallel branches and Map processors."""
    for name, body in (states_owner.get("States") or {}).items():
        if not isinstance(body, dict):
            continue
        here = (*path, "States", name)
        yield StateRef(name, body, here, in_dmap, in_map)
        for sub, sub_path in children(body, here):
            distributed = body.get("Type") == "Map" and is_distributed(body)
            yield from walk(
                sub,
                sub_path,
                in_map=in_map or body.get("Type") == "Map",
                in_dmap=in_dmap or distributed,
            )


def children(body: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
    """The sub-state-machines of a Parallel (branches) or Map (ItemProcessor / Iterator)."""
    if body.get("Type") == "Parallel":
        for i, branch in enumerate(body.get("Branches") or []):
            if isinstance(branch, dict):
                yield branch, (*path, "Branches", str(i))
    if body.get("Type") == "Map":
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(body.get(key), dict):
                yield body[key], (*path, key)


def is_distributed(body: dict[str, Any]) -> bool:
    processor = body.get("ItemProcessor") or {}
    config = processor.get("ProcessorConfig") or {}
    return str(config.get("Mode", "INLINE")).upper() == "DISTRIBUTED"


def _render(raw: Any) -> str | None:
    """A DefinitionString as text, with intrinsic functions turned into `${...}` placeholders."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, dict) or len(raw) != 1:
        return None
    ((fn, arg),) = raw.items()
    if fn == "Fn::Sub":
        return arg if isinstance(arg, str) else (arg[0] if isinstance(arg, list) and arg else None)
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        parts = [_render_part(p) for p in arg[1] or []]
        return None if None in parts else str(arg[0]).join(parts)  # type: ignore[arg-type]
    return None


def _render_part(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and "Ref" in part:
        return "${" + str(part["Ref"]) + "}"
    if isinstance(part, dict) and "Fn::GetAtt" in part:
        att = part["Fn::GetAtt"]
        return "${" + (".".join(att) if isinstance(att, list) else str(att)) + "}"
    return _render(part)
