"""Rendering a report from its database rows into its pack's format (CSV, XML, JSON), and reading one back.

Validation reads the rendered bytes back rather than trusting the rows: what is validated is exactly what
would be delivered. The layouts are self-describing, so reading needs no pack:

- CSV: `H,<header names>` then `H,<header values>`, `D,<record names>` then one `D,<values>` per record;
- XML: `<Root><Header><name>value</name>…</Header><Records><Record><name>value</name>…</Record>…</Records>`;
- JSON: `{"header": {…}, "records": [{…}, …]}` with the rows' own JSON types.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from tapcommon.errors import PermanentError
from tapcommon.packs import ReportType

CONTENT_TYPES = {"csv": "text/csv", "xml": "application/xml", "json": "application/json"}
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def file_name(report_type: ReportType, header: dict[str, Any], business_date: dt.date, seq: int) -> str:
    """The pack's file name for this report; characters unsafe in a key become `_` (FILE_NAME then fails)."""
    name = report_type.file_name.format(
        lei=str(header.get("lei") or "MISSING"),
        report_type=report_type.code,
        yyyymmdd=business_date.strftime("%Y%m%d"),
        business_date=business_date.isoformat(),
        seq=f"{seq:05d}",
    )
    return _UNSAFE_NAME_CHARS.sub("_", name)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _columns(specs, rows: list[dict[str, Any]]) -> list[str]:
    """The pack's field order, then any extra keys the rows carry (kept, so nothing is silently dropped)."""
    names = [spec.name for spec in specs]
    known = set(names)
    for row in rows:
        names.extend(k for k in row if k not in known and not known.add(k))
    return names


def render(report_type: ReportType, header: dict[str, Any], records: list[dict[str, Any]]) -> bytes:
    header_names = _columns(report_type.header_fields, [header])
    record_names = _columns(report_type.record_fields, records)
    if report_type.format == "json":
        return json.dumps({"header": header, "records": records}, separators=(",", ":"), default=str).encode()
    if report_type.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["H", *header_names])
        writer.writerow(["H", *(_text(header.get(n)) for n in header_names)])
        writer.writerow(["D", *record_names])
        writer.writerows(["D", *(_text(row.get(n)) for n in record_names)] for row in records)
        return out.getvalue().encode()
    return _render_xml(report_type, header, header_names, records, record_names)


def _render_xml(report_type: ReportType, header, header_names, records, record_names) -> bytes:
    for name in (*header_names, *record_names):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise PermanentError("BAD_FIELD_NAME", f"{name!r} cannot be an XML element name")
    root, record = report_type.xml_root, report_type.xml_record
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f"<{root}><Header>"]
    parts.extend(f"<{n}>{escape(_text(header.get(n)))}</{n}>" for n in header_names)
    parts.append("</Header><Records>")
    for row in records:
        parts.append(f"<{record}>")
        parts.extend(f"<{n}>{escape(_text(row.get(n)))}</{n}>" for n in record_names)
        parts.append(f"</{record}>")
    parts.append(f"</Records></{root}>\n")
    return "".join(parts).encode()


def parse(fmt: str, content: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Header and records from rendered bytes; anything unreadable is a PermanentError (quarantine)."""
    try:
        if fmt == "json":
            document = json.loads(content)
            return dict(document["header"]), [dict(row) for row in document["records"]]
        if fmt == "csv":
            return _parse_csv(content.decode())
        if fmt == "xml":
            return _parse_xml(content)
    except (ValueError, KeyError, TypeError, IndexError, ElementTree.ParseError) as err:
        raise PermanentError("UNREADABLE_REPORT", f"{fmt}: {err}") from err
    raise PermanentError("UNKNOWN_FORMAT", f"no reader for format {fmt!r}")


def _parse_csv(text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = list(csv.reader(io.StringIO(text)))
    header_rows = [r[1:] for r in rows if r and r[0] == "H"]
    detail_rows = [r[1:] for r in rows if r and r[0] == "D"]
    if len(header_rows) != 2 or not detail_rows:
        raise ValueError("expected two H rows and a D names row")
    names = detail_rows[0]
    records = []
    for row in detail_rows[1:]:
        if len(row) != len(names):
            raise ValueError(f"a D row has {len(row)} values for {len(names)} columns")
        records.append(dict(zip(names, row, strict=True)))
    return dict(zip(header_rows[0], header_rows[1], strict=True)), records


def _parse_xml(content: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    # The bytes are our own rendering read back from our bucket, not third-party XML.
    root = ElementTree.fromstring(content)  # noqa: S314
    header_el, records_el = root.find("Header"), root.find("Records")
    if header_el is None or records_el is None:
        raise ValueError("missing Header or Records")
    header = {child.tag: child.text or "" for child in header_el}
    records = [{child.tag: child.text or "" for child in record} for record in records_el]
    return header, records
