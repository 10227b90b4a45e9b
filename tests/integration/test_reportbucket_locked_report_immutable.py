"""A delivered report in the report bucket is under the Object Lock the template declares (COMPLIANCE,
applied by the harness from ReportBucket's ObjectLockConfiguration): deleting its version is refused, an
overwrite only adds a version and leaves the locked bytes as they were, and its retention runs ~10 years."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(sim_day, sim_outcome):
    bucket = sim_day.stack.deployment.physical("ReportBucket")
    _, delivery = next((r, d) for r, d in sorted(sim_outcome.evidence.deliveries.items()) if d["message_id"])
    return sim_day.stack.client("s3"), bucket, delivery["report_key"], delivery["version_id"]


def test_the_report_version_is_locked_in_compliance_mode_for_years(locked, sim_day):
    s3, bucket, key, version = locked
    head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    years = sim_day.stack.template["Resources"]["ReportBucket"]["Properties"]["ObjectLockConfiguration"][
        "Rule"
    ]["DefaultRetention"]["Years"]
    until = head["ObjectLockRetainUntilDate"]
    assert until - dt.datetime.now(dt.UTC) > dt.timedelta(days=365 * int(years) - 2)


def test_deleting_the_locked_version_is_refused(locked):
    s3, bucket, key, version = locked
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.head_object(Bucket=bucket, Key=key, VersionId=version)["VersionId"] == version


def test_an_overwrite_leaves_the_locked_bytes_unchanged(locked, sim_day):
    s3, bucket, key, version = locked
    original = s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
    key_arn = sim_day.stack.deployment.resolver.get_att("DataKey", "Arn")
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=b"tampered",
        ChecksumAlgorithm="SHA256",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn,
    )
    again = s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(original).hexdigest()
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)


def test_a_put_without_the_templates_kms_key_is_refused_by_the_bucket_policy(locked):
    s3, bucket, key, _ = locked
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key=key + ".plain", Body=b"x", ChecksumAlgorithm="SHA256")
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403")
