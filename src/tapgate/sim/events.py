"""The EventBridge side: find the scheduled rule that starts the state machine, render its target input.

The daily rule's target (ARN, InputTransformer, Input or InputPath) is taken from the template. The input is
rendered as EventBridge renders it for a scheduled event: the event envelope (`detail-type: Scheduled
Event`, `source: aws.events`, `time`, `resources: [rule ARN]`), the InputPathsMap's JSON paths read from it,
and the InputTemplate with `<name>` replaced: as raw text inside a JSON string, as a JSON value outside one.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from tapgate.sim.deploy import Deployment


@dataclass
class ScheduledTarget:
    rule: str  # logical id
    rule_arn: str
    schedule: str
    target: dict[str, Any]  # resolved target properties


def scheduled_targets(deployment: Deployment, target_arn: str) -> list[ScheduledTarget]:
    """Every scheduled rule target that points at `target_arn` (the state machine), from the template."""
    found = []
    for logical_id in deployment.of_type("AWS::Events::Rule"):
        props = deployment.resolver.properties(logical_id)
        if "ScheduleExpression" not in props:
            continue
        name = deployment.physical(logical_id)
        rule_arn = (
            name
            if name.startswith("arn:")
            else (f"arn:aws:events:{deployment.region}:{deployment.resolver.account}:rule/{name}")
        )
        for target in props.get("Targets", []):
            if target.get("Arn") == target_arn:
                found.append(ScheduledTarget(logical_id, rule_arn, props["ScheduleExpression"], target))
    return found


def scheduled_event(deployment: Deployment, rule_arn: str, time: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": deployment.resolver.account,
        "time": time,
        "region": deployment.region,
        "resources": [rule_arn],
        "detail": {},
    }


def render_target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str) -> str:
    """The execution input EventBridge would send for `event` to `target`."""
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        return json.dumps(_json_path(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    values = {name: _json_path(event, path) for name, path in transformer.get("InputPathsMap", {}).items()}
    values.update(
        {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
            "aws.events.event.ingestion-time": event["time"],
            "aws.events.event": event,
            "aws.events.event.json": event,
        }
    )

    def quoted(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return json.dumps(value if isinstance(value, str) else json.dumps(value))[1:-1]

    def bare(match: re.Match[str]) -> str:
        return json.dumps(values.get(match.group(1)))

    text = re.sub(r'(?<=")<([\w.-]+)>(?=")', quoted, transformer["InputTemplate"])
    return re.sub(r"<([\w.-]+)>", bare, text)


def _json_path(doc: Any, path: str) -> Any:
    """EventBridge's paths are simple dotted JSON paths ($.detail.x); jsonpath-ng reads them."""
    from jsonpath_ng import parse

    matches = [m.value for m in parse(path).find(doc)]
    return matches[0] if len(matches) == 1 else (matches or None)
