"""Metrics (docs/contract.md): namespace TapStack, an aggregate series with dimension service=tapstack
(what the alarms watch) and, per jurisdiction, a second series with jurisdiction=<CODE> added.
Powertools EMF."""

from __future__ import annotations

from collections import Counter

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

METRIC_NAMES = frozenset(
    {
        "ReportsGenerated",
        "ValidationFailures",
        "ReportsDelivered",
        "DeliveryFailures",
        "ReportsConfirmed",
        "BatchFailures",
    }
)

# One instance for the whole process: Powertools keeps metric state per namespace, so every handler shares it.
metrics = Metrics()


def count_by_jurisdiction(name: str, jurisdictions: list[str], total: int | None = None) -> None:
    """Add `name` once per item: the aggregate (flushed by the handler's log_metrics; `total` when it is not
    the number of items), and per jurisdiction as their own EMF lines."""
    if name not in METRIC_NAMES:
        raise ValueError(f"{name} is not a contract metric")
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=len(jurisdictions) if total is None else total)
    for jurisdiction, value in sorted(Counter(jurisdictions).items()):
        with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
            metric.add_dimension(name="jurisdiction", value=jurisdiction)
