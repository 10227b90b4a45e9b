"""tapgate.sim.dispatch: the moto/botocore dispatch caches change no answer — the same request URLs, the same
parsed timestamps (value and tzinfo), the same form-encoded bodies as urllib, S3 rule-set parameters left out
only when no rule reads them, the URL table rebuilt when a backend's url paths change, the same User-Agent and
S3 answers (virtual-host and path style), moto's subdomain answer per request, loaders shared while on."""

from __future__ import annotations

import base64
import contextlib
import random
from unittest import mock
from urllib.parse import urlencode

import boto3
import pytest
from botocore.utils import parse_timestamp
from moto import mock_aws

from tapgate.sim.dispatch import (
    _unreferenced_endpoint_parameters,
    fast_timestamp,
    fast_urlencode,
    moto_dispatch_cached,
)


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 27 Nov 2026 22:00:05 GMT",
        "Mon, 02 Jan 2006 03:04:05 GMT",
        "2026-11-27T22:00:05.123Z",
        "2026-11-27T22:00:05+01:00",
        1764280805,
        "1764280805",
    ],
)
def test_fast_timestamp_is_botocores_answer(value):
    assert repr(fast_timestamp(value)) == repr(parse_timestamp(value))


def test_an_unparseable_timestamp_still_fails():
    with pytest.raises(ValueError):
        fast_timestamp("Fri, 27 Xyz 2026 22:00:05 GMT")


def test_only_parameters_no_s3_rule_reads_are_left_out():
    unread = _unreferenced_endpoint_parameters("s3")
    assert {"Key", "Prefix", "CopySource"} <= unread
    assert not unread & {"Bucket", "Region", "UseFIPS", "UseDualStack", "Endpoint", "ForcePathStyle"}


def _urls_of_calls(cached: bool) -> list[str]:
    seen: list[str] = []
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.meta.events.register("before-send.s3", lambda request, **_: seen.append(request.url))
        with moto_dispatch_cached() if cached else contextlib.nullcontext():
            s3.create_bucket(Bucket="dispatch-test")
            s3.put_object(Bucket="dispatch-test", Key="a/b.txt", Body=b"x")
            s3.copy_object(
                Bucket="dispatch-test", Key="c.txt", CopySource={"Bucket": "dispatch-test", "Key": "a/b.txt"}
            )
            got = s3.get_object(Bucket="dispatch-test", Key="c.txt")
            assert got["Body"].read() == b"x" and got["LastModified"].tzinfo is not None
            s3.list_objects_v2(Bucket="dispatch-test", Prefix="a/")
    return seen


def test_requests_go_to_the_same_urls_with_and_without_the_caches(aws_credentials):
    assert _urls_of_calls(cached=True) == _urls_of_calls(cached=False)


def _s3_answers(cached: bool, addressing: str) -> list:
    """What a handler would see: the User-Agent each request carried and the parsed answers (request ids and
    dates left out), over virtual-host or path-style addressing (moto's subdomain question differs)."""
    from botocore.config import Config

    agents: list[str] = []
    answers: list = []
    with mock_aws(), moto_dispatch_cached() if cached else contextlib.nullcontext():
        s3 = boto3.Session().client(
            "s3", region_name="us-east-1", config=Config(s3={"addressing_style": addressing})
        )
        s3.meta.events.register(
            "before-send.s3", lambda request, **_: agents.append(request.headers["User-Agent"])
        )
        s3.create_bucket(Bucket="dispatch-answers")
        s3.put_object(Bucket="dispatch-answers", Key="x/y.txt", Body=b"body", Metadata={"k": "v"})
        got = s3.get_object(Bucket="dispatch-answers", Key="x/y.txt")
        answers.append((got["Body"].read(), got["Metadata"], got["ContentLength"], got["ETag"]))
        listed = s3.list_objects_v2(Bucket="dispatch-answers", Prefix="x/")
        answers.append([(o["Key"], o["Size"], o["ETag"]) for o in listed["Contents"]])
        answers.append([b["Name"] for b in s3.list_buckets()["Buckets"]])
        with pytest.raises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket="dispatch-answers", Key="missing")
    return [agents, answers]


