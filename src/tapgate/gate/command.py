"""`tapgate check [TEMPLATE ...]`: the fail-closed gate (exit 0 pass, 1 findings, 2 bad input, 3 engine).

`register` stays cheap (no engine, parser or pydantic import); a cache hit is served without them too.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import shlex
import sys

from tapgate.gate.options import FORMATS, CheckOptions, parse_engine_command


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="gate templates on cfn-lint, checkov, cfn-guard and tapgate's checks",
        description=__doc__,
    )
    parser.add_argument("templates", nargs="*", metavar="TEMPLATE", help="default: ./TapStack.json")
    parser.add_argument("--format", "-f", dest="fmt", choices=FORMATS, default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    parser.add_argument("--report-dir", metavar="DIR", help="also write every format into DIR")
    parser.add_argument("--strict", action="store_true", help="ignore every inline suppression (auditors)")
    parser.add_argument("--fast", action="store_true", help="cfn-guard and tapgate's own checks only")
    parser.add_argument("--no-cache", action="store_true", help="run every engine even on unchanged inputs")
    parser.add_argument("--engines", metavar="LIST", help="comma-separated subset of engines to run")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS", help="per engine (300)")
    parser.add_argument(
        "--guard-bin", metavar="PATH", help="the cfn-guard binary (else $CFN_GUARD_PATH, PATH)"
    )
    parser.add_argument("--control-tower", action="store_true", help="add the AWS Control Tower rule pack")
    parser.add_argument(
        "--policies",
        metavar="DIR",
        help="policies/ directory (default: found upwards), or 'bundled': the copy installed with tapgate",
    )
    parser.add_argument(
        "--engine-command",
        action="append",
        default=[],
        metavar="NAME=CMD",
        help="run CMD instead of an engine's executable (tests, pinned installs)",
    )
    parser.set_defaults(func=run)


def options_from(args: argparse.Namespace) -> CheckOptions:
    argv = sys.argv[1:] if sys.argv[1:2] == ["check"] else ["check", *args.templates]  # else: a library call
    return CheckOptions(
        templates=args.templates or ["TapStack.json"],
        fmt=args.fmt,
        output=args.output,
        report_dir=args.report_dir,
        strict=args.strict,
        fast=args.fast,
        no_cache=args.no_cache,
        engines=[e.strip() for e in args.engines.split(",") if e.strip()] if args.engines else None,
        timeout_s=args.timeout,
        guard_bin=args.guard_bin,
        control_tower=args.control_tower,
        engine_commands=dict(parse_engine_command(spec) for spec in args.engine_command),
        policies=args.policies,
        command="tapgate " + shlex.join(argv),
    )


def run(args: argparse.Namespace) -> int:
    from tapgate.engines.base import set_own_env
    from tapgate.gate.session import check_session

    # tapgate's models need no pydantic plugin, and looking for plugins reads the entry points of every
    # installed distribution when the first model is built: ~0.1 s of CPU in a full environment (issue 8)
    set_own_env("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # A gate run is short and what it builds dies with it: the cyclic collector's passes over the imports'
    # objects cost ~0.05 s CPU in the run and its last full collection ~0.04 s at exit, for nothing.
    # Paused for the run (resumed after, for library callers), and the exit's collection skips them.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return check_session(options_from(args))
    finally:
        if collecting:
            gc.enable()
