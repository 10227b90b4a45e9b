"""tapgate.sim.harness: the status `SimStack.wait` polls from moto's store is the one DescribeExecution
answers (running, succeeded, failed), and wait returns the described execution once it has ended."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws

from tapgate.sim.harness import MOTO_CONFIG, SimStack, _execution_status

ROLE = "arn:aws:iam::123456789012:role/sfn"
WAIT_THEN_PASS = {
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Wait", "Seconds": 1, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}},
}
FAILS = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Sim.Boom", "Cause": "test"}}}


def _start(sfn, name: str, definition: dict) -> str:
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    return sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]


@pytest.mark.parametrize(("definition", "final"), [(WAIT_THEN_PASS, "SUCCEEDED"), (FAILS, "FAILED")])
def test_the_polled_status_is_describe_executions(aws_credentials, definition, final):
    with mock_aws(config=MOTO_CONFIG):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = _start(sfn, f"sm-{final.lower()}", definition)
        if definition is WAIT_THEN_PASS:  # in its one-second Wait
            assert _execution_status(arn) == sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        deadline = time.monotonic() + 30
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _execution_status(arn) == sfn.describe_execution(executionArn=arn)["status"] == final


def test_wait_returns_the_described_execution_once_ended(aws_credentials, tmp_path):
    with mock_aws(config=MOTO_CONFIG):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = _start(sfn, "sm-wait", WAIT_THEN_PASS)
        stack = SimStack.__new__(SimStack)  # only wait(): no PostgreSQL, no deploy
        stack.session = boto3.Session(region_name="us-east-1")
        described = stack.wait(arn, timeout_s=30)
    assert described["status"] == "SUCCEEDED" and described["executionArn"] == arn