@pytest.mark.parametrize("addressing", ["virtual", "path"])
def test_s3_answers_and_user_agents_are_the_same_with_and_without_the_caches(aws_credentials, addressing):
    assert _s3_answers(cached=True, addressing=addressing) == _s3_answers(cached=False, addressing=addressing)


def test_the_subdomain_answer_is_kept_per_request_only(aws_credentials):
    from moto.s3.responses import S3Response

    virtual = mock.Mock(
        environ={}, headers={"host": "bucket.s3.amazonaws.com"}, url="https://bucket.s3.amazonaws.com/k"
    )
    path = mock.Mock(
        environ={}, headers={"host": "s3.amazonaws.com"}, url="https://s3.amazonaws.com/bucket/k"
    )
    asked = (S3Response.subdomain_based_buckets(virtual), S3Response.subdomain_based_buckets(path))
    with moto_dispatch_cached():
        kept = [S3Response.subdomain_based_buckets(r) for r in (virtual, path, virtual, path)]
    assert asked == (True, False) and kept == [True, False, True, False]


def test_sessions_share_one_loader_only_while_the_caches_are_on():
    import botocore.session

    with moto_dispatch_cached():
        one, two = botocore.session.Session(), botocore.session.Session()
        assert one.get_component("data_loader") is two.get_component("data_loader")
    three, four = botocore.session.Session(), botocore.session.Session()
    assert three.get_component("data_loader") is not four.get_component("data_loader")


def test_the_url_table_is_rebuilt_when_url_paths_change(aws_credentials):
    from moto.backends import get_backend
    from moto.rdsdata import urls

    with mock_aws(), moto_dispatch_cached():
        backend = get_backend("rds-data")["123456789012"]["us-east-1"]
        first = backend.urls
        assert backend.urls is first
        urls.url_paths["{0}/SimTest$"] = urls.response.dispatch
        try:
            assert any(url.endswith("/SimTest$") for url in backend.urls)
        finally:
            del urls.url_paths["{0}/SimTest$"]
        assert not any(url.endswith("/SimTest$") for url in backend.urls)


def _random_text(rng: random.Random, size: int) -> str:
    alphabet = "ab c+/=%&\n~_.-X9*()!'é"
    return "".join(
        chr(rng.randint(1, 0x3000)) if rng.random() < 0.1 else rng.choice(alphabet) for _ in range(size)
    )


def test_fast_urlencode_is_urllibs_answer():
    rng = random.Random(7)
    for _ in range(500):
        params = {
            _random_text(rng, rng.randint(0, 10)): _random_text(rng, rng.randint(0, 60)) for _ in range(4)
        }
        assert fast_urlencode(params, doseq=True) == urlencode(params, doseq=True)
        assert fast_urlencode(list(params.items()), True) == urlencode(list(params.items()), True)
    message = {"Action": "SendRawEmail", "RawMessage.Data": base64.b64encode(rng.randbytes(30000)).decode()}
    assert fast_urlencode(message, doseq=True) == urlencode(message, doseq=True)


def test_fast_urlencode_of_bytes_pairs_is_urllibs_answer():
    """botocore's `_prepare_body` encodes the query serializer's pairs to UTF-8 bytes before urlencode."""
    rng = random.Random(11)
    for _ in range(300):
        pairs = [
            (_random_text(rng, rng.randint(0, 10)).encode(), _random_text(rng, rng.randint(0, 60)).encode())
            for _ in range(4)
        ]
        pairs.append((b"raw", rng.randbytes(rng.randint(0, 40))))  # not UTF-8 at all
        assert fast_urlencode(pairs, doseq=True) == urlencode(pairs, doseq=True)
    message = [(b"RawMessage.Data", base64.b64encode(rng.randbytes(30000)))]
    assert fast_urlencode(message, doseq=True) == urlencode(message, doseq=True)


