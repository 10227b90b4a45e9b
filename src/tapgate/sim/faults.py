"""Faults injected at the boto3 level, on calls the handlers make.

moto answers every boto3 call from botocore's `before-send` event (`BotocoreStubber`). The injector wraps
that hook: when a call made *by a handler* (not by the state machine's own invoke or ItemReader) is the
n-th call of a fault's kind that the plan selects, it answers with the service's own error instead (HTTP
status, error code and body in the service's protocol), or raises the transport error, or kills the
handler (`crash`). Everything else goes to moto untouched. botocore then does what it does in production:
retry throttling and 5xx itself, raise `ClientError` for the rest.

A plan is written `KIND[:Function]=N` (N calls of that kind, at positions drawn with a fixed seed among
the first `horizon` such calls) or `KIND[:Function]@i+j` (exactly the i-th and j-th), where `:Function`
(a logical id) counts only that function's calls; comma-separated, e.g.
`ses-throttle=3,s3-5xx@2+9,crash@5`.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tapgate.errors import UsageError


@dataclass(frozen=True)
class FaultKind:
    name: str
    # botocore service ids (hyphenised) as in `before-send.<service>.<op>`; empty: every service
    services: tuple[str, ...]
    operations: tuple[str, ...]  # empty: every operation of the service
    description: str


KINDS = {
    k.name: k
    for k in (
        FaultKind("ses-throttle", ("ses", "sesv2"), ("SendEmail", "SendRawEmail"), "SES Throttling (400)"),
        FaultKind("ses-reject", ("ses", "sesv2"), ("SendEmail", "SendRawEmail"), "SES MessageRejected (400)"),
        FaultKind("s3-5xx", ("s3",), ("PutObject", "CopyObject", "GetObject"), "S3 503 SlowDown / 500"),
        FaultKind("dataapi-timeout", ("rds-data",), (), "Data API read timeout (transport)"),
        FaultKind("dataapi-badrequest", ("rds-data",), (), "Data API BadRequestException (400)"),
        FaultKind("crash", ("ses", "sesv2"), ("SendEmail", "SendRawEmail"), "handler process dies mid-batch"),
        # any AWS call (S3, Data API, SES): with `:Function`, that function dies anywhere in its batch
        FaultKind("crash-any", (), (), "handler process dies at that AWS call"),
    )
}


@dataclass
class Injected:
    kind: str
    function: str
    operation: str
    ordinal: int
    seen: dict[str, int] = field(default_factory=dict)  # calls of each planned kind so far, this one included


@dataclass
class FaultPlan:
    """Which calls of each kind fail: kind -> set of 1-based ordinals among that kind's handler calls."""

    ordinals: dict[str, set[int]] = field(default_factory=dict)
    injected: list[Injected] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def parse(cls, spec: str | None, horizon: int = 200, seed: int = 17) -> FaultPlan:
        plan = cls()
        rng = random.Random(seed)  # noqa: S311 - a reproducible fault schedule, not a secret
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            kind, sep, rest = _split_part(part)
            if kind.split(":")[0] not in KINDS:
                raise UsageError(f"--faults: unknown kind {kind!r} (known: {', '.join(KINDS)})")
            try:
                if sep == "=":
                    count = int(rest)
                    chosen = set(rng.sample(range(1, max(horizon, count) + 1), count))
                else:
                    chosen = {int(x) for x in rest.split("+")}
            except ValueError as err:
                raise UsageError(f"--faults: {part!r}: expected KIND=N or KIND@i+j ({err})") from None
            plan.ordinals.setdefault(kind, set()).update(chosen)
        return plan

    def reset(self, ordinals: dict[str, set[int]] | None = None) -> None:
        """A new schedule on the same (installed) plan: counters and the injected log start again."""
        with self._lock:
            self.ordinals = {k: set(v) for k, v in (ordinals or {}).items()}
            self.seen.clear()
            self.injected.clear()

    def touches(self, service: str) -> bool:
        """Whether a kind in the plan can fail a call of `service` (botocore's hyphenised service id)."""
        with self._lock:
            kinds = [KINDS[kind.partition(":")[0]] for kind in self.ordinals]
        return any(not spec.services or service in spec.services for spec in kinds)

    def describe(self) -> dict[str, list[int]]:
        return {kind: sorted(ords) for kind, ords in sorted(self.ordinals.items())}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.injected:
            out[item.kind] = out.get(item.kind, 0) + 1
        return out

    def decide(self, service: str, operation: str, function: str) -> str | None:
        """The fault kind to inject on this handler call, if the plan selects it (counts every kind)."""
        chosen = None
        with self._lock:
            for kind, ordinals in self.ordinals.items():
                # `kind` or `kind:FunctionLogicalId` (only that function's calls count)
                name, _, only = kind.partition(":")
                spec = KINDS[name]
                if spec.services and service not in spec.services:
                    continue
                if spec.operations and operation not in spec.operations:
                    continue
                if only and only != function:
                    continue
                self.seen[kind] = n = self.seen.get(kind, 0) + 1
                if chosen is None and n in ordinals:
                    chosen = kind
                    self.injected.append(Injected(kind, function, operation, n, dict(self.seen)))
        return chosen


