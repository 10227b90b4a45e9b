"""moto's request dispatch without the work it repeats on every call, for the duration of a simulation.

A boto3 call into moto costs 2–11 ms here; a day makes tens of thousands. Part of that is moto redoing, for
every request, work whose answer cannot change while the simulation runs (profiled with cProfile on a
deliver batch, moto 5.2.5):

- `S3Backend._url_module` calls `importlib.reload(moto.s3.urls)` on every S3 request (the module reads
  environment variables for custom endpoints at import; the simulation sets none) — a reload stats every
  `sys.path` entry;
- `BaseBackend.urls` rebuilds the backend's URL → handler table on every request;
- `method_names_from_class` runs `inspect.getmembers` over the response class on every request.

And one on botocore's side: the endpoint of an S3 call is resolved through a rule set, cached on the call's
parameters, which include the object `Key` (and `Prefix`, `CopySource`) although no rule reads them: every
new key misses the cache and evaluates the whole rule set again (~1 ms). The parameters no rule of the
service references are left out of the call (checked against the rule set when installed), so the answer is
the one the rule set gives, and is cached.

botocore also parses every timestamp of a response (S3's `Last-Modified` header on each get) with
dateutil's general parser (~0.5 ms); the RFC 1123 `GMT` form is read directly into the value dateutil gives
(a datetime in `tzutc()`), anything else goes to botocore's parser (ISO 8601 `Z` becomes `tzlocal()` there
on a UTC machine: not reproduced, not worth it).

And botocore form-encodes query-protocol bodies (SES `SendRawEmail`: the whole base64 message) with
`urllib.parse.urlencode`, which percent-encodes byte by byte in Python (~2 ms for a 40 KB message, and
botocore encodes a body twice: once to hash it for the signature, once to send it): `fast_urlencode` gives
the same string, escaping only the bytes that need it; anything but str or bytes pairs goes to urllib.

moto draws its ids (S3 version ids, SES message ids, request ids) a character at a time with
`Random.choice`; `Random.choices` draws the same kind of string from the same seeded generator in one call.

botocore builds the User-Agent header of every call from ~20 components, each sanitised a character at a
time (`sanitize_user_agent_string_component`, ~0.3 ms a call): a pure function of its two arguments, so
its answers are kept. moto's S3 asks `subdomain_based_buckets(request)` five times per request (bucket name,
key name, dispatch …): a function of the request's host and moto's settings, kept on the request for the
rest of that request. Every botocore session (the harness's, boto3's default one the handlers' clients use)
creates its own data loader and decodes the same service models, endpoints and rule sets again (~360 JSON
files on a deploy): loaders made for the same search path are one loader (a session already shares its
loader's cached documents between all its clients; now the sessions do).

moto's Step Functions interpreter deep-copies each state's input, output and context (`copy.deepcopy`,
~220,000 calls in a 200-report day); its data is JSON-shaped, and `json_deepcopy` copies dicts, lists and
atoms without deepcopy's per-object dispatch, to the same result (the same values, aliasing kept through the
same memo); anything else goes to copy.deepcopy. It is installed only in the interpreter's modules.

moto's SES parses each raw message whole (MIME parts, base64 attachment) to read four headers: it gets them
from a headers-only parse (`_ses_parses_headers_only`, the same header values, checked by a test). On the way
out, the backends whose reset is only a rebuild (EC2's reloads the AMI catalogue) are dropped before moto
resets them and drops them anyway (`forget_rebuilt_backends`).

Inside `moto_dispatch_cached()` the three answers are kept: the URL table per backend class, keyed by the
backend's url bases and paths (the Data API bridge changes `url_paths`: a changed table is rebuilt), the
method names per class. Nothing about what moto answers changes: the same handlers get the same requests.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import json
import re
import string
from collections.abc import Iterator
from typing import Any
from unittest import mock


@contextlib.contextmanager
def moto_dispatch_cached() -> Iterator[None]:
    """Both sides of a call into moto: botocore's (`botocore_client_cached`) and moto's."""
    import moto.s3.urls as s3_urls
    from moto.core import responses
    from moto.core.base_backend import BaseBackend
    from moto.core.request import Request
    from moto.moto_api._internal.moto_random import MotoRandom
    from moto.s3.models import S3Backend

    compute_urls = BaseBackend.urls.fget
    tables: dict[tuple, dict[str, Any]] = {}

    def urls(backend: Any) -> dict[str, Any]:
        module = backend._url_module
        key = (type(backend), tuple(backend.url_bases), tuple(module.url_paths.items()))
        table = tables.get(key)
        if table is None:
            table = tables[key] = compute_urls(backend)
        return table

    method_names = functools.lru_cache(maxsize=None)(responses.method_names_from_class)
    with contextlib.ExitStack() as stack:
        stack.callback(forget_rebuilt_backends)  # runs last, still inside mock_aws
        stack.enter_context(botocore_client_cached())
        stack.enter_context(mock.patch.object(S3Backend, "_url_module", property(lambda self: s3_urls)))
        stack.enter_context(mock.patch.object(BaseBackend, "urls", property(urls)))
        stack.enter_context(mock.patch.object(responses, "method_names_from_class", method_names))
        stack.enter_context(mock.patch.object(MotoRandom, "get_random_hex", _random_hex))
        stack.enter_context(mock.patch.object(MotoRandom, "get_random_string", _random_string))
        stack.enter_context(_s3_subdomain_answer_kept())
        stack.enter_context(_interpreter_copies_json())
        stack.enter_context(_interpreter_keeps_clients_and_paths())
        stack.enter_context(
            mock.patch.object(Request, "from_primitives", _request_built_directly(Request.from_primitives))
        )
        stack.enter_context(_ses_parses_headers_only())
        enrich = _enrich_only_xml(responses.BaseResponse._enrich_response)
        stack.enter_context(mock.patch.object(responses.BaseResponse, "_enrich_response", enrich))
        yield


def forget_rebuilt_backends() -> None:
    """Drop the service backends whose reset only rebuilds them, before mock_aws resets them on exit.

    moto's `BackendDict.reset` resets every region's backend and then drops them all; the base `reset` is
    `__init__` again, so the rebuild is thrown away at once. For EC2 (the stack's VPC) it reloads moto's
    AMI catalogue: ~0.4 s of every simulation's exit. Backends with their own `reset` (S3 closes its
    temporary files) are left to it."""
    from moto.core.base_backend import BackendDict, BaseBackend, backend_lock

    with backend_lock:
        for backends in BackendDict._instances:
            if getattr(backends.backend, "reset", None) is BaseBackend.reset:
                backends.clear()


class _HeadersOnlyEmail:
    """The `email` module as moto's SES models see it: `message_from_string` parses the headers only."""

    def __getattr__(self, name: str) -> Any:
        import email

        return getattr(email, name)

    @staticmethod
    def message_from_string(text: str, *args: Any, **kwargs: Any) -> Any:
        from email.parser import Parser

        return Parser(*args, **kwargs).parsestr(text, headersonly=True)


