"""Step Functions execution history, estimated from the definition: events per execution vs 25,000.

The event counts follow the Step Functions history model (facts.md, "Step Functions quotas"):

- an execution opens and closes with 2 events (ExecutionStarted, ExecutionSucceeded/Failed);
- a Task is 5 (StateEntered, Scheduled, Started, Succeeded, StateExited); each retry adds 3
  (Scheduled, Started, Failed), counted as `retry_rate` retries per Task run on average;
- Pass, Choice, Wait, Succeed and Fail are 2 (entered, exited);
- a Parallel is 4 plus its branches;
- an inline Map is 4 plus, per iteration, 2 (IterationStarted/Succeeded) and the iteration's states: its
  iterations are in the parent's history, which is why an inline Map over every report breaks the limit;
- a DISTRIBUTED Map is 4 in the parent (MapStateEntered, MapRunStarted, MapRunSucceeded, MapStateExited):
  each child workflow execution has its own history, estimated and checked separately.

The path taken is the longest one (every Choice and Catch takes its costliest branch). A Map iterates once
per report unless the template batches (`ItemBatcher.MaxItemsPerBatch`) or the caller says how many reports
one item carries: the template alone cannot tell a manifest of batches from a list of reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tapgate.crosscheck import asl

HISTORY_LIMIT = 25_000
EXECUTION_EVENTS = 2
TASK_EVENTS = 5
RETRY_EVENTS = 3
SIMPLE_EVENTS = 2
CONTAINER_EVENTS = 4  # Map / Parallel: entered, started, succeeded, exited
ITERATION_EVENTS = 2
DEFAULT_RETRY_RATE = 0.1  # average retries per Task run: a planning figure, shown in every finding


@dataclass
class ExecutionHistory:
    """One kind of execution (the state machine itself, or a Distributed Map's child) and its events."""

    state_machine: str
    scope: str  # "execution" or "child of <Map state>"
    events: int
    executions: int = 1  # how many such executions run per day at this volume
    loops: list[str] = field(default_factory=list)  # states on a cycle: counted once, so a lower bound


@dataclass
class _Walk:
    reports: int
    reports_per_item: int
    retry_rate: float
    children: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)  # (map, processor, count)
    loops: list[str] = field(default_factory=list)


def estimate_history_events(
    template: dict[str, Any],
    reports: int,
    *,
    reports_per_item: int = 1,
    retry_rate: float = DEFAULT_RETRY_RATE,
) -> int:
    """The largest history of any one execution (a state machine run, or a Distributed Map child)."""
    histories = history_estimates(template, reports, reports_per_item=reports_per_item, retry_rate=retry_rate)
    return max((h.events for h in histories), default=0)


def history_estimates(
    template: dict[str, Any],
    reports: int,
    *,
    reports_per_item: int = 1,
    retry_rate: float = DEFAULT_RETRY_RATE,
) -> list[ExecutionHistory]:
    """Per state machine: the execution's history, then one entry per Distributed Map child workflow."""
    results = []
    for lid, resource in asl.state_machines(template).items():
        definition, _ = asl.definition(resource)
        if definition is None:
            continue
        walk = _Walk(reports, max(1, reports_per_item), retry_rate)
        events = EXECUTION_EVENTS + _machine_events(definition, walk)
        results.append(ExecutionHistory(lid, "execution", round(events), 1, list(walk.loops)))
        pending = list(walk.children)
        while pending:  # children may hold Distributed Maps of their own
            map_name, processor, count = pending.pop(0)
            child = _Walk(reports, walk.reports_per_item, retry_rate)
            child_events = EXECUTION_EVENTS + _machine_events(processor, child)
            results.append(
                ExecutionHistory(lid, f"child of {map_name}", round(child_events), count, child.loops)
            )
            pending.extend(child.children)
    return results


def map_items(body: dict[str, Any], reports: int, reports_per_item: int = 1) -> int:
    """How many items (iterations or child executions) a Map runs over at `reports` reports."""
    batcher = body.get("ItemBatcher") or {}
    per_item = batcher.get("MaxItemsPerBatch")
    items = math.ceil(reports / max(1, reports_per_item))
    if isinstance(per_item, int) and per_item > 0:
        items = math.ceil(items / per_item)
    reader_config = (body.get("ItemReader") or {}).get("ReaderConfig") or {}
    cap = reader_config.get("MaxItems")
    if isinstance(cap, int) and cap > 0:
        items = min(items, cap)
    return items


def _machine_events(machine: dict[str, Any], walk: _Walk) -> float:
    states = machine.get("States") or {}
    start = machine.get("StartAt")
    memo: dict[str, float] = {}
    return _path_events(start, states, walk, memo, set())


def _path_events(name: Any, states: dict, walk: _Walk, memo: dict, visiting: set) -> float:
    """Events from state `name` to the end of its (sub-)machine along the costliest path."""
    if not isinstance(name, str) or name not in states or not isinstance(states[name], dict):
        return 0.0
    if name in memo:
        return memo[name]
    if name in visiting:  # a loop: counted once, reported so the figure is read as a lower bound
        walk.loops.append(name)
        return 0.0
    visiting.add(name)
    body = states[name]
    own = _state_events(name, body, walk)
    onward = [_path_events(target, states, walk, memo, visiting) for target in _successors(body)]
    visiting.discard(name)
    memo[name] = own + max(onward, default=0.0)
    return memo[name]


def _state_events(name: str, body: dict[str, Any], walk: _Walk) -> float:
    kind = body.get("Type")
    if kind == "Task":
        return TASK_EVENTS + RETRY_EVENTS * walk.retry_rate * (1 if body.get("Retry") else 0)
    if kind == "Parallel":
        return CONTAINER_EVENTS + sum(_machine_events(b, walk) for b in body.get("Branches") or [])
    if kind == "Map":
        processor = body.get("ItemProcessor") or body.get("Iterator") or {}
        items = map_items(body, walk.reports, walk.reports_per_item)
        if asl.is_distributed(body):
            walk.children.append((name, processor, items))
            return CONTAINER_EVENTS
        return CONTAINER_EVENTS + items * (ITERATION_EVENTS + _machine_events(processor, walk))
    return SIMPLE_EVENTS


def _successors(body: dict[str, Any]) -> list[str]:
    targets = []
    if isinstance(body.get("Next"), str):
        targets.append(body["Next"])
    for choice in body.get("Choices") or []:
        if isinstance(choice, dict) and isinstance(choice.get("Next"), str):
            targets.append(choice["Next"])
    if isinstance(body.get("Default"), str):
        targets.append(body["Default"])
    for catcher in body.get("Catch") or []:
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            targets.append(catcher["Next"])
    return targets
