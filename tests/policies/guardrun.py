"""Run the real cfn-guard binary on a template dict and read which resources each rule fails.

Shared by the policy tests (rules directly, before and beside the full gate). cfn-guard 3.1.1 prints one JSON
document per rule file when given a directory, so the output is read as a stream of documents.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
GUARD_RULES = REPO_ROOT / "policies" / "guard"
TAPSTACK = REPO_ROOT / "TapStack.json"
NO_RESOURCE = "<no resource>"
LOGICAL_ID = re.compile(r"^/(Resources|Parameters)/([^/]+)")


def guard_binary() -> str | None:
    """cfn-guard by the gate's own search order when that code is present, else CFN_GUARD_PATH or PATH."""
    try:
        from tapgate.engines.provision import find_guard

        return find_guard()
    except Exception:  # noqa: BLE001 - the provisioning code may not be there or may be offline
        return os.environ.get("CFN_GUARD_PATH") or shutil.which("cfn-guard")


def json_documents(text: str) -> list[dict[str, Any]]:
    decoder, index, docs = json.JSONDecoder(), 0, []
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            break
        doc, index = decoder.raw_decode(text, index)
        docs.append(doc)
    return docs


def _paths(node: Any) -> set[str]:
    """Every "path" value anywhere in a cfn-guard check record."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "path" and isinstance(value, str):
                found.add(value)
            else:
                found |= _paths(value)
    elif isinstance(node, list):
        for value in node:
            found |= _paths(value)
    return found


def guard_verdicts(guard: str, template: dict[str, Any], rules: Path = GUARD_RULES) -> dict[str, Any]:
    """{"FAIL": {rule: {logical ids}}, "PASS": {rules}, "SKIP": {rules}} for one template."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "template.json"
        data.write_text(json.dumps(template), encoding="utf-8")
        proc = subprocess.run(
            [guard, "validate", "-r", str(rules), "-d", str(data), "-o", "json", "--show-summary", "none"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode in (0, 19), f"cfn-guard exited {proc.returncode}: {proc.stderr[:500]}"
    failing: dict[str, set[str]] = {}
    passing: set[str] = set()
    skipped: set[str] = set()
    for doc in json_documents(proc.stdout):
        passing |= set(doc.get("compliant", []))
        skipped |= set(doc.get("not_applicable", []))
        for entry in doc.get("not_compliant", []):
            rule = entry["Rule"]["name"]
            for check in entry["Rule"].get("checks", []):
                ids = {m.group(2) for p in _paths(check) if (m := LOGICAL_ID.match(p))}
                # A check record without a resource path becomes a finding on no resource in the gate.
                failing.setdefault(rule, set()).update(ids or {NO_RESOURCE})
    return {"FAIL": failing, "PASS": passing, "SKIP": skipped}


def tapgate_failing(template: dict[str, Any]) -> dict[str, set[str]]:
    """{rule: {logical ids}} of tapgate's own checks' FAIL findings (inline suppressions applied)."""
    from tapgate.checks import run_all

    failing: dict[str, set[str]] = {}
    for finding in run_all(template):
        if finding.status.value == "FAIL":
            failing.setdefault(finding.rule, set()).add(finding.resource or "")
    return failing


def load_tapstack() -> dict[str, Any]:
    return json.loads(TAPSTACK.read_text(encoding="utf-8"))
