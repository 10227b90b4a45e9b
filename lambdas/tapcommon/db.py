"""Aurora through the RDS Data API: typed parameters, JSON-formatted reads, and transactions.

Parameters are a plain dict; each Python value is sent with its Data API type (a date as DATE, a Decimal as
DECIMAL, a dict as JSON ...), so SQL never relies on implicit casts from text. Errors are classified for the
state machine: deadlocks, serialization failures and a resuming cluster are TransientError, the rest
PermanentError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tapcommon.aws import classify, client
from tapcommon.config import database_name, setting
from tapcommon.errors import PermanentError, TransientError

_SQLSTATE = re.compile(r"SQLState: ([0-9A-Z]{5})")
# Retrying helps: serialization failure, deadlock, lock timeout, connection trouble, resources, shutdown.
_TRANSIENT_SQLSTATE_PREFIXES = ("40001", "40P01", "55P03", "08", "53", "57P")


def _typed(name: str, value: Any) -> dict[str, Any]:
    """One Data API parameter with its type (see the module docstring)."""
    if value is None:
        return {"name": name, "value": {"isNull": True}}
    if isinstance(value, bool):
        return {"name": name, "value": {"booleanValue": value}}
    if isinstance(value, int):
        return {"name": name, "value": {"longValue": value}}
    if isinstance(value, float):
        return {"name": name, "value": {"doubleValue": value}}
    if isinstance(value, Decimal):
        return {"name": name, "value": {"stringValue": str(value)}, "typeHint": "DECIMAL"}
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return {"name": name, "value": {"stringValue": value.isoformat(sep=" ")}, "typeHint": "TIMESTAMP"}
    if isinstance(value, dt.date):
        return {"name": name, "value": {"stringValue": value.isoformat()}, "typeHint": "DATE"}
    if isinstance(value, dict | list):
        return {"name": name, "value": {"stringValue": json.dumps(value)}, "typeHint": "JSON"}
    if isinstance(value, uuid.UUID):
        return {"name": name, "value": {"stringValue": str(value)}, "typeHint": "UUID"}
    if isinstance(value, bytes):
        return {"name": name, "value": {"blobValue": value}}
    if isinstance(value, str):
        return {"name": name, "value": {"stringValue": value}}
    raise TypeError(f"parameter {name}: no Data API type for {type(value).__name__}")


def typed_parameters(params: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [_typed(name, value) for name, value in (params or {}).items()]


def _classify(err: Exception, sql: str) -> Exception:
    if isinstance(err, ClientError):
        message = err.response.get("Error", {}).get("Message", "")
        state = _SQLSTATE.search(message)
        if state:
            code = f"SQLSTATE_{state.group(1)}"
            first_line = message.splitlines()[0]
            if state.group(1).startswith(_TRANSIENT_SQLSTATE_PREFIXES):
                return TransientError(code, first_line)
            return PermanentError(code, f"{first_line} in: {' '.join(sql.split())[:200]}")
    return classify(err, "Data API")


class Database:
    """One Aurora database through the Data API; `transaction()` groups writes that belong together."""

    def __init__(self, cluster_arn: str, secret_arn: str, database: str, transaction_id: str | None = None):
        self.cluster_arn, self.secret_arn, self.database = cluster_arn, secret_arn, database
        self.transaction_id = transaction_id

    @classmethod
    def from_env(cls) -> Database:
        return cls(setting("DB_CLUSTER_ARN"), setting("DB_SECRET_ARN"), database_name())

    def _call(self, operation: str, sql: str | None = None, **args: Any) -> dict[str, Any]:
        base = {"resourceArn": self.cluster_arn, "secretArn": self.secret_arn}
        if operation in ("execute_statement", "batch_execute_statement", "begin_transaction"):
            base["database"] = self.database
        if sql is not None:
            base["sql"] = sql
        if self.transaction_id and operation in ("execute_statement", "batch_execute_statement"):
            base["transactionId"] = self.transaction_id
        try:
            return getattr(client("rds-data"), operation)(**base, **args)
        except (ClientError, BotoCoreError) as err:
            raise _classify(err, sql or operation) from err

    def query(
        self, sql: str, params: Mapping[str, Any] | None = None, json_fields: Iterable[str] = ()
    ) -> list[dict]:
        """Rows as dicts (formatRecordsAs JSON). Columns named in `json_fields` are parsed from their text."""
        answer = self._call(
            "execute_statement", sql, parameters=typed_parameters(params), formatRecordsAs="JSON"
        )
        rows = json.loads(answer.get("formattedRecords") or "[]")
        for field in json_fields:
            for row in rows:
                if isinstance(row.get(field), str):
                    row[field] = json.loads(row[field])
        return rows

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run a write; returns numberOfRecordsUpdated."""
        answer = self._call("execute_statement", sql, parameters=typed_parameters(params))
        return int(answer.get("numberOfRecordsUpdated") or 0)

    def batch(self, sql: str, param_sets: Iterable[Mapping[str, Any]]) -> int:
        """One statement over many parameter sets (BatchExecuteStatement); returns how many sets ran."""
        sets = [typed_parameters(params) for params in param_sets]
        if not sets:
            return 0
        self._call("batch_execute_statement", sql, parameterSets=sets)
        return len(sets)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """A Database bound to a new transaction: committed when the block ends, rolled back on any error."""
        if self.transaction_id:
            raise PermanentError("NESTED_TRANSACTION", "the Data API has no nested transactions")
        transaction_id = self._call("begin_transaction")["transactionId"]
        bound = Database(self.cluster_arn, self.secret_arn, self.database, transaction_id)
        try:
            yield bound
        except BaseException:
            with contextlib.suppress(ClientError, BotoCoreError, TransientError, PermanentError):
                self._call("rollback_transaction", transactionId=transaction_id)
            raise
        self._call("commit_transaction", transactionId=transaction_id)

    def audit(self, actor: str, action: str, report_id: str | None, run_id: str | None, detail: dict) -> None:
        """Append one audit event (inside the caller's transaction when bound to one)."""
        self.execute(
            "INSERT INTO audit_events (actor, action, report_id, run_id, detail) "
            "VALUES (:actor, :action, :report_id, :run_id, :detail)",
            {"actor": actor, "action": action, "report_id": report_id, "run_id": run_id, "detail": detail},
        )
