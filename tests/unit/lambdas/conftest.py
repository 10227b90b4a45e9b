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
def seeded(platform, small_day, postgres_server):
    """The small seeded day loaded into the test's database (psycopg: the Data API path is tested in
    tests/unit/sim/test_seed.py, and the oversized reports' thousands of rows would dominate every test)."""
    import psycopg

    from tapgate.sim.seed import insert_with_psycopg

    insert_with_psycopg(
        psycopg.conninfo.make_conninfo(postgres_server.dsn, dbname=platform.database), small_day
    )
    return small_day


@pytest.fixture(scope="session")
def small_day():
    """Every report type twice, one report of each bad kind (generated once: the seed is deterministic)."""
    from tapgate.sim.seed import BAD_KINDS, SeedSpec, generate_seed

    spec = SeedSpec(
        business_date=dt.date(2026, 11, 26),
        reports=14,
        bad_fraction=len(BAD_KINDS) / 14,
        entities_per_jurisdiction=3,
        rows_per_report=(2, 4),
    )
    return generate_seed(spec)


@pytest.fixture
def pipeline(seeded, lambda_context):
    from handler_harness import Pipeline

    return Pipeline(lambda_context)
