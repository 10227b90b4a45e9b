"""From a boto3 call to the IAM actions it needs, using botocore's own service models.

The operation comes from the model: the snake_case method is matched against `xform_name(operation)` for
every operation of the service. The IAM prefix is the model's `signingName` (else `endpointPrefix`), with
the few services whose IAM prefix differs from both listed in `PREFIX_OVERRIDES`. A few calls need more
than their own action (`IMPLIED`): that list is policy knowledge from the AWS service docs, not a mapping.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# IAM prefix where it is neither signingName nor endpointPrefix (checked against the Service Authorization
# Reference): CloudWatch's endpoint and signing name are "monitoring"; SES v1 signs as "ses" with
# endpointPrefix "email"; rds-data signs as "rds-data" (kept explicit because it is easy to get wrong).
PREFIX_OVERRIDES = {"cloudwatch": "cloudwatch", "ses": "ses", "sesv2": "ses", "rds-data": "rds-data"}

# boto3 methods injected on clients (s3transfer, presigning), which the service model does not list.
INJECTED = {
    ("s3", "upload_file"): ("PutObject",),
    ("s3", "upload_fileobj"): ("PutObject",),
    ("s3", "download_file"): ("GetObject",),
    ("s3", "download_fileobj"): ("GetObject",),
    ("s3", "copy"): ("GetObject", "PutObject"),
}
NOT_AN_API_CALL = {"close", "can_paginate", "get_waiter", "generate_presigned_post"}
S3_WRITES = {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart"}
S3_READS = {"GetObject", "CopyObject", "HeadObject", "SelectObjectContent"}
DATA_API = "rds-data"


@dataclass(frozen=True)
class Need:
    """One IAM action the code needs, why, and where."""

    action: str
    location: str
    reason: str  # "call s3.put_object" or "implied by s3:PutObject with SSE-KMS"
    target: str = (
        ""  # logical id the action must be allowed on, where the template says which (a function ...)
    )


class UnknownCall(Exception):
    """A method that is neither an operation of the model nor a known boto3 helper."""


@cache
def _service(service: str) -> tuple[str, dict[str, str]]:
    """(IAM prefix, snake_case method -> operation name) for a boto3 service name."""
    from botocore import xform_name  # botocore/__init__ only: its loader module pulls in the HTTP stack

    model = _model(_package_data("botocore"), service, "service-2")
    metadata = model["metadata"]
    prefix = PREFIX_OVERRIDES.get(service) or metadata.get("signingName") or metadata["endpointPrefix"]
    return prefix, {xform_name(op): op for op in model["operations"]}


@cache
def _resource_actions(service: str) -> dict[tuple[str, str], str]:
    """(resource type, snake method) -> operation, from boto3's resource model (resources-1.json)."""
    from botocore import xform_name

    data = _model(_package_data("boto3"), service, "resources-1")
    found: dict[tuple[str, str], str] = {}
    kinds = {"ServiceResource": data.get("service", {}), **data.get("resources", {})}
    for kind, body in kinds.items():
        for name, action in (body.get("actions") or {}).items():
            found[(kind, xform_name(name))] = action["request"]["operation"]
        if "load" in body:
            found[(kind, "load")] = body["load"]["request"]["operation"]
    return found


@cache
def _package_data(package: str) -> Path:
    """The `data/` directory of an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        raise UnknownCall(f"{package} is not installed")
    return Path(spec.origin).parent / "data"


def _model(data_dir: Path, service: str, kind: str) -> dict[str, Any]:
    """The newest API version's model file, as botocore's loader picks it (plain or gzipped JSON)."""
    versions = sorted(p for p in (data_dir / service).glob("*") if p.is_dir())
    for version in reversed(versions or [data_dir / service]):
        for candidate in (version / f"{kind}.json", version / f"{kind}.json.gz"):
            if candidate.is_file():
                raw = candidate.read_bytes()
                return json.loads(gzip.decompress(raw) if candidate.suffix == ".gz" else raw)
    raise UnknownCall(f"no {kind} model for {service!r} in {data_dir}")


def known_service(service: str) -> bool:
    try:
        _service(service)
    except Exception:  # noqa: BLE001 - botocore raises UnknownServiceError and friends
        return False
    return True


def operations(service: str, method: str, resource: str = "") -> tuple[str, ...]:
    """The model's operation names behind one boto3 call (raises UnknownCall when there is none)."""
    if (service, method) in INJECTED:
        return INJECTED[(service, method)]
    if method == "get_paginator":
        raise UnknownCall("get_paginator without a literal operation")
    _, ops = _service(service)
    if resource:
        op = _resource_actions(service).get((resource, method))
        if op:
            return (op,)
        if method[:1].isupper():  # Bucket(...), Object(...): makes a resource, calls nothing
            return ()
        raise UnknownCall(f"{service} resource {resource}.{method}")
    if method in ops:
        return (ops[method],)
    if method in NOT_AN_API_CALL:
        return ()
    raise UnknownCall(f"{service}.{method} is not an operation of botocore's {service} model")


def iam_prefix(service: str) -> str:
    return _service(service)[0]
