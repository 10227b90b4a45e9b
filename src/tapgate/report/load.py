"""Read a stored `GateResult` JSON file; anything unusable is one `InputError` line (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from tapgate.errors import InputError
from tapgate.model import SCHEMA_VERSION, GateResult


def load_result(path: str | Path) -> GateResult:
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", shown) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a result file", shown) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", shown) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", shown) from None
    if not text.strip():
        raise InputError("empty file: not a tapgate result", shown, 1, 1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg}", shown, err.lineno, err.colno) from None
    if not isinstance(data, dict) or "provenance" not in data or "summary" not in data:
        raise InputError(
            "not a tapgate result (no provenance and summary): write one with --format json", shown
        )
    major = str(data.get("schema_version", SCHEMA_VERSION)).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            f"schema_version {data.get('schema_version')!r}; this tapgate reads {SCHEMA_VERSION}", shown
        )
    try:
        return GateResult.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise InputError(f"not a valid tapgate result: {where}: {first['msg']}{more}", shown) from None
