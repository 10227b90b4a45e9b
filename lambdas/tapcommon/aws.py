"""boto3 clients, created on first use (never at import), so tests and the simulation can patch AWS first."""

from __future__ import annotations

import base64
import threading
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tapcommon.config import setting
from tapcommon.errors import PermanentError, TransientError

_clients: dict[str, Any] = {}
_lock = threading.Lock()
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)
_TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestTimeout",
    "ServiceUnavailable",
    "ServiceUnavailableError",
    "InternalError",
    "InternalFailure",
    "SlowDown",
    "RequestLimitExceeded",
    "StatementTimeoutException",
    "DatabaseResumingException",
    "DatabaseNotFoundException",
    "DatabaseUnavailableException",
    "HttpEndpointNotEnabledException",
}


def client(service: str) -> Any:
    """The shared client for `service`, created the first time it is asked for."""
    with _lock:
        if service not in _clients:
            import boto3  # imported lazily too: cold starts of functions that never call AWS stay short

            config = _CONFIG.merge(Config(signature_version="s3v4")) if service == "s3" else _CONFIG
            _clients[service] = boto3.client(service, config=config)  # SigV4: presigned links up to 7 days
        return _clients[service]


def reset_clients() -> None:
    """Forget the clients (tests and the simulation call this when they switch mocks or regions)."""
    with _lock:
        _clients.clear()


def classify(err: Exception, what: str) -> Exception:
    """Turn a boto error into TransientError or PermanentError, for `raise classify(err, ...) from err`."""
    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        message = err.response.get("Error", {}).get("Message", str(err))
        if (
            code in _TRANSIENT_CODES
            or err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
        ):
            return TransientError(code or "AWS_ERROR", f"{what}: {message}")
        return PermanentError(code or "AWS_ERROR", f"{what}: {message}")
    if isinstance(err, BotoCoreError):
        return TransientError("AWS_CONNECTION", f"{what}: {err}")
    return err


def put_object(
    bucket: str, key: str, body: bytes, content_type: str, sha256: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Every put is SSE-KMS with the data key (docs/contract.md); returns S3's answer (VersionId, ETag).

    `sha256` (hex) is the SHA-256 the caller already has of `body`: sent as the object's checksum, S3
    refuses the put (BadDigest) unless the bytes it stores have that digest, and keeps it with the object
    (GetObjectAttributes, HeadObject with ChecksumMode). It is also the integrity header an Object Lock
    bucket with default retention requires (`x-amz-sdk-checksum-algorithm`), in place of the Content-MD5
    botocore would otherwise compute over the body.
    """
    if sha256 is not None:
        extra |= {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": sha256_base64(sha256)}
    try:
        return client("s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=setting("KMS_KEY_ARN"),
            **extra,
        )
    except (ClientError, BotoCoreError) as err:
        raise classify(err, f"put s3://{bucket}/{key}") from err


def sha256_base64(hexdigest: str) -> str:
    """S3's form of a SHA-256 checksum (base64 of the digest) from its hex form."""
    return base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii")


def copy_object(source_bucket: str, source_key: str, version_id: str | None, bucket: str, key: str) -> dict:
    """Server-side copy, re-encrypted with the data key, with a checksum (Object Lock needs one)."""
    source = {"Bucket": source_bucket, "Key": source_key} | ({"VersionId": version_id} if version_id else {})
    try:
        return client("s3").copy_object(
            Bucket=bucket,
            Key=key,
            CopySource=source,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=setting("KMS_KEY_ARN"),
            ChecksumAlgorithm="SHA256",
        )
    except (ClientError, BotoCoreError) as err:
        raise classify(err, f"copy to s3://{bucket}/{key}") from err


def get_object(bucket: str, key: str, version_id: str | None = None) -> bytes:
    args = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
    try:
        return client("s3").get_object(**args)["Body"].read()
    except (ClientError, BotoCoreError) as err:
        raise classify(err, f"get s3://{bucket}/{key}") from err
