"""Apply, from the template's own properties, what moto's CloudFormation drops or skips.

Every value comes from TapStack.json through the resolver (Ref/GetAtt/Sub against the created stack);
the few shape differences between CloudFormation properties and API parameters live in `apimodel`.
Each step appends one line to `deployment.applied`, so a run can show what the harness stood in for.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from tapgate.sim.apimodel import api_params, lifecycle_rules, object_lock_configuration
from tapgate.sim.deploy import Deployment


def apply_all(deployment: Deployment, session: Any) -> None:
    """Buckets and keys first, then the skipped resources in an order that satisfies their references."""
    apply_buckets(deployment, session)
    apply_kms_tags(deployment, session)
    for logical_id in dependency_order(deployment.template, deployment.skipped):
        builder = _BUILDERS.get(deployment.template["Resources"][logical_id]["Type"])
        if builder is not None:
            builder(deployment, session, logical_id)
    handled = set(_BUILDERS) | {"AWS::CloudFormation::CustomResource"}
    for logical_id in deployment.skipped:
        resource_type = deployment.template["Resources"][logical_id]["Type"]
        if resource_type not in handled and not resource_type.startswith("Custom::"):
            deployment.not_simulated.append(f"{logical_id} ({resource_type})")
    apply_function_environments(deployment, session)
    render_state_machine(deployment, session)


def references(node: Any) -> set[str]:
    """Logical ids (and parameters) a template fragment refers to: Ref, GetAtt, ${…} in Sub."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value.split(".")[0] if isinstance(value, str) else value[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(value, str):
                    found |= references(value[1])
            else:
                found |= references(value)
    return found


def dependency_order(template: dict[str, Any], logical_ids: list[str]) -> list[str]:
    """`logical_ids` ordered so that each comes after the ones among them it refers to (or DependsOn)."""
    resources, pending, ordered = template["Resources"], set(logical_ids), []

    def visit(logical_id: str, trail: tuple[str, ...]) -> None:
        if logical_id not in pending or logical_id in trail:
            return
        resource = resources[logical_id]
        depends = resource.get("DependsOn", [])
        for needed in sorted(
            references(resource.get("Properties", {}))
            | set([depends] if isinstance(depends, str) else depends)
        ):
            visit(needed, (*trail, logical_id))
        pending.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in logical_ids:
        visit(logical_id, ())
    return ordered


