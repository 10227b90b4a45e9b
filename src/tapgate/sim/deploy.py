"""Deploy a template (TapStack.json) into moto with CloudFormation `create_stack`; fill in what moto drops.

moto builds most types from the template, but skips some (the DB cluster, secrets, SES, alarms, bucket
policies, custom resources …), drops some properties (bucket versioning, Object Lock, lifecycle …), fails
on a KMS key with Tags, and reads only `DefinitionString` of a state machine. So:

1. the template handed to moto is the template minus what moto cannot build: skipped resources are left
   out and every reference to them becomes a `sim-pending:` placeholder, KMS Tags are lifted, the state
   machine gets a one-state placeholder definition;
2. `create_stack` runs with the parameters supplied, while moto's state-machine backend points at the
   executing (ASL parser) backend;
3. `tapgate.sim.dropped` then creates and applies the rest from the template's own properties, resolved
   against the created stack (`tapgate.sim.resolve`), and re-applies each function's environment.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapgate.sim.resolve import Resolver

PLACEHOLDER = "sim-pending:"
_SUB_REF = re.compile(r"\$\{(([A-Za-z0-9]+)(?:\.[^}]*)?)\}")  # ${Logical} or ${Logical.Attr} in a Fn::Sub
_PASS_DEFINITION = json.dumps({"StartAt": "Pending", "States": {"Pending": {"Type": "Pass", "End": True}}})
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass
class Deployment:
    """A stack deployed into moto: its template, resolver, and the names the simulation needs."""

    template: dict[str, Any]
    resolver: Resolver
    stack_name: str
    region: str
    skipped: list[str]  # logical ids moto did not build (the harness did, or noted why not)
    applied: list[str] = field(default_factory=list)  # what the harness applied, one line each
    not_simulated: list[str] = field(default_factory=list)  # logical ids nothing can stand in for
    custom_resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> response

    def of_type(self, resource_type: str) -> list[str]:
        return [lid for lid, r in self.template["Resources"].items() if r.get("Type") == resource_type]

    def physical(self, logical_id: str) -> str:
        return self.resolver.physical_ids[logical_id]

    def function_logical_ids(self) -> dict[str, str]:
        """function name -> logical id, for every AWS::Lambda::Function."""
        return {self.physical(lid): lid for lid in self.of_type("AWS::Lambda::Function")}

    @property
    def state_machine_arn(self) -> str:
        (logical_id,) = self.of_type("AWS::StepFunctions::StateMachine")
        return self.physical(logical_id)


def moto_builds(resource_type: str) -> bool:
    """Whether moto's CloudFormation creates this type (custom resources are run by the harness instead)."""
    from moto.cloudformation.parsing import get_model_map

    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return False
    return resource_type in get_model_map() and resource_type not in _MOTO_BUILDS_BADLY


# Types moto knows but builds wrongly for this purpose (no behaviour behind them): the harness builds them.
_MOTO_BUILDS_BADLY = {
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::SecretsManager::Secret",
    "AWS::CloudWatch::Alarm",
}


