"""tapgate's own Python checks (engine `tapgate`): what guard cannot say well.

Each check is `check(ctx) -> list[Finding]` and judges every resource of its types whatever its logical id.
The gate finds them through `checkers()`; `RULE_IDS` is what policies/controls.yaml may name for this engine.
"""

from __future__ import annotations

from tapgate.checks.base import Check
from tapgate.checks.encryption import BucketTlsPolicy
from tapgate.checks.iam import OneRolePerFunction
from tapgate.checks.network import DatabasePrivateSubnets
from tapgate.checks.resilience import QueueDeadLetter, TaskRetry
from tapgate.checks.secrets import PlaintextSecretsInStrings

CHECKS: list[Check] = [
    BucketTlsPolicy(),
    PlaintextSecretsInStrings(),
    OneRolePerFunction(),
    DatabasePrivateSubnets(),
    TaskRetry(),
    QueueDeadLetter(),
]
RULE_IDS: frozenset[str] = frozenset(check.rule for check in CHECKS)


def checkers() -> list[Check]:
    return list(CHECKS)


def run_all(ctx) -> list:
    """Every check over one context (the gate's CheckContext, a Template, or a plain template dict)."""
    return [finding for check in CHECKS for finding in check(ctx)]
