"""The gate's view of the control catalog (`tapgate.catalog.load_catalog`, policies/controls.yaml).

It gives the gate the controls (as `ControlResult`s still NOT_EVALUATED), the regulations, and
`controls_for(engine, rule)` (exact ids, then the catalog's glob patterns). Without controls.yaml the gate
still runs: findings alone decide the exit code, and the result lists no controls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapgate.model import ControlResult, ControlStatus, Regulation, Severity

GLOB_CHARS = set("*?[")


@dataclass
class GateCatalog:
    controls: list[ControlResult] = field(default_factory=list)  # status NOT_EVALUATED until judged
    regulations: list[Regulation] = field(default_factory=list)
    source: Any = None  # tapgate.catalog.Catalog

    def controls_for(self, engine: str, rule: str) -> list[str]:
        return list(self.source.controls_for(engine, rule)) if self.source is not None else []

    def severity_of(self, control_ids: list[str]) -> Severity | None:
        """The gravest severity among these controls (None if none is known)."""
        by_id = {c.id: c.severity for c in self.controls}
        return _gravest([by_id[cid] for cid in control_ids if cid in by_id])

    def rules_of(self, engine: str, patterns: bool = False) -> set[str]:
        """Rule ids named for `engine`; patterns such as CKV_AWS_* only when asked for."""
        if self.source is None:
            return set()
        return {rule for rule in self.source.rules_of(engine) if patterns or not GLOB_CHARS & set(rule)}


SEVERITY_RANK = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]


def _gravest(severities: list[Severity]) -> Severity | None:
    return min(severities, key=SEVERITY_RANK.index) if severities else None


def load_catalog(policies: Path) -> GateCatalog:
    from tapgate.catalog import load_catalog as load_source

    path = policies / "controls.yaml"
    if not path.exists():
        return GateCatalog()
    source = load_source(path)  # libyaml when it is there; broken: InputError (file:line:col), exit 2
    return GateCatalog(
        controls=[_control(c) for c in source.controls],
        regulations=[_regulation(r) for r in source.regulations],
        source=source,
    )


def _control(control: Any) -> ControlResult:
    return ControlResult(
        id=control.id,
        title=control.title,
        family=control.family,
        rationale=control.rationale,
        severity=Severity(control.severity),
        regulations=list(control.regulations),
        rules={engine: list(rules) for engine, rules in control.rules.items()},
        status=ControlStatus.NOT_EVALUATED,
    )


def _regulation(regulation: Any) -> Regulation:
    return Regulation(
        id=regulation.id, title=regulation.title, citation=regulation.citation, url=regulation.url
    )
