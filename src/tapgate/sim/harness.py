"""The simulated platform: a template deployed into moto, its real handlers, a real PostgreSQL.

`SimStack` is a context manager usable from tests and from `tapgate simulate`:

    with SimStack(template_path, lambdas_dir, parameters) as stack:
        arn = stack.start_scheduled(time="2026-11-27T06:00:00Z")
        stack.wait(arn)

Inside it: a PostgreSQL server (`tapgate.sim.postgres`) behind moto's `rds-data` routes
(`tapgate.sim.dataapi`), moto with the executing state machine backend and no Docker, the handlers run
in-process (`runtime`), Retry/Wait compressed and recorded (`clock`), faults injected on handler calls
(`faults`), the stack created from the template (`deploy`, `dropped`, `custom_resource`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tapgate.sim.clock import Clock
from tapgate.sim.faults import FaultPlan, expire_abandoned_transactions, injecting
from tapgate.sim.request_context import bucket_policies_with_request_context
from tapgate.sim.runtime import LambdaRuntime

REGION = "us-east-1"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
ARTIFACT_BUCKET = "tapstack-artifacts-sim"
ARTIFACT_KEY = "lambdas/lambdas.zip"
EXECUTION_TIMEOUT_S = 1800
SWITCH_INTERVAL_S = 0.0005  # with handler workers (see `_handler_pool`)


def default_workers() -> int:
    """Handler worker processes by default: on two or more cores, two more than the cores (at most 4), so
    that while some compute, others have calls waiting for this process, which answers them all and is the
    busier side; on one core none (the handlers run in this process). 2,000 reports on 2 cores: 3 workers
    56-62 s, 4 workers 52-58 s (docs/benchmarks.md)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores + 2, 4) if cores >= 2 else 0


class SimulationError(RuntimeError):
    """The simulated platform could not be set up or did not finish."""


def template_database(template: dict[str, Any]) -> str:
    """The DB cluster's DatabaseName as the template declares it (the Data API's `database`)."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::RDS::DBCluster":
            name = resource.get("Properties", {}).get("DatabaseName")
            if isinstance(name, str):
                return name
    return "postgres"


def _execution_status(execution_arn: str) -> str:
    """The execution's status in moto's Step Functions backend (the one its DescribeExecution reads)."""
    from moto.stepfunctions.responses import get_backend

    _, _, _, region, account, *_ = execution_arn.split(":")
    status = get_backend(account, region).describe_execution(execution_arn).status
    return str(getattr(status, "value", status))


def _import_for_deploy() -> None:
    """What the deploy imports first (moto's model map of every CloudFormation type, the executing state
    machine backend): imported here so that it overlaps PostgreSQL's start."""
    from moto.cloudformation.parsing import get_model_map
    from moto.stepfunctions.parser import models  # noqa: F401 - the import is the point

    get_model_map()


class DeployClients:
    """The session's clients for the deploy, one per service and region. The deploy asks for a client per
    thing it applies (an alarm, a policy …: ~60), and creating a botocore client costs ~25 ms; these
    clients are the deploy's own (nothing registers handlers on them), so sharing one per service changes
    no call."""

    def __init__(self, session: Any):
        self._session = session
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region_name: str | None = None) -> Any:
        key = (service, region_name)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=region_name)
        return self._clients[key]


