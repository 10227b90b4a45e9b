"""tapgate.sim.workers and handler_worker: a handler run in a worker process against moto in this one.

A real worker process (`HandlerPool`) runs small handlers from a scratch lambdas directory; their AWS calls
come back here and moto answers them (`answer_call` with moto's own stubber). Covered: the payload and the
function's environment, what the handler printed, S3 state written by the worker and read here, a
streamed body, handler errors as Lambda error payloads, an injected crash (`Runtime.ExitError`), a
transport error that botocore retries (its sleeps recorded, not slept) before the handler sees it, a
worker that dies (`WorkerFailed`, never a hang), and the Data API answered in the worker with the
transactions an invocation left open rolled back when it ends.
"""

from __future__ import annotations

import json
import textwrap

import pytest

HANDLERS = """
import os

import boto3


def put_get(event, context):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=event["bucket"], Key="k", Body=b"x" * 70000)
    body = s3.get_object(Bucket=event["bucket"], Key="k")["Body"].read()
    print("put and read", len(body))
    return {"length": len(body), "foo": os.environ.get("FOO"), "name": context.function_name}


def fails(event, context):
    raise ValueError("bad batch")


def lists(event, context):
    return boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"][0]["Name"]


def dies(event, context):
    os._exit(3)


def opens_transaction(event, context):
    client = boto3.client("rds-data", region_name="us-east-1")
    arns = {"resourceArn": "arn:aws:rds:us-east-1:123456789012:cluster:c",
            "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"}
    tid = client.begin_transaction(database=event["database"], **arns)["transactionId"]
    sql = "INSERT INTO held VALUES (1)"
    client.execute_statement(sql=sql, transactionId=tid, database=event["database"], **arns)
    return tid
"""


@pytest.fixture
def lambdas(tmp_path):
    (tmp_path / "h.py").write_text(textwrap.dedent(HANDLERS), encoding="utf-8")
    return tmp_path


@pytest.fixture
def moto_s3(aws_credentials):
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="workers-bucket")
        yield


@pytest.fixture
def pool(lambdas):
    from tapgate.sim.workers import HandlerPool

    handlers = HandlerPool(1, str(lambdas), {"AWS_ACCESS_KEY_ID": "FOOBARKEY", "AWS_SECRET_ACCESS_KEY": "x"})
    try:
        yield handlers
    finally:
        handlers.close()


def _job(handler: str, event: dict, **extra) -> dict:
    context = {
        "function_name": "fn",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:fn",
    }
    return {
        "handler": handler,
        "env": {"FOO": "bar"},
        "event": json.dumps(event),
        "context": context,
        **extra,
    }


def _moto(message):
    from moto.core.models import botocore_stubber

    from tapgate.sim.workers import answer_call

    return answer_call(message, botocore_stubber)


def test_a_handler_in_a_worker_reads_and_writes_motos_state_here(moto_s3, pool):
    import boto3

    done = pool.run(_job("h.put_get", {"bucket": "workers-bucket"}), _moto)
    _, payload, errored, error_type, _message, output, _cpu, sleeps, stats = done
    assert (errored, error_type, sleeps) == (False, None, [])
    assert json.loads(payload) == {"length": 70000, "foo": "bar", "name": "fn"}
    assert output == "put and read 70000\n"
    assert stats["calls"] == 2
    s3 = boto3.client("s3", region_name="us-east-1")
    assert s3.get_object(Bucket="workers-bucket", Key="k")["Body"].read() == b"x" * 70000


def test_a_handler_error_is_a_lambda_error_payload(moto_s3, pool):
    _, payload, errored, error_type, message, *_ = pool.run(_job("h.fails", {}), _moto)
    assert (errored, error_type, message) == (True, "ValueError", "bad batch")
    assert json.loads(payload)["errorType"] == "ValueError"


def test_an_injected_crash_ends_the_invocation_as_the_runtime_dying(moto_s3, pool):
    from tapgate.sim.runtime import CRASH_ERROR_TYPE, SimulatedCrash

    _, payload, errored, error_type, *_ = pool.run(
        _job("h.lists", {}), lambda message: ("raise", SimulatedCrash("injected"))
    )
    assert (errored, error_type) == (True, CRASH_ERROR_TYPE)
    assert json.loads(payload) == {"errorType": CRASH_ERROR_TYPE, "errorMessage": "injected"}


def test_a_transport_error_is_retried_by_botocore_in_the_worker_then_raised(moto_s3, pool):
    from botocore.exceptions import ReadTimeoutError

    answers = []

    def timeouts_then_moto(message):
        answers.append(message[1])
        if len(answers) <= 2:
            return ("raise", ReadTimeoutError(endpoint_url=message[3]))
        return _moto(message)

    _, payload, errored, _type, _message, _output, _cpu, sleeps, _stats = pool.run(
        _job("h.lists", {}), timeouts_then_moto
    )
    assert (errored, json.loads(payload)) == (False, "workers-bucket")
    assert answers == ["before-send.s3.ListBuckets"] * 3
    assert len(sleeps) == 2  # botocore's two retry delays, recorded instead of slept


def test_a_worker_that_dies_fails_its_caller(moto_s3, pool):
    from tapgate.sim.workers import WorkerFailed

    with pytest.raises(WorkerFailed, match="died"):
        pool.run(_job("h.dies", {}), _moto)


def test_workers_told_to_exit_exit_and_take_no_more_invocations(lambdas):
    from tapgate.sim.workers import HandlerPool, WorkerFailed

    handlers = HandlerPool(2, str(lambdas), {"AWS_ACCESS_KEY_ID": "FOOBARKEY", "AWS_SECRET_ACCESS_KEY": "x"})
    handlers.wait_ready()
    handlers.ask_to_exit()  # both are told before either is waited for
    assert [p.process.wait(10) for p in handlers._processes] == [0, 0]
    with pytest.raises(WorkerFailed, match="closed"):
        handlers.run(_job("h.put_get", {}), _moto)
    handlers.close()  # and closing after it is quiet


def test_the_data_api_in_a_worker_rolls_back_what_an_invocation_left_open(
    postgres_server, fresh_database, pool
):
    import psycopg

    with psycopg.connect(postgres_server.dsn, dbname=fresh_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE held (id int PRIMARY KEY)")
    done = pool.run(
        _job("h.opens_transaction", {"database": fresh_database}, data_api_dsn=postgres_server.dsn),
        lambda message: pytest.fail(f"a Data API call reached the harness: {message[1]}"),
    )
    assert done[2] is False
    assert (done[-1]["calls"], done[-1]["local_calls"]) == (0, 2)  # begin and execute, both in the worker
    with psycopg.connect(postgres_server.dsn, dbname=fresh_database, autocommit=True) as conn:
        # rolled back at the invocation's end: the row is gone and its lock released (a second insert works)
        assert conn.execute("SELECT count(*) FROM held").fetchone() == (0,)
        conn.execute("INSERT INTO held VALUES (1)")
