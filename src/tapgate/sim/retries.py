"""Check the retries the interpreter made against the Retry the template declares.

Each recorded retry (state, error, attempt, interval) must be allowed by the first retrier of that state
whose ErrorEquals matches the error (as Step Functions picks it): the attempt is within MaxAttempts, and
the interval is within IntervalSeconds × BackoffRate^(attempt-1), capped by MaxDelaySeconds; with
`JitterStrategy: FULL` any value from 0 up to that bound is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tapgate.sim.clock import RetryRecord

_DEFAULTS = {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}


def states_by_name(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state of the definition, nested Map/Parallel states included (names are unique per machine)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(states: dict[str, Any]) -> None:
        for name, state in states.items():
            found[name] = state
            for inner in _nested(state):
                walk(inner.get("States", {}))

    walk(definition.get("States", {}))
    return found


def _nested(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("ItemProcessor", "Iterator"):
        if key in state:
            yield state[key]
    yield from state.get("Branches", [])


def matching_retrier(state: dict[str, Any], error: str) -> dict[str, Any] | None:
    for retrier in state.get("Retry", []):
        names = retrier.get("ErrorEquals", [])
        if error in names or "States.ALL" in names:
            return retrier
    return None


def interval_bound(retrier: dict[str, Any], attempt: int) -> float:
    interval = retrier.get("IntervalSeconds", _DEFAULTS["IntervalSeconds"])
    rate = retrier.get("BackoffRate", _DEFAULTS["BackoffRate"])
    bound = interval * rate ** max(attempt - 1, 0)
    if "MaxDelaySeconds" in retrier:
        bound = min(bound, retrier["MaxDelaySeconds"])
    return float(bound)


def retries_follow_template(definition: dict[str, Any], retries: list[RetryRecord]) -> tuple[bool, list[str]]:
    """(all allowed, one line per retry that the template's Retry does not allow)."""
    states = states_by_name(definition)
    problems = []
    for record in retries:
        retrier = matching_retrier(states.get(record.state, {}), record.error)
        if retrier is None:
            problems.append(f"{record.state}: retried {record.error}, which no Retry of the state names")
            continue
        max_attempts = retrier.get("MaxAttempts", _DEFAULTS["MaxAttempts"])
        if record.attempt > max_attempts:
            problems.append(f"{record.state}: attempt {record.attempt} > MaxAttempts {max_attempts}")
        bound = interval_bound(retrier, record.attempt)
        full_jitter = retrier.get("JitterStrategy") == "FULL"
        low = 0.0 if full_jitter else bound
        if not (low - 1e-6 <= record.interval_s <= bound + 1e-6):
            problems.append(
                f"{record.state}: retry {record.attempt} of {record.error} waited {record.interval_s:.3f} s, "
                f"template allows {'0..' if full_jitter else ''}{bound:g} s"
            )
    return not problems, problems
