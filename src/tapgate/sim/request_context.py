"""Evaluate bucket policies with the request's context, which moto's own check lacks.

moto enforces a bucket policy on object calls (`FakeBucket.get_permission`), but its condition check
knows only `StringEquals` and treats every other operator as matching, with no request context at all:
the template's `Deny` when `aws:SecureTransport` is `false` would deny every call, and its `Deny PutObject`
unless `s3:x-amz-server-side-encryption` is `aws:kms` with the data key could never be checked.

Here the policy from the template is evaluated statement by statement with the request's context keys:
`aws:SecureTransport` (every SDK call is HTTPS, as in production), `s3:x-amz-server-side-encryption` and
`s3:x-amz-server-side-encryption-aws-kms-key-id` from the request headers, `aws:SourceAccount`. An explicit
Deny wins; a handler that puts without the template's key is refused, as S3 would refuse it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import json
import threading
from collections.abc import Iterator
from typing import Any

_local = threading.local()


def request_context(headers: Any, account: str) -> dict[str, str]:
    context = {"aws:SecureTransport": "true", "aws:SourceAccount": account}
    for header in (
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-acl",
    ):
        value = headers.get(header) if headers is not None else None
        if value:
            context[f"s3:{header}"] = value
    return context


def _values(value: Any) -> list[str]:
    return [
        str(v).lower() if isinstance(v, bool) else str(v)
        for v in (value if isinstance(value, list) else [value])
    ]


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    """One condition of one statement, as IAM evaluates it (the operators bucket policies use)."""
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    wanted = _values(expected)
    actual = context.get(key)
    if operator == "Null":
        return (actual is None) == (wanted[0].lower() == "true")
    if actual is None:
        # a missing key: negated operators match (the value is "not equal"), others do not
        return if_exists or operator.startswith(("StringNot", "ArnNot"))
    checks = {
        "StringEquals": lambda: actual in wanted,
        "StringNotEquals": lambda: actual not in wanted,
        "StringEqualsIgnoreCase": lambda: actual.lower() in [w.lower() for w in wanted],
        "StringLike": lambda: any(fnmatch.fnmatchcase(actual, w) for w in wanted),
        "StringNotLike": lambda: not any(fnmatch.fnmatchcase(actual, w) for w in wanted),
        "ArnEquals": lambda: actual in wanted,
        "ArnLike": lambda: any(fnmatch.fnmatchcase(actual, w) for w in wanted),
        "ArnNotLike": lambda: not any(fnmatch.fnmatchcase(actual, w) for w in wanted),
        "Bool": lambda: actual.lower() in [w.lower() for w in wanted],
    }
    check = checks.get(operator)
    return check() if check else False  # an operator we cannot evaluate never grants or denies


def _matches(patterns: Any, value: str) -> bool:
    return any(
        fnmatch.fnmatchcase(value, p) for p in (patterns if isinstance(patterns, list) else [patterns])
    )


def evaluate(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> str:
    """DENIED, PERMITTED or NEUTRAL for an anonymous-principal-agnostic object call."""
    verdict = "NEUTRAL"
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not _matches(statement.get("Action", []), action) or not _matches(
            statement.get("Resource", []), resource
        ):
            continue
        conditions = statement.get("Condition", {})
        if not all(
            condition_holds(op, key, expected, context)
            for op, pairs in conditions.items()
            for key, expected in pairs.items()
        ):
            continue
        if statement.get("Effect") == "Deny":
            return "DENIED"
        principal = statement.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"):
            verdict = "PERMITTED"
    return verdict


@functools.lru_cache(maxsize=64)
def _parsed_policy(text: str) -> dict[str, Any]:
    """A bucket policy's JSON, parsed once per text (every object call checks it; `evaluate` only reads)."""
    return json.loads(text)


@contextlib.contextmanager
def bucket_policies_with_request_context() -> Iterator[None]:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    original_permission, original_key_response = FakeBucket.get_permission, S3Response._key_response

    def key_response(response: Any, request: Any, full_url: str) -> Any:
        _local.headers = getattr(request, "headers", None)
        try:
            return original_key_response(response, request, full_url)
        finally:
            _local.headers = None

    def get_permission(bucket: Any, action: str, resource: str) -> Any:
        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        context = request_context(getattr(_local, "headers", None), bucket.account_id)
        verdict = evaluate(_parsed_policy(bucket.policy), action, resource, context)
        return getattr(PermissionResult, verdict)

    FakeBucket.get_permission, S3Response._key_response = get_permission, key_response
    try:
        yield
    finally:
        FakeBucket.get_permission, S3Response._key_response = original_permission, original_key_response