def test_a_send_raw_email_body_is_encoded_without_urllib(aws_credentials):
    """The case the cache is for: SES's query body goes the fast way (it once fell back on bytes pairs)."""
    from urllib import parse

    with mock_aws(), moto_dispatch_cached():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="a@example.com")
        raw = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\n\r\n" + b"y" * 5000
        with mock.patch.object(parse, "urlencode", side_effect=AssertionError("urllib fallback")):
            sent = ses.send_raw_email(RawMessage={"Data": raw})
    assert sent["MessageId"]


def test_fast_urlencode_leaves_other_values_to_urllib():
    params = {"n": 1, "many": ["a b", "c"], "b": b"x y"}
    assert fast_urlencode(params, doseq=True) == urlencode(params, doseq=True)
    params = {"s": "x", "n": 2}
    assert fast_urlencode(params, doseq=True) == urlencode(params, doseq=True)


def test_moto_ids_keep_their_shape_and_their_seed():
    from moto.moto_api._internal import mock_random

    with moto_dispatch_cached():
        mock_random.seed(3)
        first = (mock_random.get_random_hex(32), mock_random.get_random_string(16, lower_case=True))
        mock_random.seed(3)
        again = (mock_random.get_random_hex(32), mock_random.get_random_string(16, lower_case=True))
    assert first == again
    assert len(first[0]) == 32 and set(first[0]) <= set("0123456789abcdef")
    assert len(first[1]) == 16 and first[1] == first[1].lower() and first[1].isalnum()


