"""Where a JSON pointer sits in a JSON template's text: one piece scan, no parse tree.

cfn-lint's marking decoder (behind `Template.locate`) is exact for JSON and YAML but takes about a second
to import and decode a 6,000-line template. The cross-checks only need lines for their findings, so a JSON
template is scanned once into pointer -> offset (of the key, or of the array element), and each finding
looks its pointer up. YAML templates still go through `Template.locate`.
"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


class JsonIndex:
    def __init__(self, text: str) -> None:
        self.text = text
        self.offsets = _index(text)

    def line_col(self, pointer: str) -> tuple[int, int] | None:
        """1-based (line, col) of the deepest existing part of `pointer`."""
        parts = _parts(pointer)
        while parts:
            offset = self.offsets.get(_join(parts))
            if offset is not None:
                line_start = self.text.rfind("\n", 0, offset) + 1
                return self.text.count("\n", 0, offset) + 1, offset - line_start + 1
            parts.pop()
        return None


def _index(text: str) -> dict[str, int]:
    """pointer -> offset for every key and array element (one pass; a stack of open containers)."""
    offsets: dict[str, int] = {}
    stack: list[list] = []  # [kind, pointer of the container, next index (array) or current key pointer]
    expect_key = False
    for match in _TOKEN.finditer(text):
        piece = match.group()
        if piece in ",:":
            continue
        top = stack[-1] if stack else None
        if top is not None and expect_key:
            if piece == "}":
                stack.pop()
                expect_key = bool(stack) and stack[-1][0] == "{"
                continue
            key = _unquote(piece)
            top[2] = top[1] + "/" + key.replace("~", "~0").replace("/", "~1")
            offsets[top[2]] = match.start()
            expect_key = False
            continue
        if piece in ("]", "}"):
            stack.pop()
            expect_key = bool(stack) and stack[-1][0] == "{"
            continue
        if top is None:
            here = ""
        elif top[0] == "[":
            here = f"{top[1]}/{top[2]}"
            offsets[here] = match.start()
            top[2] += 1
        else:
            here = top[2]
        if piece in ("{", "["):
            stack.append([piece, here, 0 if piece == "[" else ""])
            expect_key = piece == "{"
        else:
            expect_key = top is not None and top[0] == "{"
    return offsets


def _unquote(piece: str) -> str:
    if not piece.startswith('"'):
        return piece
    return json.loads(piece) if "\\" in piece else piece[1:-1]


def _parts(pointer: str) -> list[str]:
    if not pointer or pointer == "/":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def _join(parts: list[str]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
