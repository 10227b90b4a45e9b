"""What the engines read. Normally the templates themselves; with --strict, copies without any inline
suppression key, so every engine judges every resource (JSON pointers, and so lines, stay those of the
original: only Metadata is dropped).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from tapgate.template import Template

SUPPRESSION_METADATA = ("checkov", "guard", "cfn-lint", "cfn_nag")


def engine_inputs(templates: list[Template], strict: bool, scratch: Path) -> dict[str, str]:
    if not strict:
        return {tpl.path: tpl.path for tpl in templates}
    inputs = {}
    for index, tpl in enumerate(templates):
        copy_path = scratch / f"{index}-{Path(tpl.path).stem}.json"
        copy_path.write_text(json.dumps(without_suppressions(tpl.data), indent=1), encoding="utf-8")
        inputs[str(copy_path)] = tpl.path
    return inputs


def without_suppressions(data: dict) -> dict:
    stripped = copy.deepcopy(data)
    for resource in (stripped.get("Resources") or {}).values():
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        if not isinstance(metadata, dict):
            continue
        for key in SUPPRESSION_METADATA:
            metadata.pop(key, None)
        tapgate = metadata.get("tapgate")
        if isinstance(tapgate, dict):
            tapgate.pop("Suppress", None)
    return stripped
