"""The report as one self-contained HTML file (Jinja2, autoescaped): inline CSS, no script, no external asset.

The CSS is print-first (A4 pages, a page break before each chapter and each framework view, table headers
repeated on every page, "Page N of M" in the margin): the same file is what headless Chromium prints.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from tapgate.model import GateResult
from tapgate.report import wording
from tapgate.report.evidence import cost_evidence, flow_evidence
from tapgate.report.view import build_view, short_title

TEMPLATES = Path(__file__).parent / "templates"
# The ids of the chapters, in the order of wording.SECTIONS (the contents list links to them).
SECTION_IDS = [
    "provenance",
    "summary",
    "control-matrix",
    "findings",
    "framework-views",
    "register",
    "flow",
    "cost",
    "evidence",
    "engines",
]


@lru_cache(maxsize=1)
def _environment():
    import jinja2  # imported here: `tapgate check` without reports never pays for it

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(jinja2),
    )
    env.filters["brk"] = breakable
    env.filters["prose"] = prose
    return env


def warm_template() -> None:
    """Load Jinja2 and compile the template (from its bytecode cache when there is one)."""
    _environment().get_template("report.html.j2")


def _bytecode_cache(jinja2):
    """Compiling the template is most of a cold render: keep its bytecode in tapgate's user cache.

    Jinja2 keys the cache by the template's name and checks its source's checksum, so an edited template is
    recompiled. Where the cache cannot be written, compile every time."""
    from tapgate.engines.provision import cache_dir

    directory = cache_dir() / "jinja"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory)) if os.access(directory, os.W_OK) else None


_LONG_TOKEN = re.compile(r"\S{28,}")  # longer than a column of a findings table is wide


def prose(value: object) -> Markup:
    """Escaped text whose long tokens (a dotted property path, a regex) may wrap; words stay whole."""
    text = str(value if value is not None else "")
    out, last = [], 0
    for token in _LONG_TOKEN.finditer(text):
        out += [str(escape(text[last : token.start()])), str(breakable(token.group(0)))]
        last = token.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))  # noqa: S704 - every part escaped above


_BREAK_AFTER = re.compile(r"([_/.:,=-])")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def breakable(value: object) -> Markup:
    """Escaped text that may wrap after `_ / . :` and inside CamelCase (ids in narrow columns)."""
    return Markup(_breakable(str(value if value is not None else "")))  # noqa: S704 - escaped in _breakable


# A token this short fits the narrowest column: it gets no break hints. Each <wbr> is an element Chromium lays
# out (twice per print); hinting every id was 3,500 of the 8,400 elements of TapStack.json's report.
_FITS = 16


@lru_cache(maxsize=4096)  # the same resource names and rule ids recur on every page
def _breakable(raw: str) -> str:
    return "".join(_hinted(token) for token in re.split(r"(\s+)", raw))


def _hinted(token: str) -> str:
    if len(token) <= _FITS:
        return str(escape(token))
    parts = re.split(r"(&[#\w]+;)", str(escape(token)))  # never break inside an entity
    return "".join(
        p if p.startswith("&") else _CAMEL.sub("<wbr>", _BREAK_AFTER.sub(r"\1<wbr>", p)) for p in parts
    )


@lru_cache(maxsize=1)
def _css_source() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def css_string(value: str) -> str:
    """A CSS string literal's body: safe inside `content: "..."` and inside a <style> element."""
    out = []
    for ch in value:
        if ch in '\\"' or ch in "<>&" or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


def _code(value: object) -> Markup:
    return Markup("<code>{}</code>").format(value)


def render_html(result: GateResult) -> str:
    view = build_view(result)
    p = result.provenance
    footer = f"{p.template} · SHA-256 {p.template_sha256[:12]} · {p.started_at}"
    css = Markup(_css_source().replace("@FOOTER@", css_string(footer)))  # noqa: S704 - our file, escaped footer
    provenance = [(label, Markup(value)) for label, value in wording.provenance_rows(p, _code)]  # noqa: S704
    context = {
        "r": result,
        "view": view,
        "words": wording,
        "css": css,
        "ids": SECTION_IDS,
        "provenance": provenance,
        "short_title": short_title,
        "flow": flow_evidence(result.flow_evidence) if result.flow_evidence else None,
        "cost": cost_evidence(result.cost_estimate) if result.cost_estimate else None,
    }
    return _environment().get_template("report.html.j2").render(context)
