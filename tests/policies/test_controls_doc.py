"""docs/controls.md is generated from policies/controls.yaml and the rules, and is current."""

from __future__ import annotations

import subprocess
import sys

from guardrun import REPO_ROOT

from tapgate.catalog import load_catalog

SCRIPT = REPO_ROOT / "scripts" / "gen_controls_doc.py"
DOC = REPO_ROOT / "docs" / "controls.md"


def test_controls_doc_is_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_controls_doc_names_every_control_and_regulation() -> None:
    catalog = load_catalog(REPO_ROOT / "policies" / "controls.yaml")
    text = DOC.read_text(encoding="utf-8")
    assert "Do not edit" in text
    assert all(f"### {c.id}" in text for c in catalog.controls)
    assert all(f"`{r.id}`" in text for r in catalog.regulations)
