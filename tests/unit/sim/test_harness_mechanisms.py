"""Unit tests of the simulation harness's pure mechanisms: intrinsic resolution, the moto-shaped template,
dependency order, EventBridge input rendering, fault plans, the Retry check, bucket-policy conditions."""

from __future__ import annotations

import json

import pytest

from tapgate.errors import UsageError
from tapgate.sim.clock import RetryRecord
from tapgate.sim.deploy import PLACEHOLDER, moto_template
from tapgate.sim.dropped import dependency_order
from tapgate.sim.events import render_target_input
from tapgate.sim.faults import FaultPlan
from tapgate.sim.request_context import evaluate
from tapgate.sim.resolve import ResolveError, Resolver
from tapgate.sim.retries import retries_follow_template

TEMPLATE = {
    "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Domain": {"Type": "String"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Tags": [{"Key": "a", "Value": "b"}]}},
        "Db": {"Type": "AWS::RDS::DBCluster", "Properties": {"KmsKeyId": {"Ref": "Key"}}},
        "Pol": {
            "Type": "AWS::IAM::RolePolicy",
            "Properties": {"Doc": {"Fn::GetAtt": ["Db", "DBClusterArn"]}},
        },
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Environment": {
                    "Variables": {
                        "DB": {"Fn::GetAtt": ["Db", "DBClusterArn"]},
                        "SENDER": {"Fn::Sub": "reports@${Domain}"},
                        "ARN": {"Fn::Sub": "${Db.DBClusterArn}/x"},
                    }
                }
            },
        },
    },
}


def _resolver(attrs=None):
    return Resolver(
        template=TEMPLATE,
        parameters={"Domain": "example.org"},
        physical_ids={"Key": "key-1"},
        attributes=attrs or {},
    )


def test_resolver_resolves_parameters_defaults_pseudo_sub_getatt_and_conditions():
    r = _resolver({("Db", "DBClusterArn"): "arn:db"})
    env = r.properties("Fn")["Environment"]["Variables"]
    assert env == {"DB": "arn:db", "SENDER": "reports@example.org", "ARN": "arn:db/x"}
    assert r.resolve({"Fn::If": ["IsProd", "yes", "no"]}) == "yes"
    assert r.resolve({"Fn::Join": ["-", [{"Ref": "AWS::Region"}, {"Ref": "Key"}]]}) == "us-east-1-key-1"
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b"]}]}) == "b"
    assert r.resolve(["x", {"Ref": "AWS::NoValue"}]) == ["x"]


def test_resolver_refuses_what_the_stack_does_not_have():
    with pytest.raises(ResolveError):
        _resolver().resolve({"Fn::GetAtt": ["Db", "DBClusterArn"]})
    with pytest.raises(ResolveError):
        _resolver().resolve({"Ref": "Nothing"})


def test_moto_template_leaves_out_skipped_types_with_placeholders_and_lifts_kms_tags():
    shaped, skipped = moto_template(TEMPLATE)
    assert set(skipped) == {"Db", "Pol"}
    assert "Tags" not in shaped["Resources"]["Key"]["Properties"]
    env = shaped["Resources"]["Fn"]["Properties"]["Environment"]["Variables"]
    assert env["DB"] == f"{PLACEHOLDER}Db.DBClusterArn"
    assert env["ARN"] == {"Fn::Sub": f"{PLACEHOLDER}Db.DBClusterArn/x"}
    assert env["SENDER"] == {"Fn::Sub": "reports@${Domain}"}  # parameters stay for moto to resolve
    assert TEMPLATE["Resources"]["Key"]["Properties"]["Tags"]  # the template itself is untouched


def test_dependency_order_puts_what_is_referenced_first():
    assert dependency_order(TEMPLATE, ["Pol", "Db"]) == ["Db", "Pol"]


def test_input_transformer_renders_as_eventbridge_for_a_scheduled_event():
    target = {
        "InputTransformer": {
            "InputPathsMap": {"time": "$.time"},
            "InputTemplate": '{"scheduled_time": <time>, "at": "<time>", "trigger": "schedule"}',
        }
    }
    event = {"time": "2026-11-27T10:00:00Z", "detail": {}}
    rendered = json.loads(render_target_input(target, event, "arn:aws:events:us-east-1:1:rule/r"))
    assert rendered == {
        "scheduled_time": "2026-11-27T10:00:00Z",
        "at": "2026-11-27T10:00:00Z",
        "trigger": "schedule",
    }
    assert json.loads(render_target_input({}, event, "arn")) == event


def test_fault_plan_parses_counts_ordinals_and_function_scopes():
    plan = FaultPlan.parse("ses-throttle@2+3,dataapi-badrequest:GenerateFunction@1,s3-5xx=2", horizon=10)
    assert plan.ordinals["ses-throttle"] == {2, 3}
    assert len(plan.ordinals["s3-5xx"]) == 2
    assert plan.decide("rds-data", "ExecuteStatement", "PlanFunction") is None
    assert (
        plan.decide("rds-data", "ExecuteStatement", "GenerateFunction")
        == "dataapi-badrequest:GenerateFunction"
    )
    assert plan.decide("ses", "SendRawEmail", "DeliverFunction") is None
    assert plan.decide("ses", "SendRawEmail", "DeliverFunction") == "ses-throttle"
    assert plan.counts() == {"dataapi-badrequest:GenerateFunction": 1, "ses-throttle": 1}
    for bad in ("nope=1", "ses-throttle", "ses-throttle@x"):
        with pytest.raises(UsageError):
            FaultPlan.parse(bad)


def test_retries_are_checked_against_the_templates_retry():
    definition = {
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "States": {
                        "Deliver": {
                            "Retry": [
                                {
                                    "ErrorEquals": ["TransientError"],
                                    "IntervalSeconds": 2,
                                    "MaxAttempts": 4,
                                    "BackoffRate": 2,
                                    "MaxDelaySeconds": 5,
                                    "JitterStrategy": "FULL",
                                }
                            ]
                        }
                    }
                },
            }
        }
    }
    ok = [RetryRecord("Deliver", "TransientError", 1, 1.5), RetryRecord("Deliver", "TransientError", 3, 5.0)]
    assert retries_follow_template(definition, ok) == (True, [])
    too_long = [RetryRecord("Deliver", "TransientError", 2, 4.5)]
    too_many = [RetryRecord("Deliver", "TransientError", 5, 0.1)]
    unnamed = [RetryRecord("Deliver", "PermanentError", 1, 0.1)]
    for records in (too_long, too_many, unnamed):
        assert retries_follow_template(definition, records)[0] is False


def test_bucket_policy_conditions_use_the_request_context():
    policy = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:key"}
                },
            },
        ]
    }
    https = {"aws:SecureTransport": "true"}
    with_key = https | {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:key"}
    assert evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", with_key) == "NEUTRAL"
    assert evaluate(policy, "s3:PutObject", "arn:aws:s3:::b/k", https) == "DENIED"
    assert evaluate(policy, "s3:GetObject", "arn:aws:s3:::b/k", https) == "NEUTRAL"
    assert evaluate(policy, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "false"}) == "DENIED"
