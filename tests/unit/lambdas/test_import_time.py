"""The handlers run unchanged inside the simulation: importing them makes no AWS call, creates no client and
needs no environment variable; clients appear on first use and can be reset."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[3] / "lambdas"
HANDLERS = ["plan", "generate", "validate", "deliver", "confirm", "monthly_summary", "db_init"]


def test_importing_every_handler_needs_no_aws_and_no_env():
    probe = (
        "import sys, botocore.client\n"
        f"sys.path.insert(0, {str(LAMBDAS)!r})\n"
        "made = []\n"
        "original = botocore.client.ClientCreator.create_client\n"
        "def spy(self, service_name, *args, **kwargs):\n"
        "    made.append(service_name)\n"
        "    return original(self, service_name, *args, **kwargs)\n"
        "botocore.client.ClientCreator.create_client = spy\n"
        f"for name in {HANDLERS!r}:\n"
        "    __import__(name)\n"
        # The X-Ray SDK (under Powertools' Tracer) builds its sampler's client object for the local daemon
        # when imported; it makes no call unless tracing is on. Our own code must build none.
        "assert [m for m in made if m != 'xray'] == [], made\n"
        "print('ok')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "POWERTOOLS_TRACE_DISABLED": "true"}  # no AWS_*, no DB_*, no buckets
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_every_handler_is_where_the_contract_says():
    for name in HANDLERS:
        assert callable(importlib.import_module(name).lambda_handler)
    assert callable(importlib.import_module("confirm").ses_events_handler)


def test_clients_are_created_lazily_and_reset(aws_credentials):
    from tapcommon import aws

    aws.reset_clients()
    assert aws._clients == {}
    first = aws.client("s3")
    assert aws.client("s3") is first
    aws.reset_clients()
    assert aws.client("s3") is not first
