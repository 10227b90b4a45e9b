"""The generated cost section of docs/architecture.md is what scripts/gen_cost_doc.py writes today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _script():
    spec = importlib.util.spec_from_file_location("gen_cost_doc", ROOT / "scripts" / "gen_cost_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cost_section_is_current():
    if (
        not (ROOT / "TapStack.json").exists()
        or "<!-- cost:begin -->" not in (ROOT / "docs/architecture.md").read_text()
    ):
        pytest.skip("TapStack.json or the cost markers are not there")
    assert _script().main(["--check"]) == 0, "run: python scripts/gen_cost_doc.py"


def test_only_the_text_between_the_markers_changes():
    script = _script()
    doc = "intro\n<!-- cost:begin -->\nold\n<!-- cost:end -->\nafter\n"
    assert script.rewrite(doc, "new") == "intro\n<!-- cost:begin -->\nnew\n<!-- cost:end -->\nafter\n"
    with pytest.raises(SystemExit):
        script.rewrite("no markers", "new")
