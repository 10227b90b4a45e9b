"""The control catalog (policies/controls.yaml) and the waiver register (policies/waivers.yaml).

`load_catalog(path)` validates controls.yaml with pydantic: known regulation ids, unique control ids of the
form TAP-<FAMILY>-NN, known engines, severities from `tapgate.model.Severity`. `Catalog.controls_for(engine,
rule)` is the reverse index: exact native ids first; only when a rule has no exact entry do glob patterns
(`CKV_AWS_*`, `E*`: catch-alls for families of built-ins) apply.

`load_waivers(path, today)` validates waivers.yaml. A waiver without a reason, or past its expiry date, is
returned with `valid` False and a `problem`: the gate turns it into a failure instead of waiving anything.
A structurally broken file (bad YAML, unknown keys, a bad date) raises `InputError` with file:line:col.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tapgate.errors import InputError
from tapgate.model import Severity

ENGINES = ("cfn-guard", "tapgate", "crosscheck", "checkov", "cfn-lint", "control-tower")
GLOB_CHARS = set("*?[")
DEFAULT_POLICIES = Path(__file__).resolve().parents[2] / "policies"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Regulation(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9.-]+$")
    title: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    url: str = ""


class Control(_Strict):
    id: str = Field(pattern=r"^TAP-[A-Z]+-\d{2}$")
    title: str = Field(min_length=1)
    family: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    severity: str
    # "SEC-17a-4f", or "NIST-800-53:SC-28" for a clause of a regulation
    regulations: list[str] = Field(min_length=1)
    rules: dict[str, list[str]]

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: str) -> str:
        Severity(value)  # raises ValueError on anything else
        return value

    @field_validator("rules")
    @classmethod
    def _known_engines(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(ENGINES))
        if unknown:
            raise ValueError(f"unknown engine(s) {unknown}; expected some of {list(ENGINES)}")
        return value

    @model_validator(mode="after")
    def _family_matches_id(self) -> Control:
        if self.id.split("-")[1] != self.family_code:
            raise ValueError(f"control id {self.id} does not carry its family code {self.family_code}")
        return self

    @property
    def family_code(self) -> str:
        return self.family.upper()[: len(self.id.split("-")[1])]


class Catalog(_Strict):
    regulations: list[Regulation]
    controls: list[Control]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        for kind, ids in (
            ("regulation", [r.id for r in self.regulations]),
            ("control", [c.id for c in self.controls]),
        ):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"duplicate {kind} id(s): {duplicates}")
        known = {r.id for r in self.regulations}
        for control in self.controls:
            unknown = [r for r in control.regulations if r.split(":", 1)[0] not in known]
            if unknown:
                raise ValueError(f"{control.id} names unknown regulation(s) {unknown}")
        return self

    @cached_property
    def _exact(self) -> dict[tuple[str, str], list[str]]:
        index: dict[tuple[str, str], list[str]] = {}
        for control in self.controls:
            for engine, rules in control.rules.items():
                for rule in rules:
                    if not GLOB_CHARS & set(rule):
                        index.setdefault((engine, rule), []).append(control.id)
        return index

    @cached_property
    def _globs(self) -> list[tuple[str, str, str]]:
        return [
            (engine, pattern, control.id)
            for control in self.controls
            for engine, patterns in control.rules.items()
            for pattern in patterns
            if GLOB_CHARS & set(pattern)
        ]

    def controls_for(self, engine: str, rule: str) -> list[str]:
        """Control ids a finding of `engine`'s `rule` counts towards (empty: the rule is unmapped)."""
        exact = self._exact.get((engine, rule))
        if exact:
            return list(exact)
        return [cid for eng, pattern, cid in self._globs if eng == engine and fnmatchcase(rule, pattern)]

    def rules_of(self, engine: str) -> set[str]:
        """Every rule id or pattern that the catalog names for `engine`."""
        return {rule for control in self.controls for rule in control.rules.get(engine, [])}

    def control(self, control_id: str) -> Control:
        return next(c for c in self.controls if c.id == control_id)


class Waiver(_Strict):
    id: str = Field(min_length=1)
    engine: str
    rule: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    reason: str | None = None
    owner: str = Field(min_length=1)
    expires: dt.date

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value not in ENGINES:
            raise ValueError(f"unknown engine {value!r}; expected one of {list(ENGINES)}")
        return value


class CheckedWaiver(_Strict):
    """A waiver as of a date: `valid` False (with `problem`) when it has no reason or has expired."""

    waiver: Waiver
    valid: bool
    problem: str | None = None

    def covers(self, engine: str, rule: str, resource: str | None) -> bool:
        w = self.waiver
        return (
            self.valid and w.engine == engine and w.rule == rule and fnmatchcase(resource or "", w.resource)
        )


class WaiverRegister(_Strict):
    waivers: list[Waiver] = Field(default_factory=list)


def load_catalog(path: str | Path) -> Catalog:
    return _validated(Catalog, Path(path))


def load(path: str | Path) -> Catalog:
    """Alias of `load_catalog` (the gate's adapter looks for `load`)."""
    return load_catalog(path)


def load_waivers(path: str | Path, today: dt.date | None = None) -> list[CheckedWaiver]:
    today = today or dt.datetime.now(dt.UTC).date()
    register = _validated(WaiverRegister, Path(path))
    ids = [w.id for w in register.waivers]
    if len(ids) != len(set(ids)):
        raise InputError(
            f"duplicate waiver id(s): {sorted({i for i in ids if ids.count(i) > 1})}", str(path), 1, 1
        )
    return [_check_waiver(w, today) for w in register.waivers]


def _check_waiver(waiver: Waiver, today: dt.date) -> CheckedWaiver:
    if not (waiver.reason or "").strip():
        return CheckedWaiver(waiver=waiver, valid=False, problem="no reason")
    if waiver.expires < today:
        return CheckedWaiver(waiver=waiver, valid=False, problem=f"expired on {waiver.expires.isoformat()}")
    return CheckedWaiver(waiver=waiver, valid=True)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog(DEFAULT_POLICIES / "controls.yaml")


def controls_for(engine: str, rule: str) -> list[str]:
    """`Catalog.controls_for` on the project's own policies/controls.yaml."""
    return default_catalog().controls_for(engine, rule)


def _validated(model: type[BaseModel], path: Path) -> Any:
    if not path.is_file():
        raise InputError("no such file", str(path))
    text = path.read_text(encoding="utf-8")
    valid = _validated_with_libyaml(model, text)
    if valid is not None:
        return valid
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise InputError(f"invalid YAML: {err.problem}", str(path), line, col) from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as err:
        first = err.errors()[0]
        line, col = _position(node, first["loc"])
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise InputError(f"{where}: {first['msg']}", str(path), line, col) from None


def _validated_with_libyaml(model: type[BaseModel], text: str) -> Any:
    """The model from YAML parsed by libyaml, which every gate run reads (pure-Python PyYAML cost a tenth of
    a second: it composed the nodes for error positions, then loaded the data). None when libyaml is
    missing or anything is wrong: the pure-Python path then raises its located error."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return None
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        return model.model_validate(data if data is not None else {})
    except (ValueError, yaml.YAMLError):  # pydantic's ValidationError is a ValueError
        return None


def _position(node: Any, loc: tuple[Any, ...]) -> tuple[int, int]:
    """1-based line:col of the deepest YAML node that `loc` (a pydantic error location) reaches."""
    best = node
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = best = child
    if best is None:
        return (1, 1)
    return (best.start_mark.line + 1, best.start_mark.column + 1)
