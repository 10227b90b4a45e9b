"""`tapgate crosscheck [TEMPLATE] [--code DIR] [--reports-per-day N] [--format text|json]`."""

from __future__ import annotations

import argparse

from tapgate.errors import EXIT_FINDINGS, EXIT_OK, UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "crosscheck",
        help="least privilege from the code, template/code drift, scale budgets and monthly cost",
        description="Cross-check a template against its Lambda code (exit 1 on any FAIL).",
    )
    parser.add_argument("template", nargs="?", default="TapStack.json")
    parser.add_argument(
        "--code", metavar="DIR", help="the Lambda code (default: lambdas/ beside the template)"
    )
    parser.add_argument("--reports-per-day", type=_positive_int, default=2_000)
    parser.add_argument(
        "--ses-rate", type=float, default=14.0, help="SES sending quota per second (default 14)"
    )
    parser.add_argument("--deadline-minutes", type=float, default=45.0)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from tapgate import template as templates
    from tapgate.crosscheck import check
    from tapgate.crosscheck.context import CrossContext
    from tapgate.crosscheck.cost import estimate_monthly_cost
    from tapgate.crosscheck.suppress import apply_inline
    from tapgate.model import Status

    if args.code and not Path(args.code).is_dir():
        raise UsageError(f"--code {args.code}: not a directory")
    tpl = templates.load(args.template)
    code = Path(args.code) if args.code else Path(args.template).resolve().parent / "lambdas"
    ctx = CrossContext(
        tpl, code if code.is_dir() else None, args.reports_per_day, args.ses_rate, args.deadline_minutes
    )
    findings = apply_inline(check(ctx), tpl.data)
    cost = estimate_monthly_cost(tpl.data, args.reports_per_day)
    failed = [f for f in findings if f.status is Status.FAIL]
    if args.format == "json":
        payload = {"findings": [f.model_dump(mode="json") for f in findings], "cost_estimate": cost}
        print(json.dumps(payload, indent=2))
    else:
        _print_text(findings, cost)
    return EXIT_FINDINGS if failed else EXIT_OK


def _print_text(findings, cost) -> None:
    from tapgate.model import Status

    order = {Status.FAIL: 0, Status.SUPPRESSED: 1, Status.SKIP: 2, Status.PASS: 3}
    for f in sorted(findings, key=lambda f: (order.get(f.status, 3), f.rule, f.resource or "")):
        where = f.code_location or (f"{f.file}:{f.line}" if f.line else f.file)
        print(f"{f.status.value:10} {f.rule:27} {f.resource or '-':28} {where}: {f.message}")
        if f.reason and f.status is not Status.PASS:
            print(f"{'':10} reason: {f.reason}")
    counts = {s.value: sum(1 for f in findings if f.status is s) for s in Status}
    print(
        f"{counts['FAIL']} failed, {counts['SUPPRESSED']} suppressed, {counts['PASS']} passed, "
        f"{counts['SKIP']} skipped; monthly cost ≈ ${cost['total']:,.2f} at {cost['reports_per_day']:,} "
        f"reports/day (prices of {cost['date']}, {cost['region']})"
    )
