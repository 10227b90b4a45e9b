"""Turn a resource's resolved CloudFormation properties into API call parameters, using botocore's models.

Most CloudFormation property names are the API's parameter names. Instead of retyping which ones, the
input shape of the operation (from botocore's service model) says which properties the call accepts; the
few shapes that differ (S3 lifecycle rules, tags) are converted here, in one place.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _input_members(service: str, operation: str) -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def api_params(service: str, operation: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The properties the operation's input shape has (same name), plus `extra` (which wins)."""
    members = _input_members(service, operation)
    params = {k: v for k, v in properties.items() if k in members}
    params.update(extra)
    return {k: _api_scalar(v) for k, v in params.items()}


def _api_scalar(value: Any) -> Any:
    """CloudFormation accepts "true"/"5" for booleans and integers; the API (and botocore) do not."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def lifecycle_rules(cfn_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AWS::S3::Bucket LifecycleConfiguration.Rules → PutBucketLifecycleConfiguration Rules."""
    rules = []
    for rule in cfn_rules:
        api: dict[str, Any] = {
            "ID": rule.get("Id", f"rule-{len(rules)}"),
            "Status": rule.get("Status", "Enabled"),
        }
        api["Filter"] = {"Prefix": rule.get("Prefix", "")}
        if "ExpirationInDays" in rule:
            api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if "NoncurrentVersionExpiration" in rule:
            api["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
            }
        elif "NoncurrentVersionExpirationInDays" in rule:
            api["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])
            }
        if "AbortIncompleteMultipartUpload" in rule:
            days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
        for cfn_key, api_key in (("Transitions", "Transitions"), ("NoncurrentVersionTransitions", None)):
            if cfn_key in rule and api_key:
                api[api_key] = [
                    {"Days": int(t.get("TransitionInDays", 0)), "StorageClass": t["StorageClass"]}
                    for t in rule[cfn_key]
                ]
        rules.append(api)
    return rules


def object_lock_configuration(cfn: dict[str, Any]) -> dict[str, Any]:
    """AWS::S3::Bucket ObjectLockConfiguration → PutObjectLockConfiguration (integers, not strings)."""
    out: dict[str, Any] = {"ObjectLockEnabled": cfn.get("ObjectLockEnabled", "Enabled")}
    retention = cfn.get("Rule", {}).get("DefaultRetention")
    if retention:
        out["Rule"] = {
            "DefaultRetention": {k: (int(v) if k in ("Days", "Years") else v) for k, v in retention.items()}
        }
    return out
