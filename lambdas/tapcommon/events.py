"""The state machine's payloads (docs/contract.md, "The state machine") as pydantic models.

Inputs ignore keys they do not use (Step Functions passes whole states along); a missing or mistyped key
is a PermanentError, never a KeyError deep in the logic.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tapcommon.errors import PermanentError

RunId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]
ReportId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ExecutionInput(Model):
    scheduled_time: dt.datetime | None = None
    trigger: str | None = None
    business_date: dt.date | None = None


class PlanEvent(Model):
    execution_input: ExecutionInput = ExecutionInput()
    run_id: RunId


class Batch(Model):
    batch_id: str = Field(min_length=1, max_length=80)
    report_ids: list[ReportId] = Field(min_length=1, max_length=100)


class GenerateEvent(Model):
    run_id: RunId
    business_date: dt.date
    batch: Batch


class GeneratedReport(Model):
    report_id: ReportId
    jurisdiction: str
    report_type: str
    format: str
    file_name: str
    staging_key: str
    sha256: str
    version_id: str | None = None
    size: int
    already_delivered: bool = False
    late: bool = False


class BatchStep(Model):
    run_id: RunId
    business_date: dt.date
    batch_id: str


class ValidateEvent(BatchStep):
    reports: list[GeneratedReport]


class Quarantined(Model):
    report_id: ReportId
    jurisdiction: str = ""
    violations: list[dict[str, Any]]


class DeliverEvent(BatchStep):
    valid: list[GeneratedReport]
    quarantined: list[Quarantined] = []


class Delivered(Model):
    report_id: ReportId
    jurisdiction: str
    message_id: str
    report_key: str
    version_id: str | None = None
    sha256: str


class FailedReport(Model):
    report_id: ReportId
    error: str


class ConfirmAction(BatchStep):
    action: Literal["confirm"] = "confirm"
    delivered: list[Delivered] = []
    failed: list[FailedReport] = []


class StepError(Model):
    Error: str = "Unknown"
    Cause: str = ""


class RecordFailureAction(Model):
    action: Literal["record_failure"]
    run_id: RunId
    business_date: dt.date | None = None
    failed_input: dict[str, Any] = {}
    error: StepError = StepError()


class FinalizeRunAction(Model):
    action: Literal["finalize_run"]
    run_id: RunId
    business_date: dt.date


ConfirmEvent = Annotated[
    ConfirmAction | RecordFailureAction | FinalizeRunAction, Field(discriminator="action")
]
_confirm_adapter: TypeAdapter = TypeAdapter(ConfirmEvent)

M = TypeVar("M", bound=BaseModel)


def parse_event(model: type[M], event: Any) -> M:
    """Validate an event; a malformed one is a PermanentError that says which fields are wrong."""
    try:
        return model.model_validate(event)
    except ValidationError as err:
        raise PermanentError("MALFORMED_EVENT", _summary(err)) from err


def parse_confirm_event(event: Any) -> ConfirmAction | RecordFailureAction | FinalizeRunAction:
    """Confirm's three actions; an event without `action` is Deliver's output, i.e. `confirm`."""
    if isinstance(event, dict) and "action" not in event:
        event = {**event, "action": "confirm"}
    try:
        return _confirm_adapter.validate_python(event)
    except ValidationError as err:
        raise PermanentError("MALFORMED_EVENT", _summary(err)) from err


def _summary(err: ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in err.errors()[:5]]
    return "; ".join(problems)
