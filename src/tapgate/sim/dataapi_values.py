"""Values between the Data API's wire format and psycopg: typed parameters in, typed fields or JSON out,
and the rewriting of `:name` placeholders (the part of tapgate.sim.dataapi that knows no moto)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import uuid
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


class DataApiError(Exception):
    """Raised inside the bridge; turned into the service's error shape at the route."""

    def __init__(self, message: str, error_type: str = "BadRequestException"):
        super().__init__(message)
        self.error_type = error_type


# parameters ------------------------------------------------------------------------------------------------
def bind(sql: str, parameters: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    values = {}
    for parameter in parameters:
        name = parameter.get("name")
        if not name:
            raise DataApiError("Parameter name is required")
        values[name] = _param_value(parameter)
    if not parameters:
        return sql, {}
    try:
        return to_psycopg(sql, set(values)), values
    except KeyError as err:
        raise DataApiError(f"No value specified for parameter: {err.args[0]}") from err


_HINTED = {
    "DATE": dt.date.fromisoformat,
    "TIME": dt.time.fromisoformat,
    "TIMESTAMP": lambda text: dt.datetime.fromisoformat(text.replace(" ", "T")),
    "DECIMAL": Decimal,
    "JSON": lambda text: Jsonb(json.loads(text)),
    "UUID": uuid.UUID,
}


def _param_value(parameter: dict[str, Any]) -> Any:
    value = parameter.get("value") or {}
    if value.get("isNull"):
        return None
    if "stringValue" in value:
        hint = parameter.get("typeHint")
        if hint:
            try:
                return _HINTED[hint](value["stringValue"])
            except (ValueError, ArithmeticError, KeyError) as err:
                raise DataApiError(f"Invalid {hint} value for parameter {parameter['name']}: {err}") from err
        return value["stringValue"]
    for key in ("longValue", "doubleValue", "booleanValue"):
        if key in value:
            return value[key]
    if "blobValue" in value:
        return base64.b64decode(value["blobValue"])
    if "arrayValue" in value:
        return _array_value(value["arrayValue"])
    raise DataApiError(f"Parameter {parameter.get('name')} has no value")


def _array_value(array: dict[str, Any]) -> list[Any]:
    if "arrayValues" in array:
        return [_array_value(inner) for inner in array["arrayValues"]]
    for key in ("stringValues", "longValues", "doubleValues", "booleanValues"):
        if key in array:
            return list(array[key])
    return []


def to_psycopg(sql: str, names: set[str]) -> str:
    """Rewrite `:name` as `%(name)s` and `%` as `%%` (cached: a batch repeats one statement)."""
    return _to_psycopg(sql, frozenset(names))


@functools.lru_cache(maxsize=1024)
def _to_psycopg(sql: str, names: frozenset[str]) -> str:
    """Rewrite `:name` as `%(name)s` and `%` as `%%`, leaving literals, comments and `::` alone."""
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        end = _skip_quoted(sql, i)
        if end > i:
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            name = sql[i + 1 : j]
            if name not in names:
                raise KeyError(name)
            out.append(f"%({name})s")
            i = j
        else:
            out.append("%%" if ch == "%" else ch)
            i += 1
    return "".join(out)


def _skip_quoted(sql: str, i: int) -> int:
    """The index after a quoted string, identifier, dollar-quoted body or comment starting at i, else i."""
    if sql[i] in "'\"":
        quote, j = sql[i], i + 1
        while j < len(sql):
            if sql[j] == quote:
                if sql.startswith(quote * 2, j):
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(sql)
    if sql.startswith("--", i):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end
    if sql.startswith("/*", i):
        end = sql.find("*/", i + 2)
        return len(sql) if end < 0 else end + 2
    if sql[i] == "$":
        j = i + 1
        while j < len(sql) and (sql[j].isalnum() or sql[j] == "_"):
            j += 1
        if j < len(sql) and sql[j] == "$" and not sql[i + 1 : j][:1].isdigit():
            tag = sql[i : j + 1]
            end = sql.find(tag, j + 1)
            return len(sql) if end < 0 else end + len(tag)
    return i


# results ---------------------------------------------------------------------------------------------------
def type_name(conn: psycopg.Connection, oid: int) -> str:
    info = conn.adapters.types.get(oid)
    return info.name if info else str(oid)


def result_body(description, types: list[str], rows: list[tuple], request: dict) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if request.get("includeResultMetadata"):
        body["columnMetadata"] = [
            {"name": col.name, "label": col.name, "typeName": type_name, "nullable": 2}
            for col, type_name in zip(description, types, strict=True)
        ]
    options = request.get("resultSetOptions") or {}
    if request.get("formatRecordsAs") == "JSON":
        names = [col.name for col in description]
        records = [{n: _json_value(v, options) for n, v in zip(names, row, strict=True)} for row in rows]
        body["formattedRecords"] = json.dumps(records)
    else:
        body["records"] = [[_field(v, options) for v in row] for row in rows]
    return body


def _scalar_text(value: Any) -> str | None:
    """The string the Data API gives for a value that has no native JSON type."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time | uuid.UUID | Decimal):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    return None


def _field(value: Any, options: dict[str, Any]) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return (
            {"stringValue": str(value)} if options.get("longReturnType") == "STRING" else {"longValue": value}
        )
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, Decimal) and options.get("decimalReturnType") == "DOUBLE_OR_LONG":
        return (
            {"longValue": int(value)} if value == value.to_integral_value() else {"doubleValue": float(value)}
        )
    if isinstance(value, bytes | memoryview):
        return {"blobValue": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list):
        return {"arrayValue": _array_field(value)}
    text = _scalar_text(value)
    return {"stringValue": text if text is not None else str(value)}


def _array_field(values: list[Any]) -> dict[str, Any]:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, list):
        return {"arrayValues": [_array_field(v) for v in values]}
    if isinstance(sample, bool):
        return {"booleanValues": values}
    if isinstance(sample, int):
        return {"longValues": values}
    if isinstance(sample, float):
        return {"doubleValues": values}
    return {"stringValues": [_scalar_text(v) or str(v) for v in values]}


def _json_value(value: Any, options: dict[str, Any]) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal) and options.get("decimalReturnType") == "DOUBLE_OR_LONG":
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, list):
        return [_json_value(v, options) for v in value]
    text = _scalar_text(value)
    return text if text is not None else str(value)
