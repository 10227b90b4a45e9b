"""policies/waivers.yaml: the register validates; an expired or reasonless waiver is returned invalid (the
gate fails on it); a malformed one is a one-line input error with file:line:col; waivers match exactly."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from guardrun import REPO_ROOT

from tapgate.catalog import ENGINES, load_catalog, load_waivers
from tapgate.errors import InputError

WAIVERS = REPO_ROOT / "policies" / "waivers.yaml"
TODAY = dt.date(2026, 11, 27)


def register(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


ENTRY = """\
waivers:
  - id: WVR-9001
    engine: cfn-guard
    rule: S3_BUCKET_SSE_KMS_CMK
    resource: AccessLogBucket
    reason: {reason}
    owner: tapstack-platform
    expires: {expires}
"""


def test_the_repository_register_is_valid_today() -> None:
    checked = load_waivers(WAIVERS, dt.datetime.now(dt.UTC).date())
    assert [c.problem for c in checked if not c.valid] == []
    assert all(c.waiver.engine in ENGINES for c in checked)


def test_every_waived_rule_belongs_to_a_control() -> None:
    catalog = load_catalog(REPO_ROOT / "policies" / "controls.yaml")
    unmapped = [
        c.waiver.id for c in load_waivers(WAIVERS) if not catalog.controls_for(c.waiver.engine, c.waiver.rule)
    ]
    assert unmapped == []


def test_a_live_waiver_covers_exactly_its_engine_rule_and_resource(tmp_path: Path) -> None:
    [checked] = load_waivers(
        register(tmp_path, ENTRY.format(reason="SSE-S3 is required", expires="2027-01-31")), TODAY
    )
    assert checked.valid and checked.problem is None
    assert checked.covers("cfn-guard", "S3_BUCKET_SSE_KMS_CMK", "AccessLogBucket")
    assert not checked.covers("checkov", "S3_BUCKET_SSE_KMS_CMK", "AccessLogBucket")
    assert not checked.covers("cfn-guard", "S3_BUCKET_SSE_KMS_CMK", "ReportBucket")
    assert not checked.covers("cfn-guard", "S3_BUCKET_VERSIONING_ENABLED", "AccessLogBucket")


def test_an_expired_waiver_is_invalid_and_covers_nothing(tmp_path: Path) -> None:
    [checked] = load_waivers(
        register(tmp_path, ENTRY.format(reason="was true once", expires="2026-11-26")), TODAY
    )
    assert (checked.valid, checked.problem) == (False, "expired on 2026-11-26")
    assert not checked.covers("cfn-guard", "S3_BUCKET_SSE_KMS_CMK", "AccessLogBucket")


def test_a_waiver_expiring_today_still_holds(tmp_path: Path) -> None:
    [checked] = load_waivers(register(tmp_path, ENTRY.format(reason="last day", expires="2026-11-27")), TODAY)
    assert checked.valid


@pytest.mark.parametrize("reason", ['""', '"   "', "null"])
def test_a_waiver_without_a_reason_is_invalid(tmp_path: Path, reason: str) -> None:
    [checked] = load_waivers(register(tmp_path, ENTRY.format(reason=reason, expires="2027-01-31")), TODAY)
    assert (checked.valid, checked.problem) == (False, "no reason")


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (ENTRY.format(reason="r", expires="next year"), 8),
        (ENTRY.format(reason="r", expires="2027-01-31").replace("engine: cfn-guard", "engine: guard"), 3),
        (ENTRY.format(reason="r", expires="2027-01-31").replace("    owner: tapstack-platform\n", ""), 2),
        (ENTRY.format(reason="r", expires="2027-01-31") + "    approved_by: someone\n", 9),
    ],
    ids=["bad-date", "unknown-engine", "no-owner", "unknown-key"],
)
def test_a_malformed_register_is_an_input_error_at_its_line(tmp_path: Path, body: str, line: int) -> None:
    path = register(tmp_path, body)
    with pytest.raises(InputError, match=rf"^{path}:{line}:\d+: "):
        load_waivers(path, TODAY)


def test_duplicate_waiver_ids_are_an_input_error(tmp_path: Path) -> None:
    entry = ENTRY.format(reason="r", expires="2027-01-31")
    path = register(tmp_path, entry + entry.split("\n", 1)[1])
    with pytest.raises(InputError, match="duplicate waiver id"):
        load_waivers(path, TODAY)
