"""`tapgate report FILE.json`: re-render a stored result without re-running the engines."""

from __future__ import annotations

import sys
from pathlib import Path

from tapgate.errors import EXIT_OK, UsageError

FORMAT_CHOICES = ("markdown", "html", "pdf", "json")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="re-render a stored result (tapgate check --format json) as Markdown, HTML or PDF",
        description="Re-render a stored tapgate result as an auditor report, without re-running the engines.",
    )
    parser.add_argument(
        "result", metavar="FILE.json", help="a result written by `tapgate check --format json`"
    )
    parser.add_argument("--format", choices=FORMAT_CHOICES, default="markdown", help="default: markdown")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument(
        "--report-dir",
        metavar="DIR",
        help="write every format check --report-dir writes (gate.md .html .pdf .json .sarif .xml .txt)",
    )
    parser.set_defaults(func=run_report)


def run_report(args) -> int:
    from tapgate.report import render, write_report_dir
    from tapgate.report.load import load_result

    result = load_result(args.result)
    if args.report_dir:
        written = write_report_dir(result, args.report_dir)
        for warning in written.warnings:
            print(f"tapgate: warning: {warning}", file=sys.stderr)
        for path in written.files:
            print(path)
        if not args.output:
            return EXIT_OK
    if args.format == "pdf" and not args.output:
        raise UsageError("--format pdf writes binary: give -o FILE or --report-dir DIR")
    content = render(result, args.format)
    if args.output:
        _write(Path(args.output), content)
    else:
        sys.stdout.write(str(content))
    return EXIT_OK


def _write(target: Path, content: str | bytes) -> None:
    from tapgate.errors import InputError

    try:
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror}", str(target)) from None
