"""The gate's view of the control catalog (`tapgate.catalog`, written by the policies piece).

The gate needs three things from it: the controls (id, title, family, rationale, severity, regulations, rules
per engine), the regulations, and `controls_for(engine, rule)`. Until `tapgate.catalog` lands this reads
nothing, and every control is simply absent: findings still decide the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapgate.model import ControlResult, ControlStatus, Regulation, Severity


@dataclass
class GateCatalog:
    controls: list[ControlResult] = field(default_factory=list)  # status NOT_EVALUATED until mapped
    regulations: list[Regulation] = field(default_factory=list)
    rule_index: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (engine, rule) -> ids

    def controls_for(self, engine: str, rule: str) -> list[str]:
        return list(self.rule_index.get((engine, rule), []))

    def rules_of(self, engine: str) -> set[str]:
        return {rule for (eng, rule) in self.rule_index if eng == engine}


def load_catalog(policies: Path) -> GateCatalog:
    import importlib

    try:
        source = importlib.import_module("tapgate.catalog")
    except ModuleNotFoundError as err:
        if err.name != "tapgate.catalog":
            raise
        return GateCatalog()
    return _adapt(source, policies)


def _adapt(source: Any, policies: Path) -> GateCatalog:
    loaded = source.load(policies / "controls.yaml") if hasattr(source, "load") else source
    controls = [_control(c) for c in _get(loaded, "controls", [])]
    regulations = [_regulation(r) for r in _get(loaded, "regulations", [])]
    index: dict[tuple[str, str], list[str]] = {}
    for control in controls:
        for engine, rules in control.rules.items():
            for rule in rules:
                index.setdefault((engine, rule), []).append(control.id)
    return GateCatalog(controls, regulations, index)


def _get(obj: Any, name: str, default: Any) -> Any:
    value = obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)
    return list(value.values()) if isinstance(value, dict) else value


def _control(raw: Any) -> ControlResult:
    control_id = str(_field(raw, "id"))
    rules = _field(raw, "rules") or {}
    return ControlResult(
        id=control_id,
        title=str(_field(raw, "title") or ""),
        family=str(_field(raw, "family") or _family_of(control_id)),
        rationale=str(_field(raw, "rationale") or ""),
        severity=Severity(str(_field(raw, "severity") or "medium").lower()),
        regulations=[str(r) for r in _field(raw, "regulations") or []],
        rules={str(k): [str(r) for r in v or []] for k, v in dict(rules).items()},
        status=ControlStatus.NOT_EVALUATED,
    )


def _family_of(control_id: str) -> str:
    parts = control_id.split("-")  # TAP-ENC-01 -> ENC
    return parts[1] if len(parts) > 2 else ""


def _regulation(raw: Any) -> Regulation:
    return Regulation(
        id=str(_field(raw, "id")),
        title=str(_field(raw, "title") or ""),
        citation=str(_field(raw, "citation") or ""),
        url=str(_field(raw, "url") or ""),
    )


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
