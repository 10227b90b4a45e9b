"""Load a CloudFormation template (JSON or YAML with short-form tags) and keep where everything is.

cfn-lint's decoder (`cfnlint.decode`) does the parsing: it understands `!Ref`/`!GetAtt`/`!Sub` and keeps a
start/end mark on every mapping, list and string, so a JSON pointer can be turned back into a line and a
quoted snippet of the file. Bad input raises `InputError` with `file:line:col` (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import re
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
    _nodes: Any = field(default=None, repr=False)  # YAML: cfn-lint's marked nodes
    _spans: dict[str, tuple[int, int, int]] | None = field(default=None, repr=False)

    @property
    def spans(self) -> dict[str, tuple[int, int, int]]:
        """JSON pointer -> (first line, column, last line), 0-based, of every key and value; built once."""
        if self._spans is None:
            self._spans = _json_spans(self.text) if self.is_json else _yaml_spans(self._nodes, self.text)
        return self._spans

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def resources(self) -> dict[str, Any]:
        return self.data.get("Resources", {})

    def locate(self, pointer: str) -> tuple[int, int]:
        """1-based (line, col) of the deepest part of `pointer` that exists (the key, where there is one)."""
        span = self._deepest(pointer)
        return (span[0] + 1, span[1] + 1) if span else (1, 1)

    def snippet(self, pointer: str) -> str:
        """The lines of the file that hold the fragment at `pointer` (at most SNIPPET_MAX_LINES)."""
        span = self._deepest(pointer)
        if span is None:
            return ""
        lines = self.text.splitlines()
        chosen = lines[span[0] : max(span[0], span[2]) + 1]
        if len(chosen) > SNIPPET_MAX_LINES:
            chosen = [*chosen[: SNIPPET_MAX_LINES - 1], "…"]
        return _dedent("\n".join(chosen))

    def _deepest(self, ptr: str) -> tuple[int, int, int] | None:
        parts = _split_pointer(ptr)
        for depth in range(len(parts), -1, -1):
            span = self.spans.get(pointer(*parts[:depth]))
            if span is not None:
                return span
        return None


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


# a string, a punctuation mark, a newline (lines are counted as they pass), or a bare literal
JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,\n]|[^\s{}\[\]:,"]+')


def _json_spans(text: str) -> dict[str, tuple[int, int, int]]:
    """One regex pass over valid JSON, keeping a stack of open containers (fast; no parser needed).

    It runs on every gate run (`--fast` included), so it counts lines as it goes instead of searching for
    them, and decodes a key only when it holds an escape."""
    spans: dict[str, tuple[int, int, int]] = {}
    stack: list[list[Any]] = []  # [pointer, is_object, pending key, expecting key, index]
    frame: list[Any] | None = None
    line, line_start = 0, 0
    for match in JSON_TOKEN.finditer(text):
        lexeme = match.group()
        if lexeme == "\n":
            line, line_start = line + 1, match.end()
        elif lexeme == ",":
            if frame is not None:
                frame[3], frame[4] = frame[1], frame[4] + 1
        elif lexeme == "}" or lexeme == "]":
            done = stack.pop()
            first = spans.get(done[0]) or (line, match.start() - line_start)
            spans[done[0]] = (first[0], first[1], line)
            frame = stack[-1] if stack else None
        elif lexeme != ":":
            frame = _json_value(spans, stack, frame, lexeme, (line, match.start() - line_start))
    return spans


def _json_value(spans: dict, stack: list, frame: list | None, lexeme: str, at: tuple[int, int]) -> Any:
    """Record a key or a value's first position; open a container. Returns the innermost open frame."""
    if frame is not None and frame[1] and frame[3]:  # an object key
        frame[2], frame[3] = (json.loads(lexeme) if "\\" in lexeme else lexeme[1:-1]), False
        spans[frame[0] + _key_part(frame[2])] = (*at, at[0])
        return frame
    if frame is None:
        child = ""
    else:
        child = frame[0] + (_key_part(frame[2]) if frame[1] else f"/{frame[4]}")
    if child not in spans:
        spans[child] = (*at, at[0])
    if lexeme == "{" or lexeme == "[":
        frame = [child, lexeme == "{", None, lexeme == "{", 0]
        stack.append(frame)
    return frame


def _key_part(key: str) -> str:
    return pointer(key) if "~" in key or "/" in key else "/" + key


def _yaml_spans(nodes: Any, text: str) -> dict[str, tuple[int, int, int]]:
    lines = text.splitlines()
    spans: dict[str, tuple[int, int, int]] = {}

    def visit(node: Any, ptr: str, key: Any) -> None:
        start = _mark_of(key) or _mark_of(node)
        if start is not None:
            spans[ptr] = (start[0], start[1], _last_line(node, start[0], lines))
        children = (
            node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        )
        for child_key, child in children:
            visit(child, ptr + pointer(str(child_key)), child_key if isinstance(node, dict) else None)

    visit(nodes, "", None)
    spans.setdefault("", (0, 0, max(0, len(lines) - 1)))
    return spans


def _mark_of(node: Any) -> tuple[int, int] | None:
    mark = getattr(node, "start_mark", None)
    return (mark.line, mark.column) if mark is not None else None


def _last_line(node: Any, first: int, lines: list[str]) -> int:
    mark = getattr(node, "end_mark", None)
    if mark is None or mark.line <= first:
        return first
    before_end = lines[mark.line][: mark.column] if mark.line < len(lines) else ""
    return mark.line - 1 if not before_end.strip() else mark.line  # a YAML block ends where the next starts


def _dedent(block: str) -> str:
    lines = block.splitlines()
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] for line in lines)