def moto_template(template: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The template moto can build, and the logical ids left out of it."""
    shaped = copy.deepcopy(template)
    resources = shaped["Resources"]
    skipped = [lid for lid, r in resources.items() if not moto_builds(r.get("Type", ""))]
    for lid in skipped:
        del resources[lid]
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if depends:
            kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in skipped]
            resource["DependsOn"] = kept
            if not kept:
                del resource["DependsOn"]
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::KMS::Key":
            props.pop("Tags", None)  # moto's CloudFormation fails on KMS Tags; applied afterwards
        if resource.get("Type") == "AWS::StepFunctions::StateMachine":
            for key in ("Definition", "DefinitionSubstitutions", "DefinitionS3Location"):
                props.pop(key, None)
            props["DefinitionString"] = _PASS_DEFINITION  # the real one is rendered after creation
    shaped["Resources"] = _placeholders(resources, set(skipped))
    shaped["Outputs"] = _placeholders(shaped.get("Outputs", {}), set(skipped))
    return shaped, skipped


def _placeholders(node: Any, skipped: set[str]) -> Any:
    """Replace Ref/GetAtt/${} that point at a skipped resource with a `sim-pending:` string."""
    if isinstance(node, list):
        return [_placeholders(v, skipped) for v in node]
    if isinstance(node, str):
        return _SUB_REF.sub(lambda m: PLACEHOLDER + m.group(1) if m.group(2) in skipped else m.group(0), node)
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::GetAZs"} and node["Fn::GetAZs"] == {"Ref": "AWS::Region"}:
        return {"Fn::GetAZs": ""}  # the same thing ("" is the stack's region); moto does not resolve the Ref
    if set(node) == {"Ref"} and node["Ref"] in skipped:
        return PLACEHOLDER + node["Ref"]
    if set(node) == {"Fn::GetAtt"}:
        target = node["Fn::GetAtt"]
        parts = target.split(".", 1) if isinstance(target, str) else target
        if parts[0] in skipped:
            return f"{PLACEHOLDER}{parts[0]}.{parts[1]}"
    return {k: _placeholders(v, skipped) for k, v in node.items()}


def lambda_zip(lambdas_dir: Path) -> bytes:
    """One zip of lambdas/ (the contract's single code artifact). Only its code and data, no caches."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(lambdas_dir).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.write(path, path.relative_to(lambdas_dir).as_posix())
    return buffer.getvalue()


@contextlib.contextmanager
def executing_state_machines() -> Iterator[None]:
    """While CloudFormation creates the stack, state machines land in the executing (parser) backend."""
    import moto.stepfunctions.models as sfn_models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    original = sfn_models.stepfunctions_backends
    sfn_models.stepfunctions_backends = stepfunctions_parser_backends
    try:
        yield
    finally:
        sfn_models.stepfunctions_backends = original


def create_stack(
    session: Any, template: dict[str, Any], parameters: dict[str, str], stack_name: str, region: str
) -> Deployment:
    """`create_stack` of the moto-shaped template; returns the deployment with physical ids resolved."""
    shaped, skipped = moto_template(template)
    cfn = session.client("cloudformation", region_name=region)
    declared = template.get("Parameters", {})
    given = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items() if k in declared]
    with executing_state_machines():
        stack_id = cfn.create_stack(
            StackName=stack_name, TemplateBody=json.dumps(shaped), Parameters=given, Capabilities=CAPABILITIES
        )["StackId"]
    stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"create_stack ended {stack['StackStatus']}: {stack.get('StackStatusReason', '')}")
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=stack_id)["StackResources"]
        if r.get("PhysicalResourceId")  # moto lists a few types it models without one (attachments)
    }
    account = stack_id.split(":")[4]
    resolver = Resolver(
        template=template,
        parameters=dict(parameters),
        physical_ids=physical,
        region=region,
        account=account,
        stack_name=stack_name,
        stack_id=stack_id,
        moto_attribute=_moto_attribute(account, region, stack_id),
        moto_ref=_moto_ref(account, region, stack_id),
    )
    return Deployment(
        template=template, resolver=resolver, stack_name=stack_name, region=region, skipped=skipped
    )


def _moto_resource(account: str, region: str, stack_id: str, logical_id: str) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    stack = cloudformation_backends[account][region].get_stack(stack_id)
    resource = stack.resource_map.get(logical_id) if stack.resource_map else None
    return None if resource is None or isinstance(resource, dict) else resource


def _moto_ref(account: str, region: str, stack_id: str) -> Any:
    def ref(logical_id: str) -> Any:
        resource = _moto_resource(account, region, stack_id, logical_id)
        return getattr(resource, "physical_resource_id", None) or getattr(resource, "name", None)

    return ref


def _moto_attribute(account: str, region: str, stack_id: str) -> Any:
    def get(logical_id: str, attribute: str) -> Any:
        from moto.cloudformation.models import cloudformation_backends

        stack = cloudformation_backends[account][region].get_stack(stack_id)
        resource = stack.resource_map.get(logical_id) if stack.resource_map else None
        if resource is None or isinstance(resource, dict):
            return None
        try:
            return resource.get_cfn_attribute(attribute)
        except Exception:  # noqa: BLE001 - moto raises various errors for attributes it does not model
            return None

    return get
