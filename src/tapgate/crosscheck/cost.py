"""A monthly cost estimate at a daily volume, from the template's shape and the price table in prices.yaml.

Quantities come from the template (memory sizes, Map batching, ACU range, keys, alarms, NAT gateways,
endpoints, trail data events) and the planning figures below; prices come only from prices.yaml, which
carries its date and a source URL per price. The result is `GateResult.cost_estimate`:
{items: [{service, item, quantity, unit, unit_usd, usd}], total, date, region, source, assumptions}.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from tapgate.crosscheck import asl, budgets
from tapgate.crosscheck.policy import role_of
from tapgate.crosscheck.scale import DEFAULT_BATCH, MODEL
from tapgate.crosscheck.storage_cost import add_report_storage

PRICES = Path(__file__).with_name("prices.yaml")
DAYS_PER_MONTH = 30
HOURS_PER_MONTH = 730
ASSUMPTIONS = {
    "report_kb": 50,  # one rendered report file
    "log_kb_per_report": 4,  # structured log lines per report across the stages
    "statements_per_report": 6,  # Data API statements per report across the stages
    "io_per_statement": 10,
    "db_storage_gb": 20,
    "nat_gb_per_day": 1.0,  # SES, Data API and KMS traffic leaving through NAT
    "metric_series": 6 * 6,  # 6 metric names × (aggregate + 5 jurisdictions)
    "s3_puts_per_report": 3,  # staging, report copy, confirmation
    "s3_gets_per_report": 2,
    "kms_requests_per_report": 2,  # bucket keys make most puts/gets free of KMS calls
    "sns_events_per_email": 2,  # send + delivery/bounce
    "stored_months": 12,  # the estimate is for the end of the first year of reports kept (lifecycle applied)
    "dead_letters_per_day": 10,  # failed events parked in the DLQs and worked off
}


@cache
def prices() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(PRICES.read_text(encoding="utf-8"))


def estimate_monthly_cost(template: dict[str, Any], reports_per_day: int) -> dict[str, Any]:
    table = prices()
    items: list[dict[str, Any]] = []

    def add(service: str, item: str, key: str, quantity: float) -> None:
        price = table["prices"][key]
        items.append(
            {
                "service": service,
                "item": item,
                "quantity": round(quantity, 3),
                "unit": price["unit"],
                "unit_usd": price["usd"],
                "usd": round(quantity * price["usd"], 2),
                "price_url": price["url"],
                "price_checked": bool(price.get("checked")),
            }
        )

    resources = template.get("Resources") or {}
    monthly = reports_per_day * DAYS_PER_MONTH
    _lambda(template, reports_per_day, add)
    histories = budgets.history_estimates(template, reports_per_day, reports_per_item=DEFAULT_BATCH)
    transitions = sum(h.events * h.executions for h in histories) / 2  # about 2 history events a transition
    add("Step Functions", "state transitions", "sfn_transition", transitions * DAYS_PER_MONTH)
    _storage(template, reports_per_day, monthly, add)
    _aurora(resources, reports_per_day, monthly, add)
    add("SES", "emails", "ses_email", monthly)
    _observability(resources, monthly, add)
    _network(resources, add)
    add("SNS", "SES event publishes", "sns_publish", monthly * ASSUMPTIONS["sns_events_per_email"])
    queues = _count(resources, "AWS::SQS::Queue")
    if queues:
        dead_letters = ASSUMPTIONS["dead_letters_per_day"] * DAYS_PER_MONTH
        add("SQS", "dead-letter queue requests (send, receive, delete)", "sqs_request", 3 * dead_letters)
    return {
        "reports_per_day": reports_per_day,
        "items": items,
        "total": round(sum(i["usd"] for i in items), 2),
        "currency": table.get("currency", "USD"),
        "date": table["date"],
        "region": table["region"],
        "source": table["source"],
        "assumptions": {**ASSUMPTIONS, "days_per_month": DAYS_PER_MONTH, "model": MODEL},
        "note": "list prices before free tiers, savings plans and taxes",
    }


def _storage(template: dict[str, Any], reports_per_day: int, monthly: int, add) -> None:
    days = ASSUMPTIONS["stored_months"] * DAYS_PER_MONTH
    add_report_storage(template, reports_per_day, days, ASSUMPTIONS["report_kb"], add)
    add("S3", "PUT/COPY requests", "s3_put_request", monthly * ASSUMPTIONS["s3_puts_per_report"])
    add("S3", "GET requests", "s3_get_request", monthly * ASSUMPTIONS["s3_gets_per_report"])


def _observability(resources: dict, monthly: int, add) -> None:
    add("KMS", "customer managed keys", "kms_key_month", _count(resources, "AWS::KMS::Key"))
    add("KMS", "requests", "kms_request", monthly * ASSUMPTIONS["kms_requests_per_report"])
    add(
        "CloudWatch",
        "log ingestion",
        "logs_ingest_gb",
        monthly * ASSUMPTIONS["log_kb_per_report"] / 1024 / 1024,
    )
    add("CloudWatch", "custom metrics (EMF)", "metric_month", ASSUMPTIONS["metric_series"])
    add("CloudWatch", "alarms", "alarm_month", _count(resources, "AWS::CloudWatch::Alarm"))
    if _trail_data_events(resources):
        events = monthly * (ASSUMPTIONS["s3_puts_per_report"] + ASSUMPTIONS["s3_gets_per_report"])
        add("CloudTrail", "S3 data events", "cloudtrail_data_event", events)


def _network(resources: dict, add) -> None:
    nat = _count(resources, "AWS::EC2::NatGateway")
    if nat:
        add("VPC", "NAT gateway hours", "nat_gateway_hour", nat * HOURS_PER_MONTH)
        add("VPC", "NAT data processed", "nat_gateway_gb", ASSUMPTIONS["nat_gb_per_day"] * DAYS_PER_MONTH)
    addresses = _count(resources, "AWS::EC2::EIP")
    if addresses:
        add("VPC", "public IPv4 addresses", "public_ipv4_hour", addresses * HOURS_PER_MONTH)
    endpoints = _interface_endpoint_azs(resources)
    if endpoints:
        add("VPC", "interface endpoint hours", "interface_endpoint_hour", endpoints * HOURS_PER_MONTH)


def _lambda(template: dict[str, Any], reports_per_day: int, add) -> None:
    resources = template.get("Resources") or {}
    items_per_day = math.ceil(reports_per_day / DEFAULT_BATCH)
    in_map: dict[str, int] = {}
    for res in asl.state_machines(template).values():
        subs = asl.substitutions(res)
        definition, _ = asl.definition(res)
        for state in asl.walk(definition or {}):
            if state.body.get("Type") == "Task" and state.in_map:
                for name in asl.placeholders(state.body):
                    fn = role_of(subs.get(name))
                    if fn:
                        in_map[fn] = in_map.get(fn, 0) + 1
    gb_seconds = requests = 0.0
    for lid, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::Lambda::Function":
            continue
        props = res.get("Properties") or {}
        memory_gb = float(props.get("MemorySize") or 128) / 1024
        stage = str(props.get("Handler") or "").split(".")[0]
        per_report = MODEL["seconds_per_report"].get(stage, 0.02)
        calls = items_per_day * in_map.get(lid, 0) or 1
        seconds = calls * (min(DEFAULT_BATCH, reports_per_day) * per_report + MODEL["invoke_overhead_s"])
        gb_seconds += seconds * memory_gb * DAYS_PER_MONTH
        requests += calls * DAYS_PER_MONTH
    add("Lambda", "compute", "lambda_gb_second", gb_seconds)
    add("Lambda", "requests", "lambda_request", requests)


def _aurora(resources: dict, reports_per_day: int, monthly: int, add) -> None:
    for res in resources.values():
        if not isinstance(res, dict) or res.get("Type") != "AWS::RDS::DBCluster":
            continue
        scaling = (res.get("Properties") or {}).get("ServerlessV2ScalingConfiguration") or {}
        low = float(scaling.get("MinCapacity") or 0.5)
        high = float(scaling.get("MaxCapacity") or low)
        instances = (
            sum(
                1
                for r in resources.values()
                if isinstance(r, dict)
                and r.get("Type") == "AWS::RDS::DBInstance"
                and (r.get("Properties") or {}).get("DBInstanceClass") == "db.serverless"
            )
            or 1
        )
        busy_hours = min(24.0, 1 + reports_per_day / 2_000) * DAYS_PER_MONTH  # the run plus its tail
        peak = min(high, max(low, 4.0))
        add(
            "Aurora",
            f"ACU-hours ({instances} serverless instance(s), min {low:g})",
            "aurora_acu_hour",
            instances * low * HOURS_PER_MONTH + (peak - low) * busy_hours,
        )
        add("Aurora", "storage", "aurora_storage_gb_month", ASSUMPTIONS["db_storage_gb"])
        statements = monthly * ASSUMPTIONS["statements_per_report"]
        add("Aurora", "I/O", "aurora_io_request", statements * ASSUMPTIONS["io_per_statement"])
        add("Aurora", "backup beyond the free share", "aurora_backup_gb_month", ASSUMPTIONS["db_storage_gb"])
        add("Aurora", "Data API requests", "data_api_request", statements)


def _count(resources: dict, kind: str) -> int:
    return sum(1 for r in resources.values() if isinstance(r, dict) and r.get("Type") == kind)


def _trail_data_events(resources: dict) -> bool:
    for res in resources.values():
        if isinstance(res, dict) and res.get("Type") == "AWS::CloudTrail::Trail":
            props = res.get("Properties") or {}
            if props.get("EventSelectors") or props.get("AdvancedEventSelectors"):
                return True
    return False


def _interface_endpoint_azs(resources: dict) -> int:
    total = 0
    for res in resources.values():
        props = (res or {}).get("Properties") or {} if isinstance(res, dict) else {}
        if res.get("Type") == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
            total += len(props.get("SubnetIds") or [1])
    return total
