"""TapStack.json wires each function the way docs/contract.md says: its environment variables, its own role,
log group, tracing, dead-letter queue, concurrency and VPC, and the alarms that watch each piece.

Exact sets throughout: a variable, role or alarm added or lost without the contract changing fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "TapStack.json"

COMMON_ENV = {
    "ENVIRONMENT",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "DB_CLUSTER_ARN",
    "DB_SECRET_ARN",
    "DB_NAME",
}
# docs/contract.md, "Environment variables": the variables beyond the common ones, per function
EXPECTED_EXTRA_ENV = {
    "PlanFunction": {"WORK_BUCKET", "KMS_KEY_ARN"},
    "GenerateFunction": {"WORK_BUCKET", "KMS_KEY_ARN"},
    "ValidateFunction": {"WORK_BUCKET", "KMS_KEY_ARN"},
    "DeliverFunction": {"WORK_BUCKET", "REPORT_BUCKET", "KMS_KEY_ARN", "SES_CONFIGURATION_SET", "SES_SENDER"},
    "ConfirmFunction": {"REPORT_BUCKET", "KMS_KEY_ARN"},
    "SesEventsFunction": set(),
    "MonthlySummaryFunction": {"REPORT_BUCKET", "KMS_KEY_ARN", "ALERT_TOPIC_ARN"},
    "DbInitFunction": set(),
}
FIXED_VALUES = {
    "POWERTOOLS_SERVICE_NAME": "tapstack",
    "POWERTOOLS_METRICS_NAMESPACE": "TapStack",
    "DB_NAME": "tapstack",
    "KMS_KEY_ARN": {"Fn::GetAtt": ["DataKey", "Arn"]},
    "DB_CLUSTER_ARN": {"Fn::GetAtt": ["ReportingDbCluster", "DBClusterArn"]},
    "DB_SECRET_ARN": {"Fn::GetAtt": ["ReportingDbCluster", "MasterUserSecret.SecretArn"]},
}
# Statements with Resource "*" are allowed only for actions that have no resource-level permissions.
UNSCOPABLE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def functions(template) -> dict[str, dict[str, Any]]:
    return {
        lid: r["Properties"]
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    statements = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::RolePolicy" and resource["Properties"]["RoleName"] == {
            "Ref": role_id
        }:
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    for policy in template["Resources"][role_id]["Properties"].get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    return statements


def test_each_function_sets_exactly_the_contract_variables(functions):
    actual = {lid: set(p["Environment"]["Variables"]) for lid, p in functions.items()}
    assert actual == {lid: COMMON_ENV | extra for lid, extra in EXPECTED_EXTRA_ENV.items()}


def test_fixed_variable_values_match_the_contract(functions):
    wrong = {
        (lid, name)
        for lid, props in functions.items()
        for name, value in props["Environment"]["Variables"].items()
        if name in FIXED_VALUES and value != FIXED_VALUES[name]
    }
    assert wrong == set()


def test_each_function_has_a_role_of_its_own(functions):
    roles = {lid: p["Role"]["Fn::GetAtt"][0] for lid, p in functions.items()}
    assert roles == {lid: lid.replace("Function", "Role") for lid in EXPECTED_EXTRA_ENV}


def test_star_resources_only_for_unscopable_actions(template, functions):
    offending = set()
    for props in functions.values():
        role_id = props["Role"]["Fn::GetAtt"][0]
        for statement in role_statements(template, role_id):
            if statement["Resource"] == "*" and not set(statement["Action"]) <= UNSCOPABLE_ACTIONS:
                offending.add((role_id, statement["Sid"]))
    assert offending == set()


def test_each_function_is_traced_logged_dead_lettered_and_in_the_vpc(template, functions):
    problems = set()
    for lid, props in functions.items():
        log_group = template["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
        checks = {
            "tracing": props["TracingConfig"] == {"Mode": "Active"},
            "dlq": props["DeadLetterConfig"]["TargetArn"] == {"Fn::GetAtt": ["LambdaDeadLetterQueue", "Arn"]},
            "concurrency": props["ReservedConcurrentExecutions"] >= 1,
            "vpc": props["VpcConfig"]["SubnetIds"] == [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}],
            "env-key": props["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]},
            "runtime": props["Runtime"] == "python3.13",
            "code": props["Code"] == {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": {"Ref": "ArtifactKey"}},
            "log-kms": "KmsKeyId" in log_group,
            "log-retention": log_group["RetentionInDays"] >= 365,
        }
        problems |= {(lid, name) for name, ok in checks.items() if not ok}
    assert problems == set()


def test_alarms_watch_every_function_queue_and_business_metric(template, functions):
    watched = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlertTopic"}]
        dimensions = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        subject = dimensions.get("FunctionName", dimensions.get("QueueName", dimensions.get("service")))
        watched.add((props["Namespace"], props["MetricName"], json.dumps(subject, sort_keys=True)))
    expected = {
        ("AWS/States", "ExecutionsFailed", "null"),
        ("AWS/States", "ExecutionsTimedOut", "null"),
        ("AWS/SES", "Reputation.BounceRate", "null"),
        ("TapStack", "ValidationFailures", '"tapstack"'),
        ("TapStack", "DeliveryFailures", '"tapstack"'),
        ("TapStack", "BatchFailures", '"tapstack"'),
    }
    for queue in ("LambdaDeadLetterQueue", "EventsDeadLetterQueue"):
        subject = json.dumps({"Fn::GetAtt": [queue, "QueueName"]}, sort_keys=True)
        expected.add(("AWS/SQS", "ApproximateNumberOfMessagesVisible", subject))
    for lid in functions:
        subject = json.dumps({"Ref": lid}, sort_keys=True)
        expected |= {("AWS/Lambda", "Errors", subject), ("AWS/Lambda", "Throttles", subject)}
    assert watched == expected
