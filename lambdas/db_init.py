"""db_init: the CloudFormation custom resource that applies the schema migrations through the Data API.

Create and Update apply whatever migrations are pending (idempotent: nothing pending, nothing done).
Delete keeps the schema and its data: reports are regulatory records, and the cluster's own DeletionPolicy
decides their fate. Whatever happens, CloudFormation gets an answer, so the stack never hangs for an hour.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from tapcommon.cfn import send_response
from tapcommon.config import environment
from tapcommon.db import Database
from tapcommon.migrations import apply_migrations, current_version

logger = Logger()
tracer = Tracer()

PHYSICAL_RESOURCE_ID = "tapstack-schema"


class CustomResourceRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    RequestType: Literal["Create", "Update", "Delete"]
    ResponseURL: str
    StackId: str
    RequestId: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None


def handle(request: CustomResourceRequest, db: Database) -> dict[str, Any]:
    """Plain logic: returns the custom resource's Data (SchemaVersion, Applied)."""
    if request.RequestType == "Delete":
        logger.info("delete: schema and data are kept")
        return {"SchemaVersion": str(current_version(db)), "Applied": ""}
    applied = apply_migrations(db)
    version = current_version(db)
    logger.info("migrations applied", extra={"applied": applied, "schema_version": version})
    return {"SchemaVersion": str(version), "Applied": ",".join(str(v) for v in applied)}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(environment=environment())
    status, reason, data = "FAILED", "db_init did not finish", {}
    physical_id = (event or {}).get("PhysicalResourceId") or PHYSICAL_RESOURCE_ID
    try:
        request = CustomResourceRequest.model_validate(event)
        data = handle(request, Database.from_env())
        status, reason = "SUCCESS", f"{request.RequestType} done; schema version {data['SchemaVersion']}"
    except Exception as err:
        logger.exception("db_init failed")
        reason = f"{type(err).__name__}: {err}"
    finally:
        if isinstance(event, dict) and event.get("ResponseURL"):
            try:
                send_response(
                    event, status, f"{reason} (log stream {context.log_stream_name})", physical_id, data
                )
            except Exception:
                logger.exception("could not answer CloudFormation")
        else:
            logger.error("no ResponseURL in the event: CloudFormation cannot be answered")
    return {"Status": status, "Reason": reason, "PhysicalResourceId": physical_id, "Data": data}
