"""Fixtures for the Lambda tests: an unmigrated database, a CloudFormation response endpoint, buckets."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


@pytest.fixture
def empty_data_api(postgres_server, data_api_on):
    """Like `data_api`, but on a database with no schema at all (what db_init meets on Create)."""
    import psycopg

    name = f"tapstack_empty_{os.getpid()}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with data_api_on(name) as db:
        yield db
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Recorder(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.answers.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:  # keep pytest output clean
        return None


@pytest.fixture
def cfn_endpoint():
    """A local HTTP server standing in for CloudFormation's pre-signed ResponseURL; records every PUT."""
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    server.answers = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def cfn_event():
    """A factory of CloudFormation custom resource requests."""
    return _cfn_event


def _cfn_event(request_type: str, url: str, **extra) -> dict:
    event = {
        "RequestType": request_type,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/TapStack/abc",
        "RequestId": "req-1",
        "LogicalResourceId": "DbSchema",
        "ResourceType": "Custom::DbSchema",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:db-init"},
    }
    event.update(extra)
    return event


@pytest.fixture
def platform(data_api, monkeypatch: pytest.MonkeyPatch):
    """The AWS side of the stack on moto (inside `data_api`'s mock): KMS key, the work bucket, the
    object-locked report bucket, a verified SES sender with its configuration set, and the alert topic.
    Sets the env vars the template sets on the functions. Yields the tapcommon Database."""
    import boto3

    kms_arn = boto3.client("kms").create_key(Description="data key")["KeyMetadata"]["Arn"]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="tapstack-work")
    s3.put_bucket_versioning(Bucket="tapstack-work", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="tapstack-reports", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket="tapstack-reports",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 10}},
        },
    )
    ses = boto3.client("ses")
    ses.verify_domain_identity(Domain="reports.example.com")
    ses.create_configuration_set(ConfigurationSet={"Name": "tapstack-events"})
    topic = boto3.client("sns").create_topic(Name="tapstack-alerts")["TopicArn"]
    for name, value in {
        "KMS_KEY_ARN": kms_arn,
        "WORK_BUCKET": "tapstack-work",
        "REPORT_BUCKET": "tapstack-reports",
        "SES_SENDER": "reports@reports.example.com",
        "SES_CONFIGURATION_SET": "tapstack-events",
        "ALERT_TOPIC_ARN": topic,
        "ENVIRONMENT": "test",
    }.items():
        monkeypatch.setenv(name, value)
    yield data_api


@pytest.fixture
def seeded(platform):
    """A small seeded business day (every report type twice, one of each bad kind), through the Data API."""
    from tapgate.sim.seed import BAD_KINDS, SeedSpec, generate_seed, insert_with_data_api

    spec = SeedSpec(
        business_date=dt.date(2026, 11, 26),
        reports=14,
        bad_fraction=len(BAD_KINDS) / 14,
        entities_per_jurisdiction=3,
        rows_per_report=(2, 4),
    )
    data = generate_seed(spec)
    insert_with_data_api(platform, data)
    return data


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


@pytest.fixture
def pipeline(seeded, lambda_context) -> Pipeline:
    return Pipeline(lambda_context)