# buckets and keys ------------------------------------------------------------------------------------
def apply_buckets(deployment: Deployment, session: Any) -> None:
    s3 = session.client("s3", region_name=deployment.region)
    for logical_id in deployment.of_type("AWS::S3::Bucket"):
        name, props = deployment.physical(logical_id), deployment.resolver.properties(logical_id)
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if props.get("ObjectLockEnabled") or "ObjectLockConfiguration" in props:
            _enable_object_lock(deployment, name)
            if "ObjectLockConfiguration" in props:
                s3.put_object_lock_configuration(
                    Bucket=name,
                    ObjectLockConfiguration=object_lock_configuration(props["ObjectLockConfiguration"]),
                )
        if "LifecycleConfiguration" in props:
            rules = lifecycle_rules(props["LifecycleConfiguration"].get("Rules", []))
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=api_params("s3", "PutPublicAccessBlock", {})
                | {k: bool(v) for k, v in props["PublicAccessBlockConfiguration"].items()},
            )
        if "BucketEncryption" in props:
            rules = [  # the CloudFormation name differs from the API's here
                {
                    ("ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k): v
                    for k, v in rule.items()
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        deployment.applied.append(
            f"{logical_id}: versioning, object lock, lifecycle, public access block, SSE"
        )


def _enable_object_lock(deployment: Deployment, bucket: str) -> None:
    """Object Lock can only be enabled at creation; moto's CloudFormation did not, so set moto's flag."""
    from moto.s3.models import s3_backends

    account = deployment.resolver.account
    s3_backends[account]["aws"].buckets[bucket].object_lock_enabled = True


def apply_kms_tags(deployment: Deployment, session: Any) -> None:
    kms = session.client("kms", region_name=deployment.region)
    for logical_id in deployment.of_type("AWS::KMS::Key"):
        tags = deployment.resolver.properties(logical_id).get("Tags")
        if tags:
            key_id = deployment.physical(logical_id)
            kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags])
            deployment.applied.append(f"{logical_id}: {len(tags)} tags")


# skipped resources -----------------------------------------------------------------------------------
def _generated_name(deployment: Deployment, logical_id: str) -> str:
    return f"{deployment.stack_name}-{logical_id}".lower()


def build_db_cluster(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    identifier = props.get("DBClusterIdentifier") or _generated_name(deployment, logical_id)
    extra = {"DBClusterIdentifier": identifier}
    if isinstance(props.get("MasterUserSecret"), dict) and props["MasterUserSecret"].get("KmsKeyId"):
        extra["MasterUserSecretKmsKeyId"] = props["MasterUserSecret"]["KmsKeyId"]
    params = api_params("rds", "CreateDBCluster", props, **extra)
    params.pop("DBSubnetGroupName", None)  # the subnet group is a network fact moto need not check
    params.pop("VpcSecurityGroupIds", None)
    cluster = session.client("rds", region_name=deployment.region).create_db_cluster(**params)["DBCluster"]
    attrs = deployment.resolver.attributes
    attrs[(logical_id, "DBClusterArn")] = cluster["DBClusterArn"]
    attrs[(logical_id, "Endpoint.Address")] = cluster.get("Endpoint", "")
    attrs[(logical_id, "Endpoint.Port")] = str(cluster.get("Port", 5432))
    attrs[(logical_id, "DBClusterResourceId")] = cluster.get("DbClusterResourceId", "")
    if cluster.get("MasterUserSecret"):
        attrs[(logical_id, "MasterUserSecret.SecretArn")] = cluster["MasterUserSecret"]["SecretArn"]
    deployment.resolver.physical_ids[logical_id] = identifier
    deployment.applied.append(f"{logical_id}: DB cluster {identifier} ({params.get('Engine')}), Data API on")


def build_db_instance(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    identifier = props.get("DBInstanceIdentifier") or _generated_name(deployment, logical_id)
    params = api_params("rds", "CreateDBInstance", props, DBInstanceIdentifier=identifier)
    params.pop("DBSubnetGroupName", None)
    session.client("rds", region_name=deployment.region).create_db_instance(**params)
    deployment.resolver.physical_ids[logical_id] = identifier
    deployment.applied.append(f"{logical_id}: DB instance {identifier} ({params.get('DBInstanceClass')})")


def build_secret(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    name = props.get("Name") or _generated_name(deployment, logical_id)
    value = props.get("SecretString")
    generate = props.get("GenerateSecretString")
    if value is None and generate:
        # what GenerateSecretString does: a random password, inside the template's JSON if it gives one
        password = secrets.token_urlsafe(int(generate.get("PasswordLength", 32)))[
            : int(generate.get("PasswordLength", 32))
        ]
        if generate.get("SecretStringTemplate"):
            doc = json.loads(generate["SecretStringTemplate"])
            doc[generate.get("GenerateStringKey", "password")] = password
            value = json.dumps(doc)
        else:
            value = password
    params = api_params("secretsmanager", "CreateSecret", props, Name=name, SecretString=value or "")
    arn = session.client("secretsmanager", region_name=deployment.region).create_secret(**params)["ARN"]
    deployment.resolver.physical_ids[logical_id] = arn
    deployment.applied.append(f"{logical_id}: secret {name}")


def build_email_identity(deployment: Deployment, session: Any, logical_id: str) -> None:
    identity = deployment.resolver.properties(logical_id)["EmailIdentity"]
    # SES v1 verification is what moto's send path checks; v2 keeps the identity's own record
    if "@" in identity:
        session.client("ses", region_name=deployment.region).verify_email_identity(EmailAddress=identity)
    else:
        session.client("ses", region_name=deployment.region).verify_domain_identity(Domain=identity)
    session.client("sesv2", region_name=deployment.region).create_email_identity(EmailIdentity=identity)
    deployment.resolver.physical_ids[logical_id] = identity
    deployment.applied.append(f"{logical_id}: SES identity {identity} (verified)")


def build_configuration_set(deployment: Deployment, session: Any, logical_id: str) -> None:
    name = deployment.resolver.properties(logical_id).get("Name") or _generated_name(deployment, logical_id)
    session.client("ses", region_name=deployment.region).create_configuration_set(
        ConfigurationSet={"Name": name}
    )
    deployment.resolver.physical_ids[logical_id] = name
    deployment.applied.append(f"{logical_id}: SES configuration set {name}")


def build_event_destination(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    destination = props["EventDestination"]
    api = {
        "Name": destination.get("Name") or logical_id,
        "Enabled": bool(destination.get("Enabled", True)),
        "MatchingEventTypes": [
            t.upper() if t.islower() else t for t in destination.get("MatchingEventTypes", [])
        ],
    }
    if "SnsDestination" in destination:
        api["SNSDestination"] = {"TopicARN": destination["SnsDestination"]["TopicARN"]}
    session.client("ses", region_name=deployment.region).create_configuration_set_event_destination(
        ConfigurationSetName=props["ConfigurationSetName"], EventDestination=api
    )
    deployment.resolver.physical_ids[logical_id] = api["Name"]
    deployment.applied.append(f"{logical_id}: SES event destination {api['Name']}")


def build_bucket_policy(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    session.client("s3", region_name=deployment.region).put_bucket_policy(
        Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"])
    )
    deployment.resolver.physical_ids[logical_id] = props["Bucket"]
    deployment.applied.append(f"{logical_id}: bucket policy on {props['Bucket']}")


def build_alarm(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    name = props.get("AlarmName") or _generated_name(deployment, logical_id)
    params = api_params("cloudwatch", "PutMetricAlarm", props, AlarmName=name)
    session.client("cloudwatch", region_name=deployment.region).put_metric_alarm(**params)
    deployment.resolver.physical_ids[logical_id] = name
    deployment.applied.append(f"{logical_id}: alarm {name} on {props.get('MetricName', 'metrics')}")


def build_trail(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    name = props.get("TrailName") or _generated_name(deployment, logical_id)
    client = session.client("cloudtrail", region_name=deployment.region)
    client.create_trail(**api_params("cloudtrail", "CreateTrail", props, Name=name))
    if props.get("IsLogging") in (True, "true"):
        client.start_logging(Name=name)
    deployment.resolver.physical_ids[logical_id] = name
    deployment.applied.append(f"{logical_id}: trail {name}")


def build_cluster_parameter_group(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    name = props.get("DBClusterParameterGroupName") or _generated_name(deployment, logical_id)
    rds = session.client("rds", region_name=deployment.region)
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name,
        DBParameterGroupFamily=props["Family"],
        Description=props["Description"],
    )
    deployment.resolver.physical_ids[logical_id] = name
    deployment.applied.append(
        f"{logical_id}: cluster parameter group {name} ({len(props.get('Parameters', {}))} set)"
    )


def build_role_policy(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    session.client("iam").put_role_policy(
        RoleName=props["RoleName"],
        PolicyName=props["PolicyName"],
        PolicyDocument=json.dumps(props["PolicyDocument"]),
    )
    deployment.resolver.physical_ids[logical_id] = props["PolicyName"]
    deployment.applied.append(f"{logical_id}: inline policy {props['PolicyName']} on {props['RoleName']}")


def build_subscription(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    arn = session.client("sns", region_name=deployment.region).subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    deployment.resolver.physical_ids[logical_id] = arn
    deployment.applied.append(f"{logical_id}: SNS {props['Protocol']} subscription")


def build_topic_policy(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    sns = session.client("sns", region_name=deployment.region)
    for topic in props["Topics"]:
        sns.set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(props["PolicyDocument"])
        )
    deployment.resolver.physical_ids[logical_id] = logical_id
    deployment.applied.append(f"{logical_id}: topic policy")


def build_queue_policy(deployment: Deployment, session: Any, logical_id: str) -> None:
    props = deployment.resolver.properties(logical_id)
    sqs = session.client("sqs", region_name=deployment.region)
    for queue_url in props["Queues"]:
        sqs.set_queue_attributes(
            QueueUrl=queue_url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
        )
    deployment.resolver.physical_ids[logical_id] = logical_id
    deployment.applied.append(f"{logical_id}: queue policy")


_BUILDERS: dict[str, Callable[[Deployment, Any, str], None]] = {
    "AWS::IAM::RolePolicy": build_role_policy,
    "AWS::SNS::TopicPolicy": build_topic_policy,
    "AWS::SQS::QueuePolicy": build_queue_policy,
    "AWS::RDS::DBClusterParameterGroup": build_cluster_parameter_group,
    "AWS::RDS::DBCluster": build_db_cluster,
    "AWS::RDS::DBInstance": build_db_instance,
    "AWS::SecretsManager::Secret": build_secret,
    "AWS::SES::EmailIdentity": build_email_identity,
    "AWS::SES::ConfigurationSet": build_configuration_set,
    "AWS::SES::ConfigurationSetEventDestination": build_event_destination,
    "AWS::SNS::Subscription": build_subscription,
    "AWS::S3::BucketPolicy": build_bucket_policy,
    "AWS::CloudWatch::Alarm": build_alarm,
    "AWS::CloudTrail::Trail": build_trail,
}


# functions and the state machine ---------------------------------------------------------------------
def apply_function_environments(deployment: Deployment, session: Any) -> None:
    """moto resolved references to skipped resources as placeholders: set each function's real environment."""
    client = session.client("lambda", region_name=deployment.region)
    for logical_id in deployment.of_type("AWS::Lambda::Function"):
        env = deployment.resolver.properties(logical_id).get("Environment", {}).get("Variables", {})
        client.update_function_configuration(
            FunctionName=deployment.physical(logical_id),
            Environment={"Variables": {k: str(v) for k, v in env.items()}},
        )
    deployment.applied.append("functions: environment resolved from the template")


def render_definition(deployment: Deployment, logical_id: str) -> str:
    """The state machine's `Definition` object with `${Name}` replaced by its DefinitionSubstitutions."""
    raw = deployment.template["Resources"][logical_id]["Properties"]
    resolver = deployment.resolver
    if "DefinitionString" in raw:
        return resolver.resolve(raw["DefinitionString"])
    text = json.dumps(raw["Definition"])
    # only the declared names are substituted, as Step Functions does; any other `${…}` stays as written
    for name, value in raw.get("DefinitionSubstitutions", {}).items():
        resolved = resolver.resolve(value)
        text = text.replace(
            "${" + name + "}", resolved if isinstance(resolved, str) else json.dumps(resolved)
        )
    return text


def render_state_machine(deployment: Deployment, session: Any) -> None:
    client = session.client("stepfunctions", region_name=deployment.region)
    for logical_id in deployment.of_type("AWS::StepFunctions::StateMachine"):
        client.update_state_machine(
            stateMachineArn=deployment.physical(logical_id),
            definition=render_definition(deployment, logical_id),
        )
        deployment.applied.append(f"{logical_id}: Definition rendered with its DefinitionSubstitutions")
