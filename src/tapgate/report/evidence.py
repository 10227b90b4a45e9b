"""Flow evidence and cost estimate: dicts written by other pieces, read tolerantly into rows and tables.

`GateResult.flow_evidence` is the last `tapgate simulate` result; `GateResult.cost_estimate` the
cross-checks' monthly estimate. Their known keys are shown first and in a fixed order; anything else they
carry is still shown (as dotted key/value rows, and lists of objects as tables), so nothing is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FLOW_COUNTS = ("reports", "generated", "validated", "delivered", "confirmed", "quarantined", "failed")
INVARIANT_KEYS = ("invariants",)
HELD_KEYS = ("held", "ok", "passed", "holds")


@dataclass
class Invariant:
    name: str
    held: bool | None  # None: the result did not say
    detail: str


@dataclass
class Evidence:
    """A dict shown as: headline counts, invariants, other scalars, and tables of its lists of objects."""

    counts: list[tuple[str, str]]
    invariants: list[Invariant]
    rows: list[tuple[str, str]]
    tables: list[tuple[str, list[str], list[list[str]]]]


def flow_evidence(flow: dict[str, Any]) -> Evidence:
    counts = [(k, format_value(flow[k])) for k in FLOW_COUNTS if k in flow]
    rest = {k: v for k, v in flow.items() if k not in FLOW_COUNTS and k not in INVARIANT_KEYS}
    return Evidence(counts, invariants(flow.get("invariants")), scalar_rows(rest), object_tables(rest))


def cost_evidence(cost: dict[str, Any]) -> Evidence:
    currency = f" {cost['currency']}" if isinstance(cost.get("currency"), str) else ""
    totals = [
        (k, format_value(v) + currency) for k, v in cost.items() if "total" in k.lower() and _is_scalar(v)
    ]
    rest = {k: v for k, v in cost.items() if not ("total" in k.lower() and _is_scalar(v))}
    return Evidence(totals, [], scalar_rows(rest), object_tables(rest))


def invariants(value: Any) -> list[Invariant]:
    """Invariants as a list of {name, held|ok|passed, detail} or a mapping name -> bool | {held, detail}."""
    if isinstance(value, dict):
        items = [{"name": k, **(v if isinstance(v, dict) else {"held": v})} for k, v in value.items()]
    elif isinstance(value, list):
        items = [v if isinstance(v, dict) else {"name": str(v)} for v in value]
    else:
        return []
    found = []
    for item in items:
        held = next((item[k] for k in HELD_KEYS if k in item), None)
        detail = item.get("detail") or item.get("message") or item.get("description") or ""
        held = held if isinstance(held, bool) else None
        found.append(Invariant(str(item.get("name", "")).replace("_", " "), held, str(detail)))
    return found


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def scalar_rows(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested scalars of an evidence dict as (dotted key, text) rows; lists of objects go to tables."""
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if _keyed_table(value):
            continue  # shown as a table
        if isinstance(value, dict):
            rows.extend(scalar_rows(value, name + "."))
        elif isinstance(value, list):
            if value and all(not isinstance(v, dict | list) for v in value):
                rows.append((name, ", ".join(str(v) for v in value)))
        else:
            rows.append((name, format_value(value)))
    return rows


def _keyed_table(value: Any) -> bool:
    """{"US": {"generated": 80, ...}, "UK": {...}}: a mapping of flat objects reads best as a table."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(v, dict) and all(_is_scalar(x) for x in v.values()) for v in value.values())
        and any(value.values())  # mappings of empty objects say nothing
    )


def object_tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every list of objects (and mapping of flat objects) as (name, columns, rows), columns first-seen."""
    tables = []
    for key, value in data.items():
        if _keyed_table(value):
            value = [{"": name, **row} for name, row in value.items()]
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns: list[str] = []
            for item in value:
                columns.extend(k for k in item if k not in columns)
            rows = [[format_value(item.get(c, "")) for c in columns] for item in value]
            tables.append((key, columns, rows))
    return tables


def format_value(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return ""
    if isinstance(value, float):  # money to the cent; unit prices (0.0000166667) keep their digits
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict | list):
        return ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
    return str(value)
