"""Serve moto's `rds-data` routes from a real PostgreSQL, so the Data API runs real SQL in tests.

moto answers ExecuteStatement with canned results and does not route the batch and transaction calls at all.
Inside `data_api_bridge(dsn)` the five routes (ExecuteStatement, BatchExecuteStatement, BeginTransaction,
CommitTransaction, RollbackTransaction) run on PostgreSQL through psycopg, with the Data API's behaviour:

- named `:name` parameters with typed values (stringValue, longValue, doubleValue, booleanValue, isNull,
  blobValue, arrayValue) and typeHint DATE, TIME, TIMESTAMP, DECIMAL, JSON, UUID. A stringValue without a hint
  is sent as `text`, like the real service, so a missing typeHint fails here as it would on Aurora;
- `records` as typed fields, or `formattedRecords` with `formatRecordsAs: JSON`; `columnMetadata` when
  `includeResultMetadata`; `numberOfRecordsUpdated`; `generatedFields` (always empty on PostgreSQL: use
  RETURNING);
- statements outside a transaction auto-commit; a batch runs in one transaction;
- errors come back as `BadRequestException` with PostgreSQL's message and SQLState, and an over-1 MiB
  result is refused as the service does.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import psycopg
from psycopg.types.string import StrDumper

from tapgate.sim.dataapi_values import DataApiError, bind, result_body, to_psycopg, type_name

__all__ = ["DataApiBridge", "DataApiError", "data_api_bridge", "to_psycopg"]

RESPONSE_LIMIT_BYTES = 1024 * 1024  # the Data API refuses results over 1 MiB
_ROUTES = {
    "{0}/BatchExecute$": "batch_execute_statement",
    "{0}/BeginTransaction$": "begin_transaction",
    "{0}/CommitTransaction$": "commit_transaction",
    "{0}/RollbackTransaction$": "rollback_transaction",
}


class DataApiBridge:
    """Connections to one PostgreSQL server: a pool for auto-commit calls, one per open transaction (taken
    from a second pool of connections whose transactions ended)."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self._lock = threading.Lock()
        self._idle: dict[str, list[psycopg.Connection]] = {}
        self._transactions: dict[str, psycopg.Connection] = {}
        self._idle_tx: dict[str, list[psycopg.Connection]] = {}  # ended transactions' connections, reused
        self._database_of: dict[str, str] = {}  # transaction id -> its database
        # who opened each transaction (`owner()` when it began: the harness's invocation token), so that
        # the transactions one invocation left open can be expired when it ends (`abandon`)
        self.owner: Callable[[], object] | None = None
        self._owner_of: dict[str, object] = {}
        self.statements = 0  # how many statements ran: the simulation reports it

    # connections -------------------------------------------------------------------------------------------
    def _connect(self, database: str | None, autocommit: bool) -> psycopg.Connection:
        dsn = psycopg.conninfo.make_conninfo(self.dsn, dbname=database) if database else self.dsn
        try:
            conn = psycopg.connect(dsn, autocommit=autocommit)
        except psycopg.OperationalError as err:
            raise DataApiError(f"Database error: {str(err).strip()}") from err
        conn.adapters.register_dumper(str, StrDumper)  # varchar-like, not `unknown`: see the module docstring
        return conn

    def _checkout(
        self, pool: dict[str, list[psycopg.Connection]], database: str | None, autocommit: bool
    ) -> psycopg.Connection:
        """An idle connection to `database` from `pool`, as the service's pool would hand out (a connect
        costs more than the statements of a short call), else a new one."""
        with self._lock:
            idle = pool.setdefault(database or "", [])
            conn = idle.pop() if idle else None
        if conn is None or conn.closed:
            conn = self._connect(database, autocommit=autocommit)
        return conn

    @contextlib.contextmanager
    def _pooled(self, database: str | None) -> Iterator[psycopg.Connection]:
        key = database or ""
        conn = self._checkout(self._idle, database, autocommit=True)
        try:
            yield conn
        finally:
            if not conn.closed:
                with self._lock:
                    self._idle[key].append(conn)

    def close(self) -> None:
        with self._lock:
            conns = [c for idle in (*self._idle.values(), *self._idle_tx.values()) for c in idle]
            conns += self._transactions.values()
            self._idle.clear()
            self._idle_tx.clear()
            self._transactions.clear()
        for conn in conns:
            conn.close()

    # the five operations -----------------------------------------------------------------------------------
    def begin_transaction(self, database: str | None) -> str:
        key = database or ""
        conn = self._checkout(self._idle_tx, database, autocommit=False)  # autocommit off until it ends
        transaction_id = base64.b64encode(uuid.uuid4().bytes * 2).decode()
        owner = self.owner() if self.owner else None
        with self._lock:
            self._transactions[transaction_id] = conn
            self._database_of[transaction_id] = key
            if owner is not None:
                self._owner_of[transaction_id] = owner
        return transaction_id

    def abandon(self, owner: object) -> int:
        """Roll back the transactions `owner` opened and left open; returns how many."""
        with self._lock:
            left = [tid for tid, who in self._owner_of.items() if who is owner and tid in self._transactions]
        for transaction_id in left:
            with contextlib.suppress(DataApiError):  # ended meanwhile: nothing to expire
                self.end_transaction(transaction_id, commit=False)
        return len(left)

    def end_transaction(self, transaction_id: str, commit: bool) -> str:
        with self._lock:
            conn = self._transactions.pop(transaction_id or "", None)
            key = self._database_of.pop(transaction_id or "", "")
            self._owner_of.pop(transaction_id or "", None)
        if conn is None:
            raise DataApiError(f"Transaction {transaction_id} is not found", "NotFoundException")
        try:
            if commit:
                conn.commit()
            else:
                conn.rollback()
        except psycopg.Error as err:
            conn.close()
            raise DataApiError(_pg_message(err)) from err
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
        else:
            with self._lock:
                self._idle_tx.setdefault(key, []).append(conn)
        return "Transaction Committed" if commit else "Rollback Complete"

    def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        sql, params = bind(request["sql"], request.get("parameters") or [])
        transaction_id = request.get("transactionId")
        if transaction_id:
            conn = self._transaction(transaction_id)
            return self._run(conn, sql, params, request)
        with self._pooled(request.get("database")) as conn:
            return self._run(conn, sql, params, request)

    def batch_execute(self, request: dict[str, Any]) -> dict[str, Any]:
        parameter_sets = request.get("parameterSets") or [[]]
        bound = [bind(request["sql"], parameters) for parameters in parameter_sets]
        transaction_id = request.get("transactionId")
        if transaction_id:
            self._run_many(self._transaction(transaction_id), bound)
        else:
            with self._pooled(request.get("database")) as conn, _atomic(conn):
                self._run_many(conn, bound)
        return {"updateResults": [{"generatedFields": []} for _ in bound]}

    def _transaction(self, transaction_id: str) -> psycopg.Connection:
        with self._lock:
            conn = self._transactions.get(transaction_id)
        if conn is None:
            raise DataApiError(f"Transaction {transaction_id} is not found", "NotFoundException")
        return conn

    def _run_many(self, conn: psycopg.Connection, bound: list[tuple[str, dict[str, Any]]]) -> None:
        try:
            with conn.cursor() as cur:
                self.statements += len(bound)
                if bound and all(params for _, params in bound):
                    cur.executemany(bound[0][0], [params for _, params in bound])  # one SQL text per batch
                else:
                    for sql, params in bound:
                        cur.execute(sql, params or None)
        except psycopg.Error as err:
            raise DataApiError(_pg_message(err)) from err

    def _run(
        self, conn: psycopg.Connection, sql: str, params: dict[str, Any], request: dict
    ) -> dict[str, Any]:
        self.statements += 1
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params or None)
                description = cur.description
                rows = cur.fetchall() if description else []
                # RETURNING gives rows and a count; a SELECT's row count is not "records updated".
                is_write = (cur.statusmessage or "").split(" ")[0] in {"INSERT", "UPDATE", "DELETE", "MERGE"}
                updated = max(cur.rowcount, 0) if is_write else 0
                types = [type_name(conn, col.type_code) for col in description or []]
        except psycopg.Error as err:
            raise DataApiError(_pg_message(err)) from err
        response: dict[str, Any] = {"numberOfRecordsUpdated": updated, "generatedFields": []}
        if description:
            response.update(result_body(description, types, rows, request))
        if len(json.dumps(response, default=str)) > RESPONSE_LIMIT_BYTES:
            raise DataApiError("Database returned more than the allowed response size limit")
        return response


