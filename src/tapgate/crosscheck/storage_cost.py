"""S3 storage of the delivered reports by storage class, following the report bucket's lifecycle rules.

The report bucket is the one the functions get as `REPORT_BUCKET` (docs/contract.md). Reports arrive at a
steady rate, so after `months` the stock is spread evenly over ages 0…days: each lifecycle transition
(`TransitionInDays`) cuts that span into storage classes. Billed sizes follow S3's rules: Standard-IA and
Glacier Instant Retrieval bill at least 128 KB an object; Glacier Flexible Retrieval and Deep Archive add
40 KB an object (32 KB at the archive rate, 8 KB at the Standard rate). Each transition is a billed request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tapgate.crosscheck.policy import role_of

# storage class -> (price key, minimum billed KB, archive overhead KB at its own rate, transition price key)
CLASSES = {
    "STANDARD": ("s3_standard_gb_month", 0, 0, ""),
    "STANDARD_IA": ("s3_standard_ia_gb_month", 128, 0, "s3_transition_ia"),
    "GLACIER_IR": ("s3_glacier_ir_gb_month", 128, 0, "s3_transition_glacier_ir"),
    "GLACIER": ("s3_glacier_gb_month", 0, 32, "s3_transition_glacier"),
    "DEEP_ARCHIVE": ("s3_deep_archive_gb_month", 0, 32, "s3_transition_deep_archive"),
}
ARCHIVE_INDEX_KB = 8  # kept in S3 Standard for each archived object
KB_PER_GB = 1024 * 1024


def report_bucket(template: dict[str, Any]) -> str | None:
    for res in (template.get("Resources") or {}).values():
        if isinstance(res, dict) and res.get("Type") == "AWS::Lambda::Function":
            variables = ((res.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
            bucket = role_of(variables.get("REPORT_BUCKET"))
            if bucket:
                return bucket
    return None


def transitions(template: dict[str, Any], bucket: str | None) -> list[tuple[int, str]]:
    """(day, storage class) of the bucket's enabled, unfiltered-or-reports lifecycle transitions, by day."""
    props = ((template.get("Resources") or {}).get(bucket or "") or {}).get("Properties") or {}
    found = []
    for rule in (props.get("LifecycleConfiguration") or {}).get("Rules") or []:
        prefix = str(rule.get("Prefix") or ((rule.get("Filter") or {}).get("Prefix")) or "")
        if rule.get("Status") != "Enabled" or (prefix and not prefix.startswith("reports")):
            continue
        for step in rule.get("Transitions") or []:
            if step.get("StorageClass") in CLASSES and isinstance(step.get("TransitionInDays"), int):
                found.append((step["TransitionInDays"], step["StorageClass"]))
    return sorted(found)


def add_report_storage(
    template: dict[str, Any],
    reports_per_day: int,
    days: int,
    report_kb: float,
    add: Callable[[str, str, str, float], None],
) -> None:
    steps = [(0, "STANDARD"), *transitions(template, report_bucket(template))]
    gb_by_key: dict[str, float] = {}
    label: dict[str, str] = {}
    for i, (start, kind) in enumerate(steps):
        end = min(steps[i + 1][0] if i + 1 < len(steps) else days, days)
        if end <= start:
            continue
        objects = reports_per_day * (end - start)
        key, minimum, overhead, _ = CLASSES[kind]
        gb_by_key[key] = gb_by_key.get(key, 0.0) + objects * (max(report_kb, minimum) + overhead) / KB_PER_GB
        label[key] = kind
        if overhead:
            standard = CLASSES["STANDARD"][0]
            gb_by_key[standard] = gb_by_key.get(standard, 0.0) + objects * ARCHIVE_INDEX_KB / KB_PER_GB
            label.setdefault(standard, "STANDARD")
    for key, gb in gb_by_key.items():
        add("S3", f"report storage, {label[key]} (after {days} days)", key, gb)
    for day, kind in steps[1:]:
        if day < days:
            add("S3", f"lifecycle transitions to {kind}", CLASSES[kind][3], reports_per_day * 30)
