"""Load a CloudFormation template (JSON or YAML with short-form tags) and keep where everything is.

cfn-lint's decoder (`cfnlint.decode`) does the parsing: it understands `!Ref`/`!GetAtt`/`!Sub` and keeps a
start/end mark on every mapping, list and string, so a JSON pointer can be turned back into a line and a
quoted snippet of the file. Bad input raises `InputError` with `file:line:col` (exit 2).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapgate.errors import InputError

SNIPPET_MAX_LINES = 12


@dataclass
class Template:
    """A parsed template: `data` is plain JSON-like data; line marks are decoded on first use."""

    path: str
    text: str
    data: dict[str, Any]
    is_json: bool = True
    _nodes: Any = field(default=None, repr=False)

    @property
    def nodes(self) -> Any:
        """cfn-lint's marked nodes. JSON is decoded lazily: that decoder is pure Python and slow."""
        if self._nodes is None:
            from cfnlint.decode import cfn_json

            self._nodes = cfn_json.loads(self.text)
        return self._nodes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def resources(self) -> dict[str, Any]:
        return self.data.get("Resources", {})

    def locate(self, pointer: str) -> tuple[int, int]:
        """1-based (line, col) of the deepest part of `pointer` that exists (the key, where there is one)."""
        mark = _deepest_mark(self.nodes, _split_pointer(pointer))
        if mark is None:
            return (1, 1)
        return (mark[0] + 1, mark[1] + 1)

    def snippet(self, pointer: str) -> str:
        """The lines of the file that hold the fragment at `pointer` (at most SNIPPET_MAX_LINES)."""
        lines = self.text.splitlines()
        span = _deepest_span(self.nodes, _split_pointer(pointer), lines)
        if span is None:
            return ""
        first, last = span
        last = max(first, min(last, len(lines) - 1))
        chosen = lines[first : last + 1]
        if len(chosen) > SNIPPET_MAX_LINES:
            chosen = [*chosen[: SNIPPET_MAX_LINES - 1], "…"]
        return _dedent("\n".join(chosen))


def pointer(*parts: str | int) -> str:
    """Build a JSON pointer (RFC 6901) from path parts: pointer("Resources", "A/B") -> "/Resources/A~1B"."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def load(path: str | Path) -> Template:
    """Read and parse a template; raise InputError (one line, file:line:col) on anything unusable."""
    shown = str(path)
    text = _read_text(Path(path), shown)
    if not text.strip():
        raise InputError("empty file: not a CloudFormation template", shown, 1, 1)
    is_json = text.lstrip().startswith("{")
    if is_json:
        nodes, data = None, _decode_json(text, shown)
    else:
        nodes = _decode_yaml(text, shown)
        data = json.loads(json.dumps(nodes, default=str)) if isinstance(nodes, dict) else nodes
    if not isinstance(data, dict):
        raise InputError("not a CloudFormation template: the top level is not a mapping", shown, 1, 1)
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise InputError("no Resources section: not a CloudFormation template", shown, 1, 1)
    return Template(path=shown, text=text, data=data, is_json=is_json, _nodes=nodes)


def _read_text(path: Path, shown: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", shown) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a template file", shown) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", shown) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", shown, line, 1) from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _decode_json(text: str, shown: str) -> Any:
    """Plain data through the C decoder; a duplicate key is located by cfn-lint's marking decoder."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg}", shown, err.lineno, err.colno) from None
    except _DuplicateKey as err:
        raise _located_duplicate(text, shown, str(err)) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", shown) from None


def _located_duplicate(text: str, shown: str, key: str) -> InputError:
    from cfnlint.decode import cfn_json

    try:
        cfn_json.loads(text)
    except cfn_json.JSONDecodeError as err:  # cfn-lint marks every copy, with 0-based lines
        match = max(err.matches, key=lambda m: (m.linenumber, m.columnnumber))
        line, col = match.linenumber + 1, match.columnnumber
        return InputError(f"invalid JSON: duplicate key {key!r}", shown, line, col)
    return InputError(f"invalid JSON: duplicate key {key!r}", shown)


def _decode_yaml(text: str, shown: str) -> Any:
    from cfnlint.decode import cfn_yaml
    from yaml import MarkedYAMLError, YAMLError

    try:
        return cfn_yaml.loads(text, shown)
    except cfn_yaml.CfnParseError as err:
        match = err.matches[0]
        line, col = match.linenumber, match.columnnumber
        raise InputError(f"invalid YAML: {match.message}", shown, line, col) from None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise InputError(f"invalid YAML: {err.problem or err.context}", shown, line, col) from None
    except (YAMLError, ValueError) as err:
        raise InputError(f"invalid YAML: {_first_line(err)}", shown) from None


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _split_pointer(ptr: str) -> list[str]:
    if not ptr or ptr == "/":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in ptr.lstrip("/").split("/")]


def _mark_of(node: Any) -> tuple[int, int] | None:
    mark = getattr(node, "start_mark", None)
    return (mark.line, mark.column) if mark is not None else None


def _end_line(node: Any) -> int | None:
    mark = getattr(node, "end_mark", None)
    return mark.line if mark is not None else None


def _walk(nodes: Any, parts: list[str]) -> list[tuple[Any, Any]]:
    """(key node or None, value node) for each part of the pointer that exists, root first."""
    trail: list[tuple[Any, Any]] = [(None, nodes)]
    current = nodes
    for part in parts:
        key, child = _child(current, part)
        if key is None and child is None:
            break
        trail.append((key, child))
        current = child
    return trail


def _child(node: Any, part: str) -> tuple[Any, Any]:
    if isinstance(node, dict):
        for key in node:  # the key object carries the mark
            if str(key) == part:
                return key, node[key]
        return None, None
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return None, node[int(part)]
    return None, None


def _deepest_mark(nodes: Any, parts: list[str]) -> tuple[int, int] | None:
    for key, value in reversed(_walk(nodes, parts)):
        mark = _mark_of(key) or _mark_of(value)
        if mark is not None:
            return mark
    return None


def _ends_before_text(mark: Any, lines: list[str]) -> bool:
    return mark.line >= len(lines) or not lines[mark.line][: mark.column].strip()


def _deepest_span(nodes: Any, parts: list[str], lines: list[str]) -> tuple[int, int] | None:
    for key, value in reversed(_walk(nodes, parts)):
        start = _mark_of(key) or _mark_of(value)
        if start is None:
            continue
        end = _end_line(value)
        if end is None:
            end = start[0]
        elif end > start[0] and _ends_before_text(value.end_mark, lines):
            end -= 1  # a YAML block ends where the next key starts
        return (start[0], end)
    return None


def _dedent(block: str) -> str:
    lines = block.splitlines()
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] for line in lines)
