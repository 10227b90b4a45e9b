"""evidence.py's reads of moto's stores, on plain moto (no harness):

- `_versions` reads the versions from moto's S3 store; it must count exactly what ListObjectVersions lists
  through the API (`listed_versions`, every page): versions per key under each prefix of the business
  date, delete markers not counted, other dates and prefixes left out, across more than one page;
- `ses_report_ids` ties each message SES accepted to the report its `X-TapStack-Report-Id` header names
  (None without the header), in the order sent, reading the header block only.
"""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from tapgate.sim.evidence import _versions, listed_versions, ses_report_ids

REGION = "eu-west-1"
DATE = "2026-11-26"
BUCKETS = {"ReportBucket": "report-bucket", "WorkBucket": "work-bucket"}


@pytest.fixture
def stack(aws_credentials):
    with mock_aws():
        account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
        yield SimpleNamespace(
            deployment=SimpleNamespace(
                resolver=SimpleNamespace(account=account), region=REGION, physical=BUCKETS.__getitem__
            ),
            client=lambda service: boto3.client(service, region_name=REGION),
        )


def _bucket_with_versions(s3) -> None:
    s3.create_bucket(Bucket="report-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="report-bucket", VersioningConfiguration={"Status": "Enabled"})
    for n in range(130):  # more than a page of moto's (100) and of the paginator
        s3.put_object(Bucket="report-bucket", Key=f"reports/UK_FCA/{DATE}/r{n:03}.csv", Body=b"x")
    for n in range(3):  # overwritten: two versions each
        s3.put_object(Bucket="report-bucket", Key=f"reports/UK_FCA/{DATE}/r{n:03}.csv", Body=b"y")
    for n in range(5):
        s3.put_object(Bucket="report-bucket", Key=f"confirmations/UK_FCA/{DATE}/r{n:03}.json", Body=b"{}")
        s3.put_object(Bucket="report-bucket", Key=f"confirmations/UK_FCA/2026-11-25/r{n:03}.json", Body=b"{}")
    s3.put_object(Bucket="report-bucket", Key=f"exports/{DATE}/summary.csv", Body=b"x")
    s3.delete_object(Bucket="report-bucket", Key=f"reports/UK_FCA/{DATE}/r129.csv")  # a delete marker
    s3.put_object(Bucket="report-bucket", Key=f"reports/EU_ESMA/{DATE}/gone.csv", Body=b"x")
    s3.delete_object(Bucket="report-bucket", Key=f"reports/EU_ESMA/{DATE}/gone.csv")


def test_versions_from_the_store_are_what_the_api_lists(stack):
    _bucket_with_versions(stack.client("s3"))
    prefixes = ("reports/", "confirmations/")
    from_store = _versions(stack, "ReportBucket", prefixes, DATE)
    assert from_store == listed_versions(stack, "ReportBucket", prefixes, DATE)
    assert len(from_store["reports/"]) == 131 and len(from_store["confirmations/"]) == 5
    assert {n for n in from_store["reports/"].values()} == {1, 2}
    assert sum(n == 2 for n in from_store["reports/"].values()) == 3
    assert from_store["reports/"][f"reports/EU_ESMA/{DATE}/gone.csv"] == 1  # its version, not the marker


def test_versions_of_one_prefix_leave_the_rest_of_the_bucket_out(stack):
    _bucket_with_versions(stack.client("s3"))
    only = _versions(stack, "ReportBucket", ("confirmations/",), DATE)
    assert only == listed_versions(stack, "ReportBucket", ("confirmations/",), DATE)
    assert sorted(only["confirmations/"]) == [f"confirmations/UK_FCA/{DATE}/r{n:03}.json" for n in range(5)]


def test_each_message_is_tied_to_the_report_its_header_names(stack):
    ses = stack.client("ses")
    ses.verify_email_identity(EmailAddress="reports@example.com")
    head = "From: reports@example.com\nTo: fca@example.com\nSubject: s\n"
    raw = head + "{header}\n\nX-TapStack-Report-Id: in-the-body-not-a-header\n"
    ids = [
        ses.send_raw_email(RawMessage={"Data": raw.format(header=header)})["MessageId"]
        for header in ("X-TapStack-Report-Id: r-1", "", "X-TapStack-Report-Id: r-2")
    ]
    assert ses_report_ids(stack) == {ids[0]: "r-1", ids[1]: None, ids[2]: "r-2"}
    assert list(ses_report_ids(stack)) == ids
