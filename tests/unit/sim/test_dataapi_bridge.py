"""tapgate.sim.dataapi: moto's rds-data routes served by PostgreSQL — typed parameters and type hints, records
and formatRecordsAs JSON, columnMetadata, numberOfRecordsUpdated, batches, transactions (commit, rollback,
unknown id) and BadRequestException with PostgreSQL's message; the `:name` rewriting."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tapgate.sim.dataapi import to_psycopg

ARNS = {
    "resourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:c",
    "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
}


@pytest.fixture
def rds(data_api):
    client = boto3.client("rds-data")

    def run(sql, params=(), **extra):
        return client.execute_statement(
            **ARNS, database=data_api.database, sql=sql, parameters=list(params), **extra
        )

    run(
        "CREATE TABLE t (id serial PRIMARY KEY, d date, j jsonb, n numeric(10,2), s text, b bytea, "
        "ts timestamptz, f double precision, ok boolean)"
    )
    return client, run


def p(name, hint=None, **value):
    return {"name": name, "value": value} | ({"typeHint": hint} if hint else {})


def test_typed_parameters_and_records(rds):
    _, run = rds
    out = run(
        "INSERT INTO t (d, j, n, s, b, ts, f, ok) VALUES (:d, :j, :n, :s, :b, :ts, :f, :ok) "
        "RETURNING id, d, j, n, s, b, ts, f, ok",
        [
            p("d", "DATE", stringValue="2026-11-26"),
            p("j", "JSON", stringValue='{"a": [1]}'),
            p("n", "DECIMAL", stringValue="12.50"),
            p("s", stringValue="50% :not_a_param"),
            p("b", blobValue=b"\x00\x01"),
            p("ts", "TIMESTAMP", stringValue="2026-11-26 10:00:00"),
            p("f", doubleValue=1.5),
            p("ok", booleanValue=True),
        ],
        includeResultMetadata=True,
    )
    assert out["records"] == [
        [
            {"longValue": 1},
            {"stringValue": "2026-11-26"},
            {"stringValue": '{"a": [1]}'},
            {"stringValue": "12.50"},
            {"stringValue": "50% :not_a_param"},
            {"blobValue": b"\x00\x01"},
            {"stringValue": "2026-11-26 10:00:00"},
            {"doubleValue": 1.5},
            {"booleanValue": True},
        ]
    ]
    assert [c["typeName"] for c in out["columnMetadata"]][:4] == ["int4", "date", "jsonb", "numeric"]
    assert out["numberOfRecordsUpdated"] == 1


def test_a_string_without_its_type_hint_fails_as_on_aurora(rds):
    _, run = rds
    with pytest.raises(ClientError) as err:
        run("INSERT INTO t (d) VALUES (:d)", [p("d", stringValue="2026-11-26")])
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert "is of type date but expression is of type text" in err.value.response["Error"]["Message"]
    assert "SQLState: 42804" in err.value.response["Error"]["Message"]


def test_format_records_as_json_and_null(rds):
    _, run = rds
    run("INSERT INTO t (s, n) VALUES (:s, NULL)", [p("s", stringValue="x")])
    out = run("SELECT s, n, id FROM t", formatRecordsAs="JSON")
    assert json.loads(out["formattedRecords"]) == [{"s": "x", "n": None, "id": 1}]
    assert "records" not in out


def test_updates_count_and_selects_do_not(rds):
    _, run = rds
    for i in range(3):
        run("INSERT INTO t (s) VALUES (:s)", [p("s", stringValue=str(i))])
    assert run("UPDATE t SET s = 'u' WHERE id > :id", [p("id", longValue=1)])["numberOfRecordsUpdated"] == 2
    assert run("SELECT * FROM t")["numberOfRecordsUpdated"] == 0


def test_transactions_commit_and_rollback(rds, data_api):
    client, run = rds
    for end, expected in ((client.rollback_transaction, 0), (client.commit_transaction, 1)):
        tx = client.begin_transaction(**ARNS, database=data_api.database)["transactionId"]
        run("INSERT INTO t (s) VALUES ('in tx')", transactionId=tx)
        status = end(**ARNS, transactionId=tx)["transactionStatus"]
        assert status in ("Rollback Complete", "Transaction Committed")
        assert run("SELECT count(*) FROM t")["records"] == [[{"longValue": expected}]]
    with pytest.raises(ClientError, match="NotFoundException"):
        client.commit_transaction(**ARNS, transactionId="nope")


def test_batch_runs_every_set_atomically(rds, data_api):
    client, run = rds
    sets = [[p("s", stringValue="a")], [p("s", stringValue="b")]]
    out = client.batch_execute_statement(
        **ARNS, database=data_api.database, sql="INSERT INTO t (s) VALUES (:s)", parameterSets=sets
    )
    assert len(out["updateResults"]) == 2
    bad = [[p("id", longValue=10)], [p("id", longValue=10)]]
    with pytest.raises(ClientError, match="duplicate key"):
        client.batch_execute_statement(
            **ARNS, database=data_api.database, sql="INSERT INTO t (id) VALUES (:id)", parameterSets=bad
        )
    assert run("SELECT count(*) FROM t")["records"] == [[{"longValue": 2}]]


def test_oversized_results_are_refused(rds):
    _, run = rds
    with pytest.raises(ClientError, match="response size limit"):
        run("SELECT repeat('x', 1100000) AS big")


def test_placeholders_are_rewritten_outside_literals_and_casts():
    sql = "SELECT :a::int, ':b', \"c:d\", $$:e$$, 5 % 2 -- :f\n FROM t WHERE x = :a_2"
    assert to_psycopg(sql, {"a", "a_2"}) == (
        "SELECT %(a)s::int, ':b', \"c:d\", $$:e$$, 5 %% 2 -- :f\n FROM t WHERE x = %(a_2)s"
    )
    with pytest.raises(KeyError):
        to_psycopg("SELECT :missing", {"a"})