@contextlib.contextmanager
def _atomic(conn: psycopg.Connection) -> Iterator[None]:
    with conn.transaction():
        yield


def _pg_message(err: psycopg.Error) -> str:
    diag = err.diag
    text = f"ERROR: {diag.message_primary or str(err).strip()}"
    if diag.message_detail:
        text += f"\n  Detail: {diag.message_detail}"
    if diag.statement_position:
        text += f"\n  Position: {diag.statement_position}"
    return f"{text}; SQLState: {err.sqlstate or 'XX000'}"


# moto routes -----------------------------------------------------------------------------------------------
_active: DataApiBridge | None = None


def _route(operation):
    def handler(response) -> str | tuple[str, dict[str, Any]]:
        if _active is None:
            return json.dumps({"__type": "BadRequestException", "message": "no Data API bridge"}), {
                "status": 400
            }
        status, body = answer(_active, operation, response.body)
        return body if status == 200 else (body, {"status": status})

    return handler


def answer(bridge: DataApiBridge, operation: Any, body: str | bytes | None) -> tuple[int, str]:
    """One Data API call on `bridge`: (HTTP status, JSON body), errors in the service's JSON form."""
    try:
        return 200, json.dumps(operation(bridge, json.loads(body or "{}")))
    except DataApiError as err:
        return _status(err), json.dumps({"__type": err.error_type, "message": str(err)})


