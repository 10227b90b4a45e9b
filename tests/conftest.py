"""Fixtures shared by the whole suite: AWS credentials for moto, a Lambda context, and a real PostgreSQL with
the schema applied by db_init's own migration logic, reached through moto's Data API bridged to it.

- `aws_credentials`: fake credentials and region, so no test can reach a real account.
- `lambda_context`: what the Lambda runtime passes to a handler.
- `postgres_server` (session): a throw-away PostgreSQL (tapgate.sim.postgres).
- `migrated_template` (session): a database migrated once by `tapcommon.migrations.apply_migrations`, through
  the Data API; tests get copies of it.
- `fresh_database` (function): a new database cloned from the template (fast, isolated per test).
- `data_api` (function): mock_aws + the Data API bridge on a fresh database, with DB_* env vars set the way
  the template sets them on the functions; yields a `tapcommon.db.Database`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = REPO_ROOT / "lambdas"
if str(LAMBDAS_DIR) not in sys.path:
    # The handlers are deployed as top-level modules (Handler: plan.lambda_handler), so tests import them so.
    sys.path.insert(0, str(LAMBDAS_DIR))

# Powertools: no X-Ray outside Lambda, and the names the template sets.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "tapstack")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TapStack")

TEST_REGION = "us-east-1"
TEST_ACCOUNT = "123456789012"
DB_CLUSTER_ARN = f"arn:aws:rds:{TEST_REGION}:{TEST_ACCOUNT}:cluster:tapstack-reporting"
DB_SECRET_ARN = f"arn:aws:secretsmanager:{TEST_REGION}:{TEST_ACCOUNT}:secret:tapstack-db-AbCdEf"
TEMPLATE_DATABASE = "tapstack_template"
_database_numbers = itertools.count(1)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_REGION": TEST_REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@dataclass
class FakeLambdaContext:
    function_name: str = "tapstack-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{TEST_REGION}:{TEST_ACCOUNT}:function:tapstack-test"
    aws_request_id: str = "6f0c2a1e-0000-4000-8000-000000000001"
    log_group_name: str = "/aws/lambda/tapstack-test"
    log_stream_name: str = "2026/11/27/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(scope="session")
def postgres_server():
    from tapgate.sim.postgres import start_postgres

    server = start_postgres(database="postgres")
    yield server
    server.stop()


def _admin(dsn: str):
    import psycopg

    return psycopg.connect(dsn, autocommit=True)


def _data_api_env(database: str) -> dict[str, str]:
    return {"DB_CLUSTER_ARN": DB_CLUSTER_ARN, "DB_SECRET_ARN": DB_SECRET_ARN, "DB_NAME": database}


@pytest.fixture(scope="session")
def migrated_template(postgres_server) -> str:
    """Name of a database whose schema db_init's migration logic applied through the Data API."""
    from moto import mock_aws

    from tapgate.sim.dataapi import data_api_bridge

    with _admin(postgres_server.dsn) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}"')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DATABASE}"')
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": TEST_REGION,
        }
    )
    try:
        from tapcommon.aws import reset_clients
        from tapcommon.db import Database
        from tapcommon.migrations import apply_migrations

        reset_clients()
        with mock_aws(), data_api_bridge(postgres_server.dsn):
            apply_migrations(Database(DB_CLUSTER_ARN, DB_SECRET_ARN, TEMPLATE_DATABASE))
        reset_clients()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return TEMPLATE_DATABASE


@pytest.fixture
def fresh_database(postgres_server, migrated_template) -> str:
    """A new database cloned from the migrated template; dropped after the test."""
    name = f"tapstack_t{os.getpid()}_{next(_database_numbers)}"
    with _admin(postgres_server.dsn) as conn:
        # FILE_COPY: three times faster than the default WAL_LOG for a small template (PostgreSQL 15+)
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}" STRATEGY FILE_COPY')
    yield name
    with _admin(postgres_server.dsn) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def data_api_on(aws_credentials, postgres_server, monkeypatch: pytest.MonkeyPatch):
    """A context manager factory: `with data_api_on(database) as db:` runs mock_aws with the Data API
    served by PostgreSQL, DB_* env vars pointing at `database`, and yields a `tapcommon.db.Database`."""
    from moto import mock_aws

    from tapgate.sim.dataapi import data_api_bridge

    @contextlib.contextmanager
    def on(database: str):
        for name, value in _data_api_env(database).items():
            monkeypatch.setenv(name, value)
        from tapcommon.aws import reset_clients
        from tapcommon.db import Database

        reset_clients()
        try:
            with mock_aws(), data_api_bridge(postgres_server.dsn):
                yield Database.from_env()
        finally:
            reset_clients()

    return on


@pytest.fixture
def data_api(data_api_on, fresh_database):
    """mock_aws with rds-data on PostgreSQL (a fresh migrated database); yields tapcommon's Database."""
    with data_api_on(fresh_database) as db:
        yield db
