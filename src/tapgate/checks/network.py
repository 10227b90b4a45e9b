"""TAP_NET_DB_PRIVATE_SUBNETS: every database lives only in private subnets of this template.

Follows DB cluster / standalone DB instance -> DBSubnetGroupName -> AWS::RDS::DBSubnetGroup -> SubnetIds ->
AWS::EC2::Subnet -> route table associations -> routes. A subnet is private when it does not map public IPs
on launch and none of its route tables routes to an internet gateway (NAT gateways are fine: outbound only).
A database without a subnet group lands in the default VPC's public subnets; subnets not defined here
cannot be shown private. Both FAIL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tapgate.checks.base import Check, Verdict, resources_of
from tapgate.checks.refs import single_reference
from tapgate.model import Severity, Status


def _props(data: dict[str, Any], logical_id: str | None, wanted: str) -> dict[str, Any] | None:
    resource = (data.get("Resources") or {}).get(logical_id or "")
    if not isinstance(resource, dict) or resource.get("Type") != wanted:
        return None
    return resource.get("Properties") or {}


def public_subnet_reason(data: dict[str, Any], subnet: str) -> str | None:
    """Why `subnet` is (or may be) public, or None when it is private."""
    props = _props(data, subnet, "AWS::EC2::Subnet")
    if props is None:
        return "is not a subnet defined in this template"
    if props.get("MapPublicIpOnLaunch") in (True, "true"):
        return "maps public IPs on launch"
    tables = {
        single_reference((assoc.get("Properties") or {}).get("RouteTableId"))
        for _, assoc in resources_of(data, ("AWS::EC2::SubnetRouteTableAssociation",))
        if single_reference((assoc.get("Properties") or {}).get("SubnetId")) == subnet
    }
    for _, route in resources_of(data, ("AWS::EC2::Route",)):
        route_props = route.get("Properties") or {}
        if single_reference(route_props.get("RouteTableId")) in tables:
            gateway = single_reference(route_props.get("GatewayId"))
            if _props(data, gateway, "AWS::EC2::InternetGateway") is not None:
                return f"routes to the internet gateway {gateway}"
    return None


class DatabasePrivateSubnets(Check):
    rule = "TAP_NET_DB_PRIVATE_SUBNETS"
    title = "Databases only in private subnets"
    severity = Severity.HIGH
    resource_types = ("AWS::RDS::DBCluster", "AWS::RDS::DBInstance")
    fix = (
        "Use a DBSubnetGroup of subnets without MapPublicIpOnLaunch whose route tables have no route to an "
        "internet gateway."
    )

    def verdicts(self, data: dict[str, Any]) -> Iterator[Verdict]:
        for logical_id, resource in resources_of(data, self.resource_types):
            props = resource.get("Properties") or {}
            if resource.get("Type") == "AWS::RDS::DBInstance" and props.get("DBClusterIdentifier"):
                continue  # a cluster member lives in its cluster's subnet group
            yield self._judge(data, logical_id, props)

    def _judge(self, data: dict[str, Any], logical_id: str, props: dict[str, Any]) -> Verdict:
        where = ("Properties", "DBSubnetGroupName")
        group = single_reference(props.get("DBSubnetGroupName"))
        group_props = _props(data, group, "AWS::RDS::DBSubnetGroup")
        if group_props is None:
            return Verdict(
                logical_id, Status.FAIL, f"{logical_id} has no DB subnet group of this template.", where
            )
        subnets = [single_reference(s) for s in group_props.get("SubnetIds") or []]
        problems = [
            f"{subnet or 'a literal subnet id'} {reason}"
            for subnet in subnets
            if (reason := public_subnet_reason(data, subnet or "")) is not None
        ]
        if not subnets:
            problems.append(f"{group} lists no subnets")
        if problems:
            return Verdict(
                logical_id,
                Status.FAIL,
                f"{logical_id} is not only in private subnets: {'; '.join(problems)}.",
                where,
            )
        return Verdict(
            logical_id, Status.PASS, f"{logical_id} is only in private subnets ({', '.join(subnets)}).", where
        )
