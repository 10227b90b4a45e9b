"""Every cross-check rule id is in policies/controls.yaml, and every crosscheck id there is one we emit."""

from __future__ import annotations

from pathlib import Path

import yaml

from tapgate.crosscheck import drift, leastpriv, scale

ROOT = Path(__file__).resolve().parents[3]
EMITTED = {
    leastpriv.MISSING,
    leastpriv.UNUSED,
    leastpriv.UNDECIDABLE,
    drift.HANDLER,
    drift.ENV,
    drift.STATE_FUNCTION,
    drift.JURISDICTION,
    scale.HISTORY,
    scale.CONCURRENCY,
    scale.SES,
    scale.DATA_API,
    scale.WINDOW,
}


def _catalog_ids(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "crosscheck" and isinstance(value, list):
                found |= {str(v) for v in value}
            else:
                found |= _catalog_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _catalog_ids(value)
    return found


def test_the_published_rule_list_is_what_the_checks_emit():
    from tapgate.crosscheck import RULES

    assert set(RULES) == EMITTED and len(RULES) == len(EMITTED)


def test_catalog_and_code_agree_on_crosscheck_rules():
    catalog = _catalog_ids(yaml.safe_load((ROOT / "policies" / "controls.yaml").read_text()))
    assert catalog == EMITTED


def test_the_mini_project_emits_every_rule(mini):
    assert {f.rule for f in mini.findings()} == EMITTED
