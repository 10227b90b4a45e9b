"""tapcommon.db: Python values go out with their Data API types, transactions commit together or not at
all, and errors are classified for the state machine (deadlocks transient, bad SQL permanent)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from tapcommon.db import _classify, typed_parameters
from tapcommon.errors import PermanentError, TransientError


def test_typed_parameters():
    params = typed_parameters(
        {
            "n": None,
            "b": True,
            "i": 3,
            "f": 1.5,
            "d": Decimal("1.10"),
            "day": dt.date(2026, 1, 2),
            "at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "j": {"a": 1},
            "u": uuid.UUID(int=1),
            "s": "x",
            "raw": b"\x01",
        }
    )
    by_name = {p["name"]: (p["value"], p.get("typeHint")) for p in params}
    assert by_name == {
        "n": ({"isNull": True}, None),
        "b": ({"booleanValue": True}, None),
        "i": ({"longValue": 3}, None),
        "f": ({"doubleValue": 1.5}, None),
        "d": ({"stringValue": "1.10"}, "DECIMAL"),
        "day": ({"stringValue": "2026-01-02"}, "DATE"),
        "at": ({"stringValue": "2026-01-02 01:04:05"}, "TIMESTAMP"),
        "j": ({"stringValue": '{"a": 1}'}, "JSON"),
        "u": ({"stringValue": str(uuid.UUID(int=1))}, "UUID"),
        "s": ({"stringValue": "x"}, None),
        "raw": ({"blobValue": b"\x01"}, None),
    }
    with pytest.raises(TypeError, match="no Data API type"):
        typed_parameters({"x": object()})


def test_values_round_trip_through_postgres(data_api):
    row = data_api.query(
        "SELECT CAST(:d AS numeric) AS d, :day AS day, :j AS j, :i + 1 AS i",
        {"d": Decimal("1.10"), "day": dt.date(2026, 1, 2), "j": {"a": [1]}, "i": 41},
        json_fields=["j"],
    )
    assert row == [{"d": "1.10", "day": "2026-01-02", "j": {"a": [1]}, "i": 42}]


def test_a_transaction_commits_together_or_not_at_all(data_api):
    with data_api.transaction() as tx:
        tx.audit("test", "one", None, None, {})
        tx.audit("test", "two", None, None, {})
    with pytest.raises(PermanentError):
        with data_api.transaction() as tx:
            tx.audit("test", "three", None, None, {})
            tx.execute("INSERT INTO nowhere VALUES (1)")
    assert [r["action"] for r in data_api.query("SELECT action FROM audit_events ORDER BY event_id")] == [
        "one",
        "two",
    ]
    with pytest.raises(PermanentError, match="NESTED_TRANSACTION"):
        with data_api.transaction() as tx, tx.transaction():
            pass


def _client_error(code: str, message: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        "ExecuteStatement",
    )


@pytest.mark.parametrize(
    "code, message, expected",
    [
        ("BadRequestException", "ERROR: deadlock detected; SQLState: 40P01", TransientError),
        ("BadRequestException", "ERROR: could not serialize access; SQLState: 40001", TransientError),
        ("BadRequestException", 'ERROR: syntax error at or near "SELEC"; SQLState: 42601', PermanentError),
        ("DatabaseResumingException", "The database is resuming", TransientError),
        ("ThrottlingException", "slow down", TransientError),
        ("ForbiddenException", "not allowed", PermanentError),
    ],
)
def test_errors_are_classified(code, message, expected):
    assert isinstance(_classify(_client_error(code, message), "SELECT 1"), expected)