def _random_json(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 4 or roll < 0.4:
        return rng.choice([None, True, False, 0, -7, 2**70, 1.5, float("inf"), "", "x", "é€"])
    if roll < 0.7:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {f"k{rng.randint(0, 9)}": _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def test_json_deepcopy_is_deepcopys_answer():
    import copy

    from tapgate.sim.dispatch import json_deepcopy

    rng = random.Random(3)
    for _ in range(500):
        value = _random_json(rng)
        copied = json_deepcopy(value)
        assert copied == copy.deepcopy(value) and repr(copied) == repr(value)
        if isinstance(value, dict | list) and value:
            assert copied is not value
    shared = {"ids": ["a", "b"]}
    value = {"one": shared, "two": shared, "list": [shared["ids"], shared["ids"]]}
    copied = json_deepcopy(value)
    assert copied["one"] is copied["two"] and copied["list"][0] is copied["list"][1] is copied["one"]["ids"]
    assert copied["one"] is not shared
    copied["one"]["ids"].append("c")
    assert shared["ids"] == ["a", "b"]  # a copy, not a view


def test_json_deepcopy_leaves_other_values_to_deepcopy():
    import copy
    import datetime as dt
    from collections import OrderedDict

    from tapgate.sim.dispatch import json_deepcopy

    inner = [1]
    value = {
        "when": dt.datetime(2026, 11, 27),
        "pair": (inner, inner),
        "ordered": OrderedDict(a=[2]),
        "raw": b"x",
    }
    copied = json_deepcopy(value)
    assert copied == copy.deepcopy(value)
    assert type(copied["ordered"]) is OrderedDict and copied["ordered"]["a"] is not value["ordered"]["a"]
    assert copied["pair"][0] is copied["pair"][1] and copied["pair"][0] is not inner


def test_the_interpreter_copies_through_json_deepcopy_only_while_on():
    from moto.stepfunctions.parser.asl.eval import states

    from tapgate.sim.dispatch import json_deepcopy

    with moto_dispatch_cached():
        assert states.copy.deepcopy is json_deepcopy
    import copy

    assert states.copy is copy


def _corpus_calls() -> None:
    """Calls of every protocol the simulation makes (S3 rest-xml with metadata and lock headers and odd keys,
    SES v2 rest-json, SES v1 query, Step Functions json, Lambda rest-json), made under mock_aws."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="corpus-bucket", ObjectLockEnabledForBucket=True)
    for key in ("plain.txt", "dir/sub dir/ü+x%2F.html", "/leading-slash", "a?b#c&d=e"):
        s3.put_object(
            Bucket="corpus-bucket",
            Key=key,
            Body=b"<html>report</html>",
            Metadata={"report_id": "r-1", "Jurisdiction": "US"},
            ContentType="text/html; charset=utf-8",
        )
        s3.get_object(Bucket="corpus-bucket", Key=key)
    s3.put_object(Bucket="corpus-bucket", Key="empty", Body=b"")
    s3.list_objects_v2(Bucket="corpus-bucket", Prefix="dir/", MaxKeys=2)
    s3.list_object_versions(Bucket="corpus-bucket")
    ses = boto3.client("sesv2", region_name="us-east-1")
    ses.create_email_identity(EmailIdentity="reports@example.com")
    raw = b"From: reports@example.com\r\nTo: r@example.org\r\nSubject: s\r\n\r\nbody"
    ses.send_email(FromEmailAddress="reports@example.com", Content={"Raw": {"Data": raw}})
    boto3.client("ses", region_name="us-east-1").list_identities()
    boto3.client("stepfunctions", region_name="us-east-1").list_state_machines()
    boto3.client("lambda", region_name="us-east-1").list_functions()


def test_a_request_built_directly_has_the_environ_werkzeug_builds(aws_credentials):
    from moto.core.request import Request

    from tapgate.sim.dispatch import _request_built_directly

    original = Request.from_primitives
    direct = _request_built_directly(original).__get__(None, Request)
    seen = []

    def both(method, url, headers, body=None):
        start = body.tell() if hasattr(body, "tell") else None
        theirs = original(method, url, headers, body)
        if start is not None:  # a stream: read again from where it was
            body.seek(start)
        ours = direct(method, url, headers, body)
        seen.append(url)
        environs = []
        for request in (ours, theirs):  # the body's bytes, not its stream; not the request's own back-link
            environ = {k: v for k, v in request.environ.items() if k != "werkzeug.request"}
            environ["wsgi.input"] = environ["wsgi.input"].getvalue()
            environs.append(environ)
        assert environs[0] == environs[1], url
        assert list(ours.headers) == list(theirs.headers), url
        return theirs

    with mock_aws(), mock.patch.object(Request, "from_primitives", staticmethod(both)):
        _corpus_calls()
    assert (
        len(seen) >= 17 and any("%C3%BC" in url for url in seen) and any("//leading" in url for url in seen)
    )


def test_moto_enriches_only_xml_bodies_and_to_the_same_headers():
    from moto.core import responses

    from tapgate.sim.dispatch import _enrich_only_xml

    enrich = responses.BaseResponse._enrich_response
    ours = _enrich_only_xml(enrich).__func__
    bodies = ["<R><RequestId>x</RequestId></R>", '{"a": "<RequestId>"}', '{"a": 1}', "", b"\x00bytes", None]
    for body in bodies:
        with mock.patch.object(responses, "gen_amzn_requestid_long", lambda headers: "fixed-id"):
            theirs_headers, theirs_body = enrich({"status": 200}, body)
            ours_headers, ours_body = ours({"status": 200}, body)
        assert (ours_headers, ours_body) == (theirs_headers, theirs_body), body


PATHS = ("$.batch.items", "$.run", "$.batch.items[1].id")


def test_the_interpreter_keeps_one_lambda_client_and_parsed_paths_only_while_on(aws_credentials):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import json_path

    data = {"batch": {"items": [{"id": 1}, {"id": 2}]}, "run": "r"}
    with mock_aws():
        with moto_dispatch_cached():
            first = lambda_eval_utils.boto_client_for("us-east-1", "lambda")
            assert lambda_eval_utils.boto_client_for("us-east-1", "lambda") is first
            assert lambda_eval_utils.boto_client_for("eu-west-1", "lambda") is not first
            # moto builds it without the state's credentials: the same client serves every state
            assert lambda_eval_utils.boto_client_for("us-east-1", "lambda", {"role_arn": "r"}) is first
            kept = [json_path.extract_json(p, data) for p in PATHS]
        assert lambda_eval_utils.boto_client_for("us-east-1", "lambda") is not first
        fresh = [json_path.extract_json(p, data) for p in PATHS]
    assert kept == fresh == [[{"id": 1}, {"id": 2}], "r", [2]]


def test_backends_whose_reset_only_rebuilds_them_are_dropped_before_moto_resets(aws_credentials):
    from moto.ec2.models import ec2_backends
    from moto.s3.models import s3_backends

    with mock_aws():
        with moto_dispatch_cached():
            boto3.client("ec2", region_name="eu-west-1").create_vpc(CidrBlock="10.9.0.0/16")
            boto3.client("s3", region_name="eu-west-1").create_bucket(
                Bucket="kept-until-reset", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
            assert len(ec2_backends) == 1 and len(s3_backends) == 1
        # on the way out: EC2's base reset (a rebuild, then dropped) is skipped; S3 closes its files itself
        assert len(ec2_backends) == 0
        assert len(s3_backends) == 1
    assert len(s3_backends) == 0  # mock_aws's own reset still ran
    with mock_aws():  # and the next mock starts empty
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])["Vpcs"] == []


def _mime_messages() -> list[str]:
    from email.header import Header
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    report = MIMEMultipart()
    report["From"] = "Reports <reports@example.com>"
    report["To"] = 'a@example.com, "B, Regulator" <b@example.org>'
    report["Cc"] = "c@example.net"
    report["Subject"] = str(Header("Rapport de conformité", "utf-8"))
    report.attach(MIMEText("body\nTo: not-a-header@example.com\n"))
    report.attach(MIMEApplication(b"%PDF-1.7 " + bytes(range(256)) * 40, Name="r.pdf"))
    plain = MIMEText("no recipients in the headers")
    plain["From"] = "reports@example.com"
    folded = (
        "From: reports@example.com\r\nTo: a@example.com,\r\n b@example.com\r\nBcc: z@example.com\r\n\r\nhi"
    )
    return [report.as_string(), plain.as_string(), folded]


@pytest.mark.parametrize("raw", _mime_messages())
def test_moto_ses_reads_the_same_headers_from_a_headers_only_parse(raw):
    import email

    from tapgate.sim.dispatch import _HeadersOnlyEmail

    whole, headers = email.message_from_string(raw), _HeadersOnlyEmail().message_from_string(raw)
    for name in ("from", "TO", "CC", "BCC", "subject"):
        assert (name in whole) == (name in headers)
        assert whole.get_all(name) == headers.get_all(name)


def test_moto_ses_records_the_same_sends_with_and_without_the_caches(aws_credentials):
    from moto.ses.models import ses_backends

    messages = _mime_messages()  # once: each build draws new MIME boundaries

    def sends() -> list[tuple]:
        with mock_aws():
            ses = boto3.client("ses", region_name="us-east-1")
            ses.verify_email_identity(EmailAddress="reports@example.com")
            for raw in messages:
                ses.send_raw_email(RawMessage={"Data": raw})
            unverified = messages[2].replace("reports@example.com", "x@example.com")
            with pytest.raises(ses.exceptions.MessageRejected):  # From not verified: still refused
                ses.send_raw_email(RawMessage={"Data": unverified})
            sent = ses_backends["123456789012"]["us-east-1"].sent_messages
            return [(m.source, list(m.destinations), m.raw_data) for m in sent]

    plain = sends()
    with moto_dispatch_cached():
        cached = sends()
    assert cached == plain
    assert [len(d) for _, d, _ in plain] == [3, 0, 3]
