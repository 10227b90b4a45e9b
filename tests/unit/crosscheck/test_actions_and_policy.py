"""botocore-model mapping of calls to IAM actions, implied actions, and reading a role's grants."""

from __future__ import annotations

import pytest

from tapgate.crosscheck import actions, needs
from tapgate.crosscheck.codescan import AwsCall, CodeFacts
from tapgate.crosscheck.policy import role_grants


@pytest.mark.parametrize(
    ("service", "method", "expected"),
    [
        ("s3", "put_object", ("s3", ("PutObject",))),
        ("rds-data", "execute_statement", ("rds-data", ("ExecuteStatement",))),
        ("ses", "send_raw_email", ("ses", ("SendRawEmail",))),
        ("sesv2", "send_email", ("ses", ("SendEmail",))),
        ("cloudwatch", "put_metric_data", ("cloudwatch", ("PutMetricData",))),
        ("stepfunctions", "start_execution", ("states", ("StartExecution",))),
        ("s3", "upload_file", ("s3", ("PutObject",))),
    ],
)
def test_method_to_operation_and_prefix_from_the_model(service, method, expected):
    assert (actions.iam_prefix(service), actions.operations(service, method)) == expected


def test_resource_api_actions_come_from_boto3_resource_models():
    assert actions.operations("s3", "put", "Object") == ("PutObject",)
    assert actions.operations("s3", "Object", "ServiceResource") == ()  # makes a resource, calls nothing


def test_a_method_the_model_lacks_is_unknown_not_guessed():
    with pytest.raises(actions.UnknownCall):
        actions.operations("s3", "put_objekt")
    assert not actions.known_service("not-a-service")


def _needs(call: AwsCall, template: dict | None = None) -> set[str]:
    found, unknown = needs.code_needs(CodeFacts(calls={call}), template or {"Resources": {}})
    assert unknown == []
    return {n.action for n in found}


def test_implied_actions():
    kms = {
        "Resources": {
            "B": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                        ]
                    }
                },
            }
        }
    }
    put = AwsCall("s3", "put_object", "f.py:1", kwargs=(("ServerSideEncryption", "aws:kms"),))
    assert _needs(put) == {"s3:PutObject", "kms:GenerateDataKey"}
    assert _needs(AwsCall("s3", "get_object", "f.py:2"), kms) == {"s3:GetObject", "kms:Decrypt"}
    copy = AwsCall(
        "s3", "copy_object", "f.py:3", kwargs=(("CopySource", None), ("CopySource.VersionId", None))
    )
    assert _needs(copy) == {"s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"}
    assert _needs(AwsCall("rds-data", "execute_statement", "f.py:4")) == {
        "rds-data:ExecuteStatement",
        "secretsmanager:GetSecretValue",
    }
    locked = AwsCall("s3", "put_object", "f.py:5", kwargs=(("ObjectLockMode", "COMPLIANCE"),))
    assert _needs(locked) == {"s3:PutObject", "s3:PutObjectRetention"}


def test_state_machine_integrations():
    found, unknown = needs._task_needs("arn:aws:states:::aws-sdk:sqs:sendMessage", "/x")
    assert ([n.action for n in found], unknown) == (["sqs:SendMessage"], None)
    found, _ = needs._task_needs("arn:aws:states:::sns:publish", "/x")
    assert [n.action for n in found] == ["sns:Publish"]
    found, unknown = needs._task_needs("arn:aws:states:::states:startExecution.sync:2", "/x")
    assert "states:DescribeExecution" in {n.action for n in found}
    assert needs._task_needs("arn:aws:something:else", "/x")[1]


def test_role_grants_from_inline_attached_and_wildcards():
    template = {
        "Resources": {
            "R": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "named",
                    "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", {"Ref": "M"}],
                    "Policies": [
                        {
                            "PolicyName": "p",
                            "PolicyDocument": {
                                "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}
                            },
                        }
                    ],
                },
            },
            "P": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": ["named"],
                    "PolicyDocument": {
                        "Statement": [
                            {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"},
                            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                        ]
                    },
                },
            },
            "M": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}]
                    }
                },
            },
        }
    }
    grants = role_grants(template, "R")
    assert [(g.action, g.pointer) for g in grants.grants] == [
        ("s3:Get*", "/Resources/R/Properties/Policies/0/PolicyDocument/Statement/Action"),
        ("sqs:SendMessage", "/Resources/M/Properties/PolicyDocument/Statement/0/Action/0"),
    ]
    assert grants.allowed("s3:GetObjectVersion") and not grants.allowed("s3:PutObject")
    assert len(grants.opaque) == 2  # the AWS managed policy, and the NotAction statement
