"""Helpers for the handler tests: the seeded business date, a clock before every deadline, the handlers
run in the state machine's order, and SES's sent mail (moto)."""

from __future__ import annotations

import datetime as dt
import json


def sent_messages() -> list:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


BUSINESS_DATE = "2026-11-26"
# Before every pack's deadline for 2026-11-26 (the earliest is ASIC's, 2026-11-27 17:00 Sydney = 06:00 UTC).
ON_TIME = dt.datetime(2026, 11, 27, 5, 0, tzinfo=dt.UTC)


class Pipeline:
    """Runs the handlers in the state machine's order on the seeded day (plain functions where a clock is
    needed, handlers otherwise), keeping each step's output."""

    def __init__(self, context):
        self.context = context
        self.run_id = "run-1"

    def plan(self) -> dict:
        import plan

        self.planned = plan.lambda_handler(
            {"execution_input": {"business_date": BUSINESS_DATE}, "run_id": self.run_id}, self.context
        )
        return self.planned

    def batches(self) -> list[dict]:
        import boto3

        body = boto3.client("s3").get_object(Bucket="tapstack-work", Key=self.planned["manifest"]["key"])[
            "Body"
        ]
        return json.loads(body.read())

    def generate(self) -> list[dict]:
        import generate

        self.plan()
        self.generated = [
            generate.lambda_handler(
                {"batch": b, "run_id": self.run_id, "business_date": BUSINESS_DATE}, self.context
            )
            for b in self.batches()
        ]
        return self.generated

    def validate(self, now=ON_TIME) -> list[dict]:
        import validate
        from tapcommon.db import Database
        from tapcommon.events import ValidateEvent

        self.generate()
        self.validated = [
            validate.validate(ValidateEvent.model_validate(g), Database.from_env(), "tapstack-work", now)
            for g in self.generated
        ]
        return self.validated

    def deliver(self) -> list[dict]:
        import deliver

        self.validate()
        self.delivered = [deliver.lambda_handler(v, self.context) for v in self.validated]
        return self.delivered

    def confirm(self) -> list[dict]:
        import confirm

        self.deliver()
        self.confirmed = [confirm.lambda_handler(d, self.context) for d in self.delivered]
        return self.confirmed
