"""db_init: versioned migrations through the Data API (idempotent, atomic, immutable once applied), the
custom resource's Create/Update/Delete, and that CloudFormation is answered even when everything fails."""

from __future__ import annotations

import pytest

import db_init
from tapcommon.errors import PermanentError
from tapcommon.migrations import Migration, apply_migrations, load_migrations, split_statements

CORE_TABLES = {
    "entities",
    "report_jobs",
    "report_rows",
    "reports",
    "validations",
    "deliveries",
    "confirmations",
    "runs",
    "batch_failures",
    "audit_events",
    "schema_migrations",
}


def _tables(db) -> set[str]:
    rows = db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


def test_migration_files_are_numbered_and_split_into_statements():
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    statements = split_statements(migrations[0].sql)
    function = next(s for s in statements if s.startswith("CREATE FUNCTION"))
    assert "RAISE EXCEPTION" in function and function.rstrip().endswith("$$")


def test_split_statements_respects_quotes_dollar_bodies_and_comments():
    sql = (
        "SELECT ';' AS a; -- c; d\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $b$ SELECT 1; $b$;\n/* x; */"
    )
    assert split_statements(sql) == [
        "SELECT ';' AS a",
        "-- c; d\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $b$ SELECT 1; $b$",
    ]


def test_apply_migrations_creates_schema_once(empty_data_api):
    assert apply_migrations(empty_data_api) == [m.version for m in load_migrations()]
    assert CORE_TABLES <= _tables(empty_data_api)
    assert apply_migrations(empty_data_api) == []


def test_a_failing_migration_leaves_nothing_behind(empty_data_api):
    broken = [
        Migration(1, "ok", "CREATE TABLE a (x int);"),
        Migration(2, "bad", "CREATE TABLE b (x nosuchtype);"),
    ]
    with pytest.raises(PermanentError, match="SQLSTATE_42704"):
        apply_migrations(empty_data_api, broken)
    assert _tables(empty_data_api) == {"schema_migrations"}
    assert empty_data_api.query("SELECT count(*) AS n FROM schema_migrations")[0]["n"] == 0


def test_an_applied_migration_must_not_change(empty_data_api):
    apply_migrations(empty_data_api, [Migration(1, "one", "CREATE TABLE a (x int);")])
    with pytest.raises(PermanentError, match="MIGRATION_CHANGED"):
        apply_migrations(empty_data_api, [Migration(1, "one", "CREATE TABLE a (x bigint);")])


def test_audit_events_refuse_update_delete_and_truncate(data_api):
    data_api.audit("test", "created", "r1", "run1", {"k": 1})
    for sql in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"):
        with pytest.raises(PermanentError, match="append-only"):
            data_api.execute(sql)
    assert data_api.query("SELECT action FROM audit_events") == [{"action": "created"}]


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_port}/cfn-response?sig=1"


def test_create_update_delete_answer_cloudformation(empty_data_api, cfn_endpoint, cfn_event, lambda_context):
    latest = str(load_migrations()[-1].version)
    create = db_init.lambda_handler(cfn_event("Create", _url(cfn_endpoint)), lambda_context)
    update = db_init.lambda_handler(
        cfn_event("Update", _url(cfn_endpoint), PhysicalResourceId=create["PhysicalResourceId"]),
        lambda_context,
    )
    delete = db_init.lambda_handler(
        cfn_event("Delete", _url(cfn_endpoint), PhysicalResourceId=create["PhysicalResourceId"]),
        lambda_context,
    )
    bodies = [answer["body"] for answer in cfn_endpoint.answers]
    assert [b["Status"] for b in bodies] == ["SUCCESS", "SUCCESS", "SUCCESS"]
    assert bodies[0]["Data"] == {
        "SchemaVersion": latest,
        "Applied": ",".join(str(m.version) for m in load_migrations()),
    }
    assert bodies[1]["Data"] == {"SchemaVersion": latest, "Applied": ""}
    assert {b["PhysicalResourceId"] for b in bodies} == {db_init.PHYSICAL_RESOURCE_ID}
    assert bodies[0]["RequestId"] == "req-1" and bodies[0]["LogicalResourceId"] == "DbSchema"
    assert (create["Status"], update["Status"], delete["Status"]) == ("SUCCESS", "SUCCESS", "SUCCESS")
    assert CORE_TABLES <= _tables(empty_data_api)  # Delete keeps the records


def test_failure_is_answered_as_failed(empty_data_api, cfn_endpoint, cfn_event, lambda_context, monkeypatch):
    monkeypatch.delenv("DB_CLUSTER_ARN")
    result = db_init.lambda_handler(cfn_event("Create", _url(cfn_endpoint)), lambda_context)
    (answer,) = cfn_endpoint.answers
    assert answer["body"]["Status"] == "FAILED" == result["Status"]
    assert "DB_CLUSTER_ARN" in answer["body"]["Reason"]
    assert answer["path"] == "/cfn-response?sig=1"


def test_malformed_request_is_answered_as_failed(empty_data_api, cfn_endpoint, cfn_event, lambda_context):
    db_init.lambda_handler(cfn_event("Upsert", _url(cfn_endpoint)), lambda_context)
    (answer,) = cfn_endpoint.answers
    assert answer["body"]["Status"] == "FAILED"
    assert "RequestType" in answer["body"]["Reason"]


def test_unreachable_response_url_does_not_raise(empty_data_api, cfn_event, lambda_context):
    result = db_init.lambda_handler(cfn_event("Create", "http://127.0.0.1:9/nothing"), lambda_context)
    assert result["Status"] == "SUCCESS"
