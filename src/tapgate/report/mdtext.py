"""Markdown building blocks that survive any text a template or an engine puts in them.

Free text is escaped (engine messages contain `*`, `_`, `<` and `|`), table cells keep to one line, code spans
and fences grow longer than any backtick run inside them, and anchors are computed the way GitHub computes
them from a heading, so links inside the report work on the code host.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def text(value: object) -> str:
    """Free text as literal Markdown: specials escaped, newlines kept as line breaks."""
    escaped = _SPECIAL.sub(r"\\\1", str(value if value is not None else ""))
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def cell(value: object) -> str:
    """One table cell: literal text on one line."""
    return text(value) if value not in (None, "") else "–"


def code(value: object) -> str:
    """An inline code span around any text (pipes escaped so it may stand in a table cell)."""
    raw = str(value).replace("\n", " ")
    if not raw:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", raw)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if raw.startswith("`") or raw.endswith("`") else ""
    return f"{fence}{pad}{raw}{pad}{fence}".replace("|", "\\|")


def fence(body: str, lang: str = "") -> list[str]:
    """A fenced code block longer than any backtick fence inside `body`."""
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    bar = "`" * (longest + 1)
    return [f"{bar}{lang}", body.rstrip("\n"), bar]


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured table; cells must already be Markdown (use `cell`/`code`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(ch for ch in heading.strip().lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def link(label: str, heading: str) -> str:
    return f"[{text(label)}](#{github_anchor(heading)})"
