"""Fixtures for the Lambda tests: an unmigrated database, a CloudFormation response endpoint, buckets."""

from __future__ import annotations

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
