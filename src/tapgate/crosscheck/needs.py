"""The IAM actions each principal needs: a function's code and platform features, a state machine's tasks,
an EventBridge target. Each need says why and where (code file:line, or the template property)."""

from __future__ import annotations

from typing import Any

from tapgate.crosscheck import actions, asl
from tapgate.crosscheck.actions import Need, UnknownCall
from tapgate.crosscheck.codescan import AwsCall, CodeFacts, Unknown
from tapgate.crosscheck.policy import role_of

# What IAM authorises for S3 operations whose action is not named after them (Service Authorization Ref.).
S3_ACTIONS = {
    "CopyObject": ("GetObject", "PutObject"),
    "UploadPartCopy": ("GetObject", "PutObject"),
    "HeadObject": ("GetObject",),
    "SelectObjectContent": ("GetObject",),
    "ListObjectsV2": ("ListBucket",),
    "ListObjects": ("ListBucket",),
    "HeadBucket": ("ListBucket",),
    "ListObjectVersions": ("ListBucketVersions",),
    "CreateMultipartUpload": ("PutObject",),
    "UploadPart": ("PutObject",),
    "CompleteMultipartUpload": ("PutObject",),
    "DeleteObjects": ("DeleteObject",),
}
# Keyword arguments that need an action of their own on top of the call's.
S3_KWARG_ACTIONS = {
    ("GetObject", "VersionId"): "GetObjectVersion",
    ("HeadObject", "VersionId"): "GetObjectVersion",
    ("DeleteObject", "VersionId"): "DeleteObjectVersion",
    ("CopyObject", "CopySource.VersionId"): "GetObjectVersion",
    ("PutObject", "ObjectLockMode"): "PutObjectRetention",
    ("PutObject", "ObjectLockLegalHoldStatus"): "PutObjectLegalHold",
    ("PutObject", "Tagging"): "PutObjectTagging",
}
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
XRAY_SAMPLING = ("xray:GetSamplingRules", "xray:GetSamplingTargets")
LAMBDA_VPC = (  # the actions of the AWS managed policy AWSLambdaVPCAccessExecutionRole
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
LOG_DELIVERY = (  # Step Functions logging to CloudWatch Logs (vended log delivery; Resource "*")
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
DISTRIBUTED_MAP = ("states:StartExecution", "states:DescribeExecution", "states:StopExecution")


def code_needs(facts: CodeFacts, template: dict[str, Any]) -> tuple[list[Need], list[Unknown]]:
    """Actions the code's calls need (with the implied ones), and the calls that could not be mapped."""
    needs: list[Need] = []
    unknowns = list(facts.unknowns)
    kms_buckets = _has_kms_buckets(template)
    for call in sorted(facts.calls, key=lambda c: (c.location, c.service, c.method)):
        where = call.location + (f" (via {call.via})" if call.via else "")
        if not actions.known_service(call.service):
            unknowns.append(Unknown(where, f"{call.service!r} is not a service in botocore's models"))
            continue
        try:
            ops = actions.operations(call.service, call.method, call.resource)
        except UnknownCall as err:
            unknowns.append(Unknown(where, str(err)))
            continue
        for op in ops:
            needs.extend(_call_needs(call, op, where, kms_buckets, template))
    return needs, unknowns


def _call_needs(call: AwsCall, op: str, where: str, kms_buckets: bool, template: dict) -> list[Need]:
    prefix = actions.iam_prefix(call.service)
    label = f"call {call.service}.{call.method}"
    if prefix != "s3":
        needs = [Need(f"{prefix}:{op}", where, label)]
        if call.service == actions.DATA_API:
            needs.append(
                Need(
                    "secretsmanager:GetSecretValue",
                    where,
                    f"implied: the Data API reads the secret ({label})",
                )
            )
            if _data_api_secret_uses_cmk(template):
                needs.append(
                    Need("kms:Decrypt", where, "implied: the cluster's secret is encrypted with a KMS key")
                )
        return needs
    kwargs = dict(call.kwargs)
    needs = [Need(f"s3:{action}", where, label) for action in S3_ACTIONS.get(op, (op,))]
    for (operation, kwarg), action in S3_KWARG_ACTIONS.items():
        if op == operation and kwarg in kwargs:
            needs.append(Need(f"s3:{action}", where, f"implied by {kwarg}= on {label}"))
    sse = str(kwargs.get("ServerSideEncryption") or "")
    if op in actions.S3_WRITES and (sse.startswith("aws:kms") or kms_buckets):
        needs.append(Need("kms:GenerateDataKey", where, f"implied: SSE-KMS write ({label})"))
    if op in actions.S3_READS and kms_buckets:
        needs.append(Need("kms:Decrypt", where, f"implied: SSE-KMS read ({label})"))
    return needs


def function_platform_needs(
    lid: str, resource: dict[str, Any], facts: CodeFacts | None, template: dict
) -> list[Need]:
    """What the Lambda service does with the execution role for this function's configuration."""
    props = resource.get("Properties") or {}
    at = f"/Resources/{lid}/Properties"
    needs = [
        Need(a, f"{at}/LoggingConfig", "Lambda writes the function's logs")
        for a in ("logs:CreateLogStream", "logs:PutLogEvents")
    ]
    if not (props.get("LoggingConfig") or {}).get("LogGroup"):
        needs.append(
            Need("logs:CreateLogGroup", at, "no LoggingConfig.LogGroup: Lambda creates its log group")
        )
    if (props.get("TracingConfig") or {}).get("Mode") == "Active" or (facts and facts.uses_tracer):
        needs += [Need(a, f"{at}/TracingConfig", "active tracing / Powertools Tracer") for a in XRAY_WRITE]
    if props.get("VpcConfig"):
        needs += [
            Need(a, f"{at}/VpcConfig", "Lambda manages the function's network interfaces") for a in LAMBDA_VPC
        ]
    target = role_of((props.get("DeadLetterConfig") or {}).get("TargetArn"))
    kind = ((template.get("Resources") or {}).get(target) or {}).get("Type")
    if kind == "AWS::SQS::Queue":
        needs.append(
            Need("sqs:SendMessage", f"{at}/DeadLetterConfig", "Lambda sends failed events to the DLQ")
        )
    elif kind == "AWS::SNS::Topic":
        needs.append(Need("sns:Publish", f"{at}/DeadLetterConfig", "Lambda sends failed events to the DLQ"))
    if props.get("KmsKeyArn"):
        needs.append(Need("kms:Decrypt", f"{at}/KmsKeyArn", "environment variables encrypted with a KMS key"))
    return needs


def state_machine_needs(
    lid: str, resource: dict[str, Any], template: dict
) -> tuple[list[Need], list[Unknown]]:
    props = resource.get("Properties") or {}
    at = f"/Resources/{lid}/Properties"
    definition, prop = asl.definition(resource)
    subs = asl.substitutions(resource)
    needs: list[Need] = []
    unknowns: list[Unknown] = []
    if definition is None:
        return needs, [Unknown(f"{at}/{prop}", "the definition could not be read")]
    for state in asl.walk(definition):
        where = f"{at}/{prop}/" + "/".join(state.path)
        body = state.body
        if body.get("Type") == "Task":
            task_needs, unknown = _task_needs(str(body.get("Resource") or ""), where)
            target = _invoked_function(body, subs, template)
            needs += [
                Need(n.action, n.location, n.reason, target) if n.action == "lambda:InvokeFunction" else n
                for n in task_needs
            ]
            unknowns += [Unknown(where, unknown)] if unknown else []
        if body.get("Type") == "Map" and asl.is_distributed(body):
            needs += [Need(a, where, "Distributed Map runs child executions") for a in DISTRIBUTED_MAP]
        for key in ("ItemReader", "ResultWriter"):
            if isinstance(body.get(key), dict):
                io_needs, unknown = _task_needs(str(body[key].get("Resource") or ""), f"{where}/{key}")
                needs += io_needs
                unknowns += [Unknown(where, unknown)] if unknown else []
                if _has_kms_buckets(template):
                    kms = "kms:Decrypt" if key == "ItemReader" else "kms:GenerateDataKey"
                    needs.append(Need(kms, f"{where}/{key}", f"implied: {key} on an SSE-KMS bucket"))
    if (props.get("LoggingConfiguration") or {}).get("Destinations"):
        needs += [Need(a, f"{at}/LoggingConfiguration", "logging to CloudWatch Logs") for a in LOG_DELIVERY]
    if (props.get("TracingConfiguration") or {}).get("Enabled"):
        needs += [
            Need(a, f"{at}/TracingConfiguration", "X-Ray tracing") for a in (*XRAY_WRITE, *XRAY_SAMPLING)
        ]
    if (props.get("EncryptionConfiguration") or {}).get("Type") == "CUSTOMER_MANAGED_KMS_KEY":
        needs += [
            Need(a, f"{at}/EncryptionConfiguration", "execution data encrypted with a KMS key")
            for a in ("kms:Decrypt", "kms:GenerateDataKey")
        ]
    return needs, unknowns


def _invoked_function(body: dict[str, Any], subs: dict[str, Any], template: dict[str, Any]) -> str:
    """The logical id of the template function a Lambda Task invokes ("" when it is not one of them)."""
    params = body.get("Parameters") or body.get("Arguments") or {}
    text = str(params.get("FunctionName") or body.get("Resource") or "")
    resources = template.get("Resources") or {}
    for name in sorted(asl.placeholders(text)):
        lid = role_of(subs.get(name))
        if lid and (resources.get(lid) or {}).get("Type") == "AWS::Lambda::Function":
            return lid
    return ""


def _task_needs(resource_arn: str, where: str) -> tuple[list[Need], str | None]:
    """A Task's Resource: a Lambda ARN, an optimised integration, or an aws-sdk integration."""
    if (":lambda:" in resource_arn and ":function:" in resource_arn) or resource_arn.startswith("${"):
        return [Need("lambda:InvokeFunction", where, "Task invokes a Lambda function")], None
    marker = ":states:::"
    if marker not in resource_arn:
        return [], f"Task Resource {resource_arn!r} is not an integration the analysis knows"
    integration = resource_arn.split(marker, 1)[1]
    pattern = integration.split(".", 1)[0]  # drop .sync / .waitForTaskToken
    if pattern == "lambda:invoke":
        return [Need("lambda:InvokeFunction", where, "Task invokes a Lambda function")], None
    if pattern.startswith("aws-sdk:"):
        _, service, api = [*pattern.split(":"), "", ""][:3]
        prefix = actions.iam_prefix(service) if actions.known_service(service) else service
        return [Need(f"{prefix}:{api[:1].upper()}{api[1:]}", where, "aws-sdk integration")], None
    service, _, api = pattern.partition(":")
    op = api[:1].upper() + api[1:]
    needs = [Need(a, where, "service integration") for a in _integration_actions(service, op)]
    if ".sync" in integration and service == "states":
        needs += [
            Need(a, where, ".sync polls the child")
            for a in (
                "states:DescribeExecution",
                "states:StopExecution",
                "events:PutTargets",
                "events:PutRule",
                "events:DescribeRule",
            )
        ]
    return needs, None


def _integration_actions(service: str, op: str) -> list[str]:
    if service == "s3":
        return [f"s3:{a}" for a in S3_ACTIONS.get(op, (op,))]
    return [f"{service}:{op}"]


def target_role_needs(template: dict[str, Any]) -> dict[str, list[Need]]:
    """role -> what EventBridge rules (and Scheduler schedules) do with it for their targets."""
    resources = template.get("Resources") or {}
    found: dict[str, list[Need]] = {}
    for lid, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") not in (
            "AWS::Events::Rule",
            "AWS::Scheduler::Schedule",
        ):
            continue
        props = res.get("Properties") or {}
        targets = props.get("Targets") or ([props["Target"]] if "Target" in props else [])
        key = "Targets" if "Targets" in props else "Target"
        for i, target in enumerate(targets):
            role = role_of((target or {}).get("RoleArn"))
            if role is None:
                continue
            kind = (resources.get(role_of(target.get("Arn")) or "") or {}).get("Type")
            where = f"/Resources/{lid}/Properties/{key}" + (f"/{i}" if key == "Targets" else "")
            action = {
                "AWS::StepFunctions::StateMachine": "states:StartExecution",
                "AWS::Lambda::Function": "lambda:InvokeFunction",
                "AWS::SQS::Queue": "sqs:SendMessage",
                "AWS::SNS::Topic": "sns:Publish",
            }.get(kind or "")
            found.setdefault(role, [])
            if action:
                found[role].append(Need(action, where, f"target of {lid}", role_of(target.get("Arn")) or ""))
    return found


def _has_kms_buckets(template: dict[str, Any]) -> bool:
    for res in (template.get("Resources") or {}).values():
        if isinstance(res, dict) and res.get("Type") == "AWS::S3::Bucket":
            rules = ((res.get("Properties") or {}).get("BucketEncryption") or {}).get(
                "ServerSideEncryptionConfiguration"
            ) or []
            for rule in rules:
                algorithm = str(
                    ((rule or {}).get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", "")
                )
                if algorithm.startswith("aws:kms"):
                    return True
    return False


def _data_api_secret_uses_cmk(template: dict[str, Any]) -> bool:
    for res in (template.get("Resources") or {}).values():
        if isinstance(res, dict) and res.get("Type") == "AWS::RDS::DBCluster":
            if ((res.get("Properties") or {}).get("MasterUserSecret") or {}).get("KmsKeyId"):
                return True
    return False