def _split_part(part: str) -> tuple[str, str, str]:
    for sep in ("=", "@"):
        if sep in part:
            kind, rest = part.split(sep, 1)
            return kind.strip(), sep, rest.strip()
    raise UsageError(f"--faults: {part!r}: expected KIND=N or KIND@i+j")


def error_response(kind: str, service: str, request: Any) -> Any:
    """The AWS response for an injected fault (or raise the transport error / the crash)."""
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ReadTimeoutError
    from moto.core.botocore_stubber import MockRawResponse

    from tapgate.sim.runtime import SimulatedCrash

    if kind in ("crash", "crash-any"):
        raise SimulatedCrash("injected crash: the handler's process died mid-batch")
    if kind == "dataapi-timeout":
        raise ReadTimeoutError(endpoint_url=request.url)
    status, code, message = {
        "ses-throttle": (400, "Throttling", "Maximum sending rate exceeded."),
        "ses-reject": (400, "MessageRejected", "Email address is not verified (injected)."),
        "s3-5xx": (503, "SlowDown", "Please reduce your request rate. (injected)"),
        "dataapi-badrequest": (400, "BadRequestException", "Communications link failure (injected)"),
    }[kind]
    if service in ("rds-data", "sesv2"):
        code = {"Throttling": "TooManyRequestsException"}.get(code, code)
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
        body = json.dumps({"message": message}).encode()
    elif service == "s3":
        headers = {"Content-Type": "application/xml"}
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    else:  # SES v1: the query protocol's XML error
        headers = {"Content-Type": "text/xml"}
        body = (
            f'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>sim</RequestId></ErrorResponse>"
        ).encode()
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


@contextlib.contextmanager
def injecting(plan: FaultPlan, current: threading.local) -> Iterator[FaultPlan]:
    """Wrap moto's before-send hook; `current.function` tells whether a handler is making the call."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.__call__

    def __call__(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        function = getattr(current, "function", None)
        if stubber.enabled and function:
            _, service, operation = [*event_name.split("."), "", ""][:3]
            kind = plan.decide(service, operation, function)
            if kind:
                return error_response(kind.partition(":")[0], service, request)
        return original(stubber, event_name, request, **kwargs)

    BotocoreStubber.__call__ = __call__
    try:
        yield plan
    finally:
        BotocoreStubber.__call__ = original


def expire_abandoned_transactions(bridge: Any) -> int:
    """Roll back every Data API transaction still open on `bridge`; returns how many.

    The Data API rolls back a transaction that has seen no call for three minutes. A handler that died
    inside one (`crash`, `crash-any`), or whose commit and then rollback both failed, leaves it open till
    then, holding its row locks. Call this before each handler invocation while handlers run one at a time
    (the runtime holds its lock through an invocation): every transaction still open then is abandoned, and
    rolling it back at once is the service's timeout compressed, as Retry intervals are.
    """
    abandoned = list(bridge._transactions)  # the bridge's open transactions, by id
    for transaction_id in abandoned:
        with contextlib.suppress(Exception):  # ended meanwhile: nothing to expire
            bridge.end_transaction(transaction_id, commit=False)
    return len(abandoned)