def _status(err: DataApiError) -> int:
    return 404 if err.error_type == "NotFoundException" else 400


_OPERATIONS = {
    "execute_statement": lambda bridge, req: bridge.execute(req),
    "batch_execute_statement": lambda bridge, req: bridge.batch_execute(req),
    "begin_transaction": lambda bridge, req: {"transactionId": bridge.begin_transaction(req.get("database"))},
    "commit_transaction": lambda bridge, req: {
        "transactionStatus": bridge.end_transaction(req.get("transactionId"), commit=True)
    },
    "rollback_transaction": lambda bridge, req: {
        "transactionStatus": bridge.end_transaction(req.get("transactionId"), commit=False)
    },
}
# botocore's operation names (`before-send.rds-data.<Operation>`) -> the bridge's operations
OPERATIONS_BY_API_NAME = {
    "ExecuteStatement": _OPERATIONS["execute_statement"],
    "BatchExecuteStatement": _OPERATIONS["batch_execute_statement"],
    "BeginTransaction": _OPERATIONS["begin_transaction"],
    "CommitTransaction": _OPERATIONS["commit_transaction"],
    "RollbackTransaction": _OPERATIONS["rollback_transaction"],
}


@contextlib.contextmanager
def data_api_bridge(dsn: str) -> Iterator[DataApiBridge]:
    """Route moto's rds-data calls to PostgreSQL at `dsn` while the block runs (inside or around mock_aws)."""
    global _active  # moto's routes are class-level, so the bridge they reach is too
    from moto.rdsdata import responses, urls

    bridge = DataApiBridge(dsn)
    routes = dict.fromkeys(_ROUTES, urls.response.dispatch)
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(urls.url_paths, routes))
        for name, operation in _OPERATIONS.items():
            stack.enter_context(
                mock.patch.object(responses.RDSDataServiceResponse, name, _route(operation), create=True)
            )
        previous, _active = _active, bridge
        try:
            yield bridge
        finally:
            _active = previous
            bridge.close()
