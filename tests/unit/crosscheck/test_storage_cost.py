"""Report storage by class from the report bucket's lifecycle, with S3's minimum and archive overheads."""

from __future__ import annotations

import pytest

from tapgate.crosscheck.storage_cost import KB_PER_GB, add_report_storage


def _template(transitions: list[dict]) -> dict:
    return {
        "Resources": {
            "Reports": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "LifecycleConfiguration": {
                        "Rules": [
                            {"Status": "Enabled", "Transitions": transitions},
                            {
                                "Status": "Enabled",
                                "Prefix": "tmp/",
                                "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 1}],
                            },
                        ]
                    }
                },
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Environment": {"Variables": {"REPORT_BUCKET": {"Ref": "Reports"}}}},
            },
        }
    }


def _items(template: dict) -> dict[str, float]:
    found: dict[str, float] = {}
    add_report_storage(
        template, 100, 360, 50, lambda service, item, key, quantity: found.update({key: quantity})
    )
    return found


def test_classes_follow_the_lifecycle_with_minimums_and_overheads():
    items = _items(
        _template(
            [
                {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                {"StorageClass": "GLACIER", "TransitionInDays": 90},
                {"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 365},
            ]
        )
    )
    assert items["s3_standard_ia_gb_month"] == pytest.approx(
        100 * 60 * 128 / KB_PER_GB
    )  # 50 KB billed as 128
    assert items["s3_glacier_gb_month"] == pytest.approx(100 * 270 * (50 + 32) / KB_PER_GB)
    assert items["s3_standard_gb_month"] == pytest.approx(100 * (30 * 50 + 270 * 8) / KB_PER_GB)
    assert "s3_deep_archive_gb_month" not in items  # day 365 is beyond the first year
    assert items["s3_transition_ia"] == items["s3_transition_glacier"] == 100 * 30
    assert "s3_transition_deep_archive" not in items


def test_without_a_lifecycle_everything_stays_in_standard():
    items = _items(_template([]))
    assert items == {"s3_standard_gb_month": pytest.approx(100 * 360 * 50 / KB_PER_GB)}
