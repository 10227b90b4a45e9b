"""The AST analysis on the ways code reaches boto3: modules, sessions, resources, properties, paginators."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tapgate.crosscheck.codescan import CodeAnalyzer


def _facts(tmp_path: Path, files: dict[str, str], handler: str = "h"):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return CodeAnalyzer(tmp_path).facts(handler, "handler")


def _calls(facts) -> set[tuple[str, str]]:
    return {(c.service, c.method) for c in facts.calls}


def test_module_level_client_session_and_paginator(tmp_path):
    facts = _facts(
        tmp_path,
        {
            "h.py": """
        import boto3
        from boto3.session import Session
        S3 = boto3.client("s3")

        def handler(event, context):
            S3.head_object(Bucket="b", Key="k")
            Session().client("sqs").send_message(QueueUrl="q", MessageBody="m")
            for page in S3.get_paginator("list_objects_v2").paginate(Bucket="b"):
                pass
    """
        },
    )
    assert _calls(facts) == {("s3", "head_object"), ("sqs", "send_message"), ("s3", "list_objects_v2")}


def test_cached_property_client_and_resource_objects(tmp_path):
    facts = _facts(
        tmp_path,
        {
            "h.py": """
        import functools
        import boto3

        class Store:
            @functools.cached_property
            def kms(self):
                return boto3.client("kms")

            def seal(self):
                return self.kms.encrypt(KeyId="k", Plaintext=b"x")

        def handler(event, context):
            Store().seal()
            boto3.resource("s3").Object("b", "k").put(Body=b"x")
    """
        },
    )
    assert _calls(facts) == {("kms", "encrypt"), ("s3", "put")}
    assert {c.resource for c in facts.calls if c.service == "s3"} == {"Object"}


def test_only_reachable_helpers_count(tmp_path):
    facts = _facts(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/aws.py": """
            import boto3

            def used():
                boto3.client("sns").publish(TopicArn="t", Message="m")

            def unused():
                boto3.client("sqs").purge_queue(QueueUrl="q")
        """,
            "h.py": """
            from pkg import aws

            def handler(event, context):
                aws.used()
        """,
        },
    )
    assert _calls(facts) == {("sns", "publish")}


def test_dynamic_names_are_reported_unknown(tmp_path):
    facts = _facts(
        tmp_path,
        {
            "h.py": """
        import os
        import boto3

        def handler(event, context):
            boto3.client(event["service"]).anything()
            c = boto3.client("s3")
            getattr(c, event["op"])()
            os.environ.get(event["name"])
    """
        },
    )
    assert facts.calls == set()
    assert sorted(u.what for u in facts.unknowns) == [
        "boto3.client() service name computed at run time",
        "environment variable name is not a literal",
        "s3 operation name computed at run time (getattr)",
    ]


def test_env_reads_in_every_form(tmp_path):
    facts = _facts(
        tmp_path,
        {
            "h.py": """
        import os
        from os import environ, getenv

        def handler(event, context):
            return os.environ["A"], os.environ.get("B", "x"), os.getenv("C"), environ["D"], getenv("E")
    """
        },
    )
    assert {e.name for e in facts.env_reads} == {"A", "B", "C", "D", "E"}


def test_keywords_through_a_kwargs_parameter_reach_the_call(tmp_path):
    facts = _facts(
        tmp_path,
        {
            "h.py": """
        import boto3

        def put(key, **extra):
            return boto3.client("s3").put_object(Bucket="b", Key=key, **extra)

        def handler(event, context):
            put("k", ObjectLockMode="COMPLIANCE")
    """
        },
    )
    (call,) = facts.calls
    assert ("ObjectLockMode", None) in call.kwargs


def test_an_imported_module_that_does_not_parse_is_unknown(tmp_path):
    facts = _facts(
        tmp_path,
        {
            "broken.py": "def oops(:\n",
            "h.py": """
        import broken

        def handler(event, context):
            broken.oops()
    """,
        },
    )
    (unknown,) = facts.unknowns
    assert unknown.location.endswith("/broken.py:1")  # shown relative to the code directory's parent
    assert unknown.what == "cannot parse: invalid syntax: its calls are not analysed"
