"""TapStack.json's hygiene: readable 2-space JSON, tags on every resource type that takes them, no open
principal in any Allow, no defaults for secrets or addresses, and the outputs operators and tests rely on.

The tag check reads cfn-lint's own us-east-1 resource schemas: a type that gains Tags upstream is held to it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "TapStack.json"
REQUIRED_TAG_KEYS = {"Project", "Environment", "DataClassification"}
REQUIRED_OUTPUTS = {
    "StateMachineArn",
    "WorkBucketName",
    "ReportBucketName",
    "AuditBucketName",
    "DataKeyArn",
    "ReportingDbClusterArn",
    "ReportingDbSecretArn",
    "AlertTopicArn",
    "SesConfigurationSetName",
    "DailyReportingRuleName",
    "TrailArn",
}


@pytest.fixture(scope="module")
def text() -> str:
    return TEMPLATE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def template(text) -> dict[str, Any]:
    return json.loads(text)


@cache
def taggable(resource_type: str) -> bool:
    """Whether the type's CloudFormation schema (cfn-lint's us-east-1 copy) has a Tags property."""
    from cfnlint.data import schemas

    base = Path(schemas.__file__).parent
    providers = json.loads((base / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    if resource_type not in providers:
        return False  # custom resources
    schema = json.loads((base / "resources" / f"{providers[resource_type]}.json").read_text(encoding="utf-8"))
    return "Tags" in schema.get("properties", {})


def allow_statements(node: Any):
    """Every Allow statement anywhere in the template (key policies, bucket/queue/topic and role policies)."""
    if isinstance(node, dict):
        if node.get("Effect") == "Allow" and "Action" in node:
            yield node
        for value in node.values():
            yield from allow_statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from allow_statements(value)


def test_template_is_two_space_json_as_json_tool_writes_it(text, template):
    assert text == json.dumps(template, indent=2) + "\n"


def test_every_taggable_resource_carries_the_tags(template):
    untagged = {
        lid
        for lid, r in template["Resources"].items()
        if taggable(r["Type"])
        and not REQUIRED_TAG_KEYS <= {t["Key"] for t in r.get("Properties", {}).get("Tags", [])}
    }
    assert untagged == set()


def test_taggable_lookup_knows_both_kinds():
    assert taggable("AWS::S3::Bucket") and not taggable("AWS::SNS::Subscription")


def test_no_allow_statement_has_an_open_principal(template):
    open_allows = [
        s.get("Sid", "?")
        for s in allow_statements(template["Resources"])
        if s.get("Principal") in ("*", {"AWS": "*"})
    ]
    assert open_allows == []


def test_no_parameter_defaults_a_secret_or_an_address(template):
    parameters = template["Parameters"]
    assert "Default" not in parameters["NotificationEmail"]
    assert "AllowedPattern" in parameters["NotificationEmail"]
    risky = {
        name
        for name, p in parameters.items()
        if "Default" in p
        and ("@" in str(p["Default"]) or any(w in name.lower() for w in ("password", "secret")))
    }
    assert risky == set()


def test_outputs_cover_what_operators_and_tests_need(template):
    assert REQUIRED_OUTPUTS <= set(template["Outputs"])