@contextlib.contextmanager
def _ses_parses_headers_only() -> Iterator[None]:
    """moto's `send_raw_email` parses the whole MIME message (Deliver's carries the report as a base64
    attachment: ~1.5 ms a message, in the process that answers every call) and then reads only its From, To,
    Cc and Bcc headers. The same parser with `headersonly=True` gives the same headers; the body is kept
    unparsed, and moto stores the raw text it was given either way."""
    import moto.ses.models as ses_models

    with mock.patch.object(ses_models, "email", _HeadersOnlyEmail()):
        yield


def _enrich_only_xml(enrich: Any) -> Any:
    """moto's `_enrich_response` (it sets the status and request id headers, then substitutes the request id
    into an XML body with a regex scan of the whole body) without the scan where there is no `<RequestId>`:
    on any other str body `re.sub` changes nothing, on bytes it fails and moto ignores that."""

    def enriched(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        if isinstance(body, str) and "<RequestId>" in body:
            return enrich(headers, body)
        return enrich(headers, "")[0], body

    return staticmethod(enriched)


@contextlib.contextmanager
def botocore_client_cached() -> Iterator[None]:
    """The botocore side only (endpoint parameters, timestamps, form encoding, loaders, User-Agent): what a
    handler worker process, which has no moto, installs (`tapgate.sim.handler_worker`)."""
    from botocore import awsrequest, parsers
    from botocore.regions import EndpointRulesetResolver

    get_provider_params = EndpointRulesetResolver._get_provider_params
    unread = _unreferenced_endpoint_parameters("s3")

    def provider_params(resolver: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        params = get_provider_params(resolver, *args, **kwargs)
        for name in unread if resolver._service_model.endpoint_prefix == "s3" else ():
            params.pop(name, None)
        return params

    with contextlib.ExitStack() as stack:
        stack.enter_context(
            mock.patch.object(EndpointRulesetResolver, "_get_provider_params", provider_params)
        )
        stack.enter_context(mock.patch.object(parsers, "DEFAULT_TIMESTAMP_PARSER", fast_timestamp))
        stack.enter_context(mock.patch.object(awsrequest, "urlencode", fast_urlencode))
        stack.enter_context(_botocore_loaders_shared())
        stack.enter_context(_user_agent_components_kept())
        yield


_ATOMS = frozenset({str, int, float, bool, type(None)})


def json_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """copy.deepcopy(value, memo) for JSON-shaped values: exact dicts and lists are copied here (a value met
    twice is copied once, as deepcopy's memo does), atoms are returned as they are (deepcopy returns them
    too), anything else is copy.deepcopy's, with the same memo."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is not dict and kind is not list:
        return copy.deepcopy(value, memo)
    if memo is None:
        memo = {}
    done = memo.get(id(value))
    if done is not None:
        return done
    if kind is list:
        copied: Any = []
        memo[id(value)] = copied
        copied.extend([json_deepcopy(item, memo) for item in value])
    else:
        copied = {}
        memo[id(value)] = copied
        for key, item in value.items():
            copied[json_deepcopy(key, memo)] = json_deepcopy(item, memo)
    return copied


_INTERPRETER_MODULES = (  # the modules of moto's ASL interpreter that copy state data per state
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.environment",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
)


@contextlib.contextmanager
def _interpreter_copies_json() -> Iterator[None]:
    """Each module above refers to `copy.deepcopy` through its own `copy` name (checked: nothing else of
    `copy`): that name becomes a namespace whose deepcopy is `json_deepcopy`, in those modules only."""
    import importlib
    import types

    fast = types.SimpleNamespace(deepcopy=json_deepcopy)
    with contextlib.ExitStack() as stack:
        for name in _INTERPRETER_MODULES:
            stack.enter_context(mock.patch.object(importlib.import_module(name), "copy", fast))
        yield


@contextlib.contextmanager
def _interpreter_keeps_clients_and_paths() -> Iterator[None]:
    """moto's interpreter creates a boto3 client for every Lambda task it runs (`boto_client_for`: ~4 ms,
    most of it reading the service's endpoint rule set into objects) and parses every JSONPath it evaluates
    with jsonpath_ng's yacc parser. Both are kept: a client per (region, service) while the stubber is on
    (botocore clients are thread-safe, and moto builds this one from constants and those two: fake keys,
    no retries, whatever the state's credentials), and
    the parsed expression per path text (`find` only reads it)."""
    import sys

    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils  # noqa: F401
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path

    create = boto_client.boto_client_for
    kept: dict[tuple, Any] = {}

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto 5.2.5 builds the client from region and service only (a state's Credentials are not read)
        key = (region, service, boto_client.botocore_stubber.enabled)
        client = kept.get(key)
        if client is None:
            client = kept[key] = create(region, service)
        return client

    users = [boto_client] + [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.") and getattr(module, "boto_client_for", None) is create
    ]
    with contextlib.ExitStack() as stack:
        for module in dict.fromkeys(users):
            stack.enter_context(mock.patch.object(module, "boto_client_for", boto_client_for))
        for module in (json_path, result_path):
            parse = functools.lru_cache(maxsize=4096)(module.parse)
            stack.enter_context(mock.patch.object(module, "parse", parse))
        yield


@contextlib.contextmanager
def _botocore_loaders_shared() -> Iterator[None]:
    """One botocore Loader per search path for every session created meanwhile (see the module docstring)."""
    import botocore.session

    create = botocore.session.create_loader
    with mock.patch.object(botocore.session, "create_loader", functools.lru_cache(maxsize=None)(create)):
        yield


@contextlib.contextmanager
def _user_agent_components_kept() -> Iterator[None]:
    from botocore import useragent

    sanitize = functools.lru_cache(maxsize=4096)(useragent.sanitize_user_agent_string_component)
    with mock.patch.object(useragent, "sanitize_user_agent_string_component", sanitize):
        yield


_SUBDOMAIN_ANSWER = "tapgate.sim.s3_subdomain_based_buckets"  # environ key: one request's kept answer


@contextlib.contextmanager
def _s3_subdomain_answer_kept() -> Iterator[None]:
    """`S3Response.subdomain_based_buckets(request)` once per request (kept in the request's WSGI environ,
    which lives exactly as long as the request); requests without an environ are asked every time."""
    from moto.s3.responses import S3Response

    ask = S3Response.subdomain_based_buckets

    def subdomain_based_buckets(request: Any) -> bool:
        environ = getattr(request, "environ", None)
        if not isinstance(environ, dict):
            return ask(request)
        if _SUBDOMAIN_ANSWER not in environ:
            environ[_SUBDOMAIN_ANSWER] = ask(request)
        return environ[_SUBDOMAIN_ANSWER]

    with mock.patch.object(S3Response, "subdomain_based_buckets", staticmethod(subdomain_based_buckets)):
        yield


def _unreferenced_endpoint_parameters(service: str) -> frozenset[str]:
    """The parameters of the service's endpoint rule set that no rule or condition refers to."""
    import botocore.session

    ruleset = (
        botocore.session.get_session()
        .get_component("data_loader")
        .load_service_model(service, "endpoint-rule-set-1")
    )
    text = json.dumps(ruleset["rules"])
    return frozenset(
        name for name in ruleset["parameters"] if f'"ref": "{name}"' not in text and f"{{{name}}}" not in text
    )


_RFC1123 = re.compile(r"[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


def fast_timestamp(value: Any) -> dt.datetime:
    """botocore's `parse_timestamp`, with RFC 1123 dates read without dateutil's general parser."""
    from botocore.utils import parse_timestamp
    from dateutil.tz import tzutc

    match = _RFC1123.fullmatch(value) if isinstance(value, str) else None
    if match:
        day, month, year, hour, minute, second = match.groups()
        if month in _MONTHS:
            return dt.datetime(
                int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=tzutc()
            )
    return parse_timestamp(value)


_UNSAFE_TEXT = re.compile(r"[^A-Za-z0-9_.~-]")  # not urllib's always-safe characters (quote_plus: safe="")
_UNSAFE_BYTES = re.compile(rb"[^A-Za-z0-9_.~-]")
_ESCAPED = {b: b"+" if b == 0x20 else f"%{b:02X}".encode("ascii") for b in range(256)}


def _quote_plus(text: str) -> str:
    """urllib.parse.quote_plus(text) for a str: a few str.replace calls when the characters to escape are
    ASCII (base64 has three kinds), else the UTF-8 bytes escaped by a table."""
    unsafe = set(_UNSAFE_TEXT.findall(text))
    if not unsafe:
        return text
    if all(ord(c) < 128 for c in unsafe):
        if "%" in unsafe:  # first: the escapes below bring their own '%'
            text = text.replace("%", "%25")
        for char in sorted(unsafe - {"%", " "}):
            text = text.replace(char, f"%{ord(char):02X}")
        return text.replace(" ", "+") if " " in unsafe else text
    return _UNSAFE_BYTES.sub(lambda m: _ESCAPED[m[0][0]], text.encode("utf-8")).decode("ascii")


def _quote_plus_bytes(data: bytes) -> str:
    """urllib.parse.quote_plus(data) for bytes: ASCII bytes quote as the same text does (UTF-8 of ASCII is
    itself), other bytes are escaped by the table."""
    if data.isascii():
        return _quote_plus(data.decode("ascii"))
    return _UNSAFE_BYTES.sub(lambda m: _ESCAPED[m[0][0]], data).decode("ascii")


def _quote_plus_any(value: str | bytes) -> str:
    return _quote_plus(value) if isinstance(value, str) else _quote_plus_bytes(value)


def fast_urlencode(query: Any, doseq: bool = False, *args: Any, **kwargs: Any) -> str:
    """urllib.parse.urlencode for a dict or list of str or bytes pairs. botocore's `_prepare_body` hands it
    the query serializer's pairs encoded to UTF-8 bytes (`_to_utf8`), so bytes are the case that matters."""
    from urllib.parse import urlencode

    pairs = list(query.items()) if isinstance(query, dict) else query
    if args or kwargs or not all(isinstance(k, str | bytes) and isinstance(v, str | bytes) for k, v in pairs):
        return urlencode(query, doseq, *args, **kwargs)
    return "&".join(f"{_quote_plus_any(k)}={_quote_plus_any(v)}" for k, v in pairs)


def _random_hex(rng: Any, length: int = 8) -> str:
    return "".join(rng.choices("0123456789abcdef", k=length))


def _random_string(rng: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
    pool = string.ascii_letters + (string.digits if include_digits else "")
    text = "".join(rng.choices(pool, k=length))
    return text.lower() if lower_case else text


def _request_built_directly(original: Any) -> Any:
    """moto's `Request.from_primitives`, with the WSGI environ written out instead of built by werkzeug's
    `EnvironBuilder` (~0.4 ms a call, most of it copying the headers through werkzeug's `Headers` three
    times). The environ is the one `EnvironBuilder.get_environ` gives for what moto passes it (a base URL
    without a path, a path without a query, a bytes body, str headers): every key, value and the body,
    checked on every request of a simulated day by tests/unit/sim/test_dispatch_caches.py. Anything else
    (a multipart or form content type, a header werkzeug would refuse) goes to moto's own."""
    import sys
    from collections import defaultdict
    from io import BytesIO
    from urllib.parse import unquote, urlparse, urlsplit

    from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, environ_key_for_header
    from moto.core.request import should_preserve_original_header_name as preserved
    from werkzeug.urls import iri_to_uri

    def dance(text: str) -> str:
        return text.encode().decode("latin1")

    def from_primitives(cls: Any, method: str, url: str, headers: Any, body: Any = None) -> Any:
        streamed = hasattr(body, "read")
        if streamed:  # a stream (or botocore's chunked wrapper): werkzeug reads it whole too
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, bytes | None) or not hasattr(headers, "items"):
            return original.__func__(cls, method, url, headers, body)
        items = [
            (key, value.decode("utf-8") if isinstance(value, bytes) else value)
            for key, value in headers.items()
            if key.lower() != "transfer-encoding"
        ]
        content_type = next((value for key, value in items if key.lower() == "content-type"), None)
        if any(not isinstance(v, str) or "\n" in v or "\r" in v for _, v in items) or (
            content_type is not None
            and content_type.split(";")[0].strip().lower()
            in ("multipart/form-data", "application/x-www-form-urlencoded")
        ):
            return original.__func__(cls, method, url, headers, body)
        parsed = urlparse(url)
        host = iri_to_uri(f"{parsed.scheme}://{parsed.netloc}").split("://", 1)[1]
        server_name, sep, port = host.partition(":")
        server_port = int(port) if sep and port.isdigit() else (443 if parsed.scheme == "https" else 80)
        data = body or b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": dance(unquote(iri_to_uri(urlsplit(parsed.path).path))),
            "QUERY_STRING": dance(parsed.query),
            "REQUEST_URI": dance(parsed.path),
            "RAW_URI": dance(parsed.path),
            "SERVER_NAME": server_name,
            "SERVER_PORT": str(server_port),
            "HTTP_HOST": host,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parsed.scheme,
            "wsgi.input": BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if data or streamed:  # werkzeug measures any stream it was given, even an empty one
            environ["CONTENT_LENGTH"] = str(len(data))
        combined: dict[str, list[str]] = defaultdict(list)
        for key, value in items:
            if key.lower() not in ("content-type", "content-length"):
                combined[f"HTTP_{key.upper().replace('-', '_')}"].append(value)
        for key, values in combined.items():
            environ[key] = ", ".join(values)
        request = cls(environ)
        request.environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {
            environ_key_for_header(key): key for key, _ in items if preserved(key)
        }
        request.environ.setdefault("CONTENT_LENGTH", "0")
        return request

    return classmethod(from_primitives)
