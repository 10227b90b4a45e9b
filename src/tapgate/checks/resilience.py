"""Resilience checks guard cannot express: the contents of a state machine, and which queue is a DLQ.

TAP_RES_TASK_RETRY (declarative): every Task state of every state machine, at any depth (Map item
processors, Parallel branches), has a non-empty Retry. The definition may be an object (`Definition`) or a
JSON string (`DefinitionString`, judged after decoding; a string built with Fn::Sub/Fn::Join cannot be
decoded and FAILs: what cannot be read cannot be shown to retry).

TAP_RES_QUEUE_DLQ (code): every SQS queue either has a RedrivePolicy with a deadLetterTargetArn or is itself
a dead-letter queue (named by another queue's RedrivePolicy, a Lambda DeadLetterConfig or an EventBridge
target's DeadLetterConfig).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tapgate.checks.base import Check, Verdict, resources_of
from tapgate.checks.declarative import ValueCheck
from tapgate.checks.refs import referenced_ids
from tapgate.model import Severity, Status

STATE_MACHINE = "AWS::StepFunctions::StateMachine"
UNREADABLE = {"States": {"<DefinitionString built with an intrinsic function>": {"Type": "Task"}}}


class TaskRetry(ValueCheck):
    rule = "TAP_RES_TASK_RETRY"
    title = "Every Task state has a Retry"
    severity = Severity.HIGH
    resource_types = (STATE_MACHINE,)
    selector = "$..States.*"
    message = "Task state {key} has no Retry: a transient Lambda or service error fails the batch at once."
    ok_message = "Every Task state of {resource} has a Retry."
    fix = (
        "Add Retry to the Task: ErrorEquals [TransientError, Lambda.ServiceException, "
        "Lambda.AWSLambdaException, Lambda.SdkClientException, Lambda.TooManyRequestsException], "
        "BackoffRate 2, JitterStrategy FULL."
    )

    def prepare(self, resource: dict[str, Any]):
        props = resource.get("Properties") or {}
        if isinstance(props.get("Definition"), dict):
            return props["Definition"], ("Properties", "Definition"), True
        text = props.get("DefinitionString")
        if isinstance(text, str):
            try:
                return json.loads(text), ("Properties", "DefinitionString"), False
            except ValueError:
                return UNREADABLE, ("Properties", "DefinitionString"), False
        if text is not None:
            return UNREADABLE, ("Properties", "DefinitionString"), False
        return None  # DefinitionS3Location: the definition is not in the template

    def expect(self, key: str | int, value: Any) -> bool:
        if not isinstance(value, dict) or value.get("Type") != "Task":
            return True
        retry = value.get("Retry")
        return isinstance(retry, list) and len(retry) > 0


class QueueDeadLetter(Check):
    rule = "TAP_RES_QUEUE_DLQ"
    title = "Every SQS queue has a dead-letter queue, or is one"
    severity = Severity.MEDIUM
    resource_types = ("AWS::SQS::Queue",)
    fix = "Set RedrivePolicy {deadLetterTargetArn: {Fn::GetAtt: [SomeDlq, Arn]}, maxReceiveCount: 5}."

    def verdicts(self, data: dict[str, Any]) -> Iterator[Verdict]:
        dead_letter_ids = dead_letter_targets(data)
        for logical_id, resource in resources_of(data, self.resource_types):
            redrive = (resource.get("Properties") or {}).get("RedrivePolicy") or {}
            if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn"):
                yield Verdict(logical_id, Status.PASS, f"{logical_id} redrives to a dead-letter queue.")
            elif logical_id in dead_letter_ids:
                yield Verdict(logical_id, Status.PASS, f"{logical_id} is a dead-letter queue.")
            else:
                yield Verdict(
                    logical_id,
                    Status.FAIL,
                    f"Queue {logical_id} has no dead-letter queue and is not one: poison messages are "
                    "retried until they expire, then lost.",
                    ("Properties",),
                )


def dead_letter_targets(data: dict[str, Any]) -> set[str]:
    """Logical ids named as a dead-letter target anywhere in the template."""
    found: set[str] = set()
    for _, resource in resources_of(data, ("*",)):
        props = resource.get("Properties") or {}
        found |= referenced_ids((props.get("RedrivePolicy") or {}).get("deadLetterTargetArn"))
        found |= referenced_ids((props.get("DeadLetterConfig") or {}).get("TargetArn"))
        for target in props.get("Targets") or []:
            if isinstance(target, dict):
                found |= referenced_ids((target.get("DeadLetterConfig") or {}).get("Arn"))
    return found
