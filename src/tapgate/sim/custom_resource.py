"""Run the template's custom resources (the db-init one) as CloudFormation would.

moto does not run `AWS::CloudFormation::CustomResource`. The harness sends the function named by its
`ServiceToken` a CloudFormation `Create` event through moto's Lambda `Invoke` (so the real handler runs,
with its own environment), and receives the handler's response on a loopback HTTP server that stands in
for the pre-signed S3 `ResponseURL`. A `FAILED` response fails the deployment, as it fails a stack.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tapgate.sim.deploy import Deployment

RESPONSE_TIMEOUT_S = 120
SHUTDOWN_POLL_S = 0.02


class CustomResourceFailed(RuntimeError):
    """The custom resource answered FAILED, or never answered."""


class ResponseServer:
    """A loopback HTTP server that records the JSON body of every PUT, by path."""

    def __init__(self) -> None:
        self.responses: dict[str, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.end_headers()
                with server._arrived:
                    server.responses[self.path.split("?")[0]] = json.loads(body or b"{}")
                    server._arrived.notify_all()

            def log_message(self, *args: Any) -> None:  # quiet: the simulation reports what matters
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        # shutdown() waits for serve_forever's next poll: at the default 0.5 s that was ~0.5 s of every deploy
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(SHUTDOWN_POLL_S,), name="cfn-response", daemon=True
        )

    def __enter__(self) -> ResponseServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def wait(self, path: str, timeout: float) -> dict[str, Any] | None:
        with self._arrived:
            self._arrived.wait_for(lambda: "/" + path in self.responses, timeout=timeout)
            return self.responses.get("/" + path)


def custom_resource_ids(deployment: Deployment) -> list[str]:
    return [
        lid
        for lid, r in deployment.template["Resources"].items()
        if r.get("Type", "").startswith("Custom::") or r.get("Type") == "AWS::CloudFormation::CustomResource"
    ]


def run_custom_resources(deployment: Deployment, session: Any) -> None:
    """Create every custom resource: invoke its ServiceToken, wait for the response, record its Data."""
    client = session.client("lambda", region_name=deployment.region)
    with ResponseServer() as server:
        for logical_id in custom_resource_ids(deployment):
            properties = deployment.resolver.properties(logical_id)
            request_id = str(uuid.uuid4())
            event = {
                "RequestType": "Create",
                "ServiceToken": properties["ServiceToken"],
                "ResponseURL": server.url(f"{logical_id}/{request_id}"),
                "StackId": deployment.resolver.stack_id,
                "RequestId": request_id,
                "ResourceType": deployment.template["Resources"][logical_id]["Type"],
                "LogicalResourceId": logical_id,
                "ResourceProperties": properties,
            }
            answer = client.invoke(
                FunctionName=properties["ServiceToken"], Payload=json.dumps(event).encode()
            )
            payload = answer["Payload"].read().decode()
            response = server.wait(f"{logical_id}/{request_id}", RESPONSE_TIMEOUT_S)
            if response is None:
                detail = f"; the function returned {payload[:300]}" if answer.get("FunctionError") else ""
                raise CustomResourceFailed(f"{logical_id}: no response on the ResponseURL{detail}")
            if response.get("Status") != "SUCCESS":
                raise CustomResourceFailed(f"{logical_id}: FAILED: {response.get('Reason', '')}")
            deployment.custom_resources[logical_id] = response
            deployment.resolver.physical_ids[logical_id] = response.get("PhysicalResourceId", request_id)
            for key, value in (response.get("Data") or {}).items():
                deployment.resolver.attributes[(logical_id, key)] = value
            deployment.applied.append(f"{logical_id}: custom resource created by its function (SUCCESS)")