class SimStack:
    def __init__(
        self,
        template_path: str | Path,
        lambdas_dir: str | Path,
        parameters: dict[str, str] | None = None,
        faults: FaultPlan | None = None,
        stack_name: str = "tapstack-sim",
        workers: int | None = None,
    ):
        self.template_path = Path(template_path)
        self.template = json.loads(self.template_path.read_text(encoding="utf-8"))
        self.lambdas_dir = Path(lambdas_dir)
        self.parameters = dict(parameters or {})
        self.faults = faults or FaultPlan()
        self.stack_name = stack_name
        # handler worker processes (`workers`): None = `default_workers()`, 0 = the handlers run in this
        # process, one at a time
        self.workers = default_workers() if workers is None else max(0, int(workers))
        self.pool: Any = None
        self.runtime = LambdaRuntime(self.lambdas_dir, REGION)
        self.clock = Clock()
        self.stage_s: dict[str, float] = {}  # setup stage -> seconds
        self.deployment: Any = None
        self.postgres: Any = None
        self.bridge: Any = None
        self.session: Any = None
        self._exit = contextlib.ExitStack()

    # lifecycle --------------------------------------------------------------------------------------
    _active: SimStack | None = None  # moto's backends are process-wide: one simulated stack at a time

    def __enter__(self) -> SimStack:
        if SimStack._active is not None:
            raise SimulationError("another simulated stack is running in this process (moto is process-wide)")
        SimStack._active = self
        try:
            self._start()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        try:
            self._exit.close()
        finally:
            SimStack._active = None

    def _start(self) -> None:
        import boto3
        from moto import mock_aws

        from tapgate.sim.dataapi import data_api_bridge
        from tapgate.sim.dispatch import moto_dispatch_cached

        # moto warns on every Map that ToleratedFailurePercentage has no effect, Powertools on every batch
        # without metrics: noise for a simulation's user, so both are silenced while it runs
        logging.getLogger("moto.stepfunctions").setLevel(logging.ERROR)
        self._exit.enter_context(warnings.catch_warnings())
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        if self.workers:  # they start now and import botocore while PostgreSQL starts and the stack deploys
            self.pool = self._exit.enter_context(self._handler_pool())
        with self._stage("postgres"):
            self.postgres = self._exit.enter_context(self._postgres_while_importing())
        self._exit.enter_context(mock_aws(config=MOTO_CONFIG))
        self._exit.enter_context(bucket_policies_with_request_context())
        self.bridge = self._exit.enter_context(data_api_bridge(self.postgres.dsn))
        # the Data API rolls back a transaction left idle for 3 minutes (a handler died in it, or its commit
        # and rollback both failed); compressed: when the handler that opened it has ended (in workers,
        # handlers run side by side), or, one handler at a time, before the next one runs, the transaction
        # is abandoned. Without it the next statement on its rows waits forever.
        if self.pool is not None:
            self.bridge.owner = lambda: getattr(self.runtime.current, "invocation", None)
            self.runtime.after_worker_invoke = self.bridge.abandon
            self.runtime.worker_job_extra = self._worker_data_api
        else:
            self.runtime.before_invoke = lambda _function: expire_abandoned_transactions(self.bridge)
        self._exit.enter_context(self.runtime.installed())
        self._exit.enter_context(self.clock.installed())
        self.runtime.sdk_sleeps = self.clock.sdk_retry_sleeps
        self._exit.enter_context(injecting(self.faults, self.runtime.current))
        self._exit.enter_context(moto_dispatch_cached())
        self.session = boto3.Session(region_name=REGION)
        with self._stage("deploy"):
            self._deploy()
        if self.pool is not None:  # on close, first of all: the workers exit while the rest is torn down
            self._exit.callback(self.pool.ask_to_exit)

    def _worker_data_api(self) -> dict[str, str]:
        """Workers answer the Data API themselves, on the same PostgreSQL, with the same bridge code: its
        calls need nothing of moto. Unless the fault plan can fail a Data API call: the plan counts calls
        in this process, so then they come here like every other call."""
        return {} if self.faults.touches("rds-data") else {"data_api_dsn": self.postgres.dsn}

    @contextlib.contextmanager
    def _handler_pool(self) -> Iterator[Any]:
        from moto.core.models import botocore_stubber

        from tapgate.sim.workers import HandlerPool, answer_call

        # the workers' clients sign with moto's fake credentials, as in-process clients do under mock_aws
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "FOOBARKEY", "AWS_SECRET_ACCESS_KEY": "FOOBARSECRET"}
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        pool = HandlerPool(self.workers, str(self.lambdas_dir.resolve()), env)
        self.runtime.pool = pool
        self.runtime.serve_call = lambda message: answer_call(message, botocore_stubber)
        # a worker's call waits for a thread here to take the GIL: by default a thread that wants it waits
        # up to 5 ms for the one holding it (the interpreter's threads, the other worker's call)
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            yield pool
        finally:
            sys.setswitchinterval(switch)
            self.runtime.pool = None
            pool.close()

    @contextlib.contextmanager
    def _postgres_while_importing(self) -> Iterator[Any]:
        """PostgreSQL starts on a thread while this one imports what the deploy needs. Starting it is mostly
        waiting for initdb and pg_ctl (subprocesses: the wait holds no GIL), importing moto's CloudFormation
        models is ~2 s of Python: done one after the other they took both."""
        from tapgate.sim.postgres import start_postgres

        started: dict[str, Any] = {}

        def start() -> None:
            try:
                started["server"] = start_postgres(template_database(self.template))
            except BaseException as err:  # noqa: BLE001 - re-raised on the caller's thread below
                started["error"] = err

        thread = threading.Thread(target=start, name="postgres-start", daemon=True)
        thread.start()
        try:
            _import_for_deploy()
        except BaseException:
            thread.join()
            if "server" in started:
                started["server"].stop()
            raise
        thread.join()
        if "error" in started:
            raise started["error"]
        try:
            yield started["server"]
        finally:
            started["server"].stop()

    def _deploy(self) -> None:
        from tapgate.sim import custom_resource, deploy, dropped

        session = DeployClients(self.session)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        s3.put_object(Bucket=ARTIFACT_BUCKET, Key=ARTIFACT_KEY, Body=deploy.lambda_zip(self.lambdas_dir))
        parameters = {"ArtifactBucket": ARTIFACT_BUCKET, "ArtifactKey": ARTIFACT_KEY, **self.parameters}
        self.deployment = deploy.create_stack(session, self.template, parameters, self.stack_name, REGION)
        dropped.apply_all(self.deployment, session)
        self.runtime.logical_ids = self.deployment.function_logical_ids()
        self.runtime.env_keys = {
            key
            for lid in self.deployment.of_type("AWS::Lambda::Function")
            for key in self.deployment.resolver.properties(lid).get("Environment", {}).get("Variables", {})
        }
        custom_resource.run_custom_resources(self.deployment, session)

    @contextlib.contextmanager
    def _stage(self, name: str):
        started = time.monotonic()
        try:
            yield
        finally:
            self.stage_s[name] = self.stage_s.get(name, 0.0) + time.monotonic() - started

    # running ----------------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION)

    def scheduled_target(self) -> Any:
        from tapgate.sim.events import scheduled_targets

        targets = scheduled_targets(self.deployment, self.deployment.state_machine_arn)
        if not targets:
            raise SimulationError("no scheduled AWS::Events::Rule targets the state machine")
        # the daily rule: the one whose schedule fires most often (rate/cron of days beats months)
        return sorted(targets, key=lambda t: ("month" in t.schedule.lower() or "L" in t.schedule, t.rule))[0]

    def start_scheduled(self, time: str, name: str | None = None) -> str:
        """Start the state machine as the daily rule would at `time` (ISO 8601); returns the execution ARN."""
        from tapgate.sim.events import render_target_input, scheduled_event

        target = self.scheduled_target()
        event = scheduled_event(self.deployment, target.rule_arn, time)
        payload = render_target_input(target.target, event, target.rule_arn)
        return self.start(payload, name)

    def invoke_scheduled(self, function_logical_id: str, time: str) -> dict[str, Any]:
        """Invoke a function as its scheduled rule would at `time` (the rule and target from the template)."""
        from tapgate.sim.events import render_target_input, scheduled_event, scheduled_targets

        function_arn = self.deployment.resolver.get_att(function_logical_id, "Arn")
        targets = scheduled_targets(self.deployment, function_arn)
        if not targets:
            raise SimulationError(f"no scheduled AWS::Events::Rule targets {function_logical_id}")
        event = scheduled_event(self.deployment, targets[0].rule_arn, time)
        payload = render_target_input(targets[0].target, event, targets[0].rule_arn)
        answer = self.client("lambda").invoke(FunctionName=function_arn, Payload=payload.encode())
        body = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise SimulationError(f"{function_logical_id} failed: {body}")
        return body

    def start(self, payload: str | dict[str, Any], name: str | None = None) -> str:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        # EventBridge names executions with a UUID; Step Functions requires a name in moto (facts.md)
        return self.client("stepfunctions").start_execution(
            stateMachineArn=self.deployment.state_machine_arn, name=name or str(uuid.uuid4()), input=text
        )["executionArn"]

    def wait(self, execution_arn: str, timeout_s: float = EXECUTION_TIMEOUT_S) -> dict[str, Any]:
        """DescribeExecution once the execution has ended. Until then the status is read from moto's record
        of the execution (the backend DescribeExecution answers from): a poll through botocore and moto costs
        ~2.5 ms of the core the handlers run on, ~400 times in a 2,000-report day."""
        deadline = time.monotonic() + timeout_s
        delay = 0.02
        while _execution_status(execution_arn) == "RUNNING":
            if time.monotonic() > deadline:
                raise SimulationError(f"execution {execution_arn} still RUNNING after {timeout_s:.0f} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        return self.client("stepfunctions").describe_execution(executionArn=execution_arn)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        client = self.client("stepfunctions")
        events, token = [], None
        while True:
            page = client.get_execution_history(
                executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
            )
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events
