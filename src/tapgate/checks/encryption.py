"""TAP_ENC_BUCKET_TLS_POLICY: every S3 bucket has a bucket policy that denies requests without TLS.

Guard's S3_BUCKET_POLICY_DENY_INSECURE_TRANSPORT judges each policy it finds; a bucket with no policy at
all escapes it. This joins buckets to their AWS::S3::BucketPolicy (Bucket: Ref) across the template.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tapgate.checks.base import Check, Verdict, resources_of
from tapgate.checks.refs import single_reference
from tapgate.model import Severity, Status


def denies_insecure_transport(policy_document: Any) -> bool:
    statements = (policy_document or {}).get("Statement") if isinstance(policy_document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements or []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        secure = ((statement.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
        if secure in (False, "false"):
            return True
    return False


class BucketTlsPolicy(Check):
    rule = "TAP_ENC_BUCKET_TLS_POLICY"
    title = "Every bucket's policy denies requests without TLS"
    severity = Severity.HIGH
    resource_types = ("AWS::S3::Bucket",)
    fix = (
        "Add an AWS::S3::BucketPolicy for the bucket with {Effect: Deny, Principal: '*', Action: 's3:*', "
        "Resource: [bucket, bucket/*], Condition: {Bool: {aws:SecureTransport: 'false'}}}."
    )

    def verdicts(self, data: dict[str, Any]) -> Iterator[Verdict]:
        policies: dict[str, list[Any]] = {}
        for _, policy in resources_of(data, ("AWS::S3::BucketPolicy",)):
            props = policy.get("Properties") or {}
            bucket = single_reference(props.get("Bucket"))
            if bucket:
                policies.setdefault(bucket, []).append(props.get("PolicyDocument"))
        for logical_id, _ in resources_of(data, self.resource_types):
            documents = policies.get(logical_id, [])
            if any(denies_insecure_transport(doc) for doc in documents):
                yield Verdict(
                    logical_id, Status.PASS, f"{logical_id}'s bucket policy denies non-TLS requests."
                )
            elif documents:
                yield Verdict(
                    logical_id, Status.FAIL, f"{logical_id}'s bucket policy does not deny non-TLS requests."
                )
            else:
                yield Verdict(
                    logical_id, Status.FAIL, f"{logical_id} has no bucket policy denying non-TLS requests."
                )
