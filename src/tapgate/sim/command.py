"""`tapgate simulate`: run a business day of TapStack locally and say what happened.

    tapgate simulate --reports 2000 [--date 2026-11-26] [--faults ses-throttle=3,crash@2]
                     [--format text|json] [-o FILE] [--evidence]

Exit codes: 0 every invariant holds; 1 at least one invariant failed (the report says which);
2 bad usage; 3 the simulation itself could not run (no PostgreSQL, the stack did not deploy …).
`--evidence` writes the JSON result to `reports/simulation.json`, where the gate reads it as the
auditor report's flow evidence (`GateResult.flow_evidence`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from tapgate.errors import EXIT_FINDINGS, EXIT_OK, EngineError, UsageError

EVIDENCE_PATH = Path("reports") / "simulation.json"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a business day on moto with the real handlers and a real PostgreSQL",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--reports", type=int, default=200, help="reports due that day (default 200)")
    parser.add_argument("--date", help="business date YYYY-MM-DD (default: the weekday before today)")
    parser.add_argument("--faults", default="", help="fault plan, e.g. ses-throttle=3,s3-5xx@2+9,crash@5")
    parser.add_argument("--bad-fraction", type=float, default=0.05, help="share of seeded bad reports")
    parser.add_argument("--seed", type=int, default=20261127, help="seed of the generated data and faults")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("-o", "--output", help="also write the JSON result to this file")
    parser.add_argument("--evidence", action="store_true", help=f"write the JSON result to {EVIDENCE_PATH}")
    parser.add_argument("--template", help="template (default: TapStack.json of the checkout)")
    parser.add_argument("--lambdas", help="handler code directory (default: lambdas/ of the checkout)")
    parser.add_argument(
        "--workers",
        type=int,
        help="handler worker processes (default: 3 on a machine with 2 or more cores; 0 runs the handlers "
        "in this process, one at a time)",
    )
    parser.set_defaults(func=run)


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r}: expected YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    from tapgate.sim.faults import FaultPlan

    if args.reports < 1:
        raise UsageError("--reports must be at least 1")
    if args.workers is not None and args.workers < 0:
        raise UsageError("--workers must be 0 or more")
    faults = FaultPlan.parse(args.faults, horizon=args.reports, seed=args.seed)
    result = simulate(
        args.reports,
        _date(args.date),
        faults,
        Path(args.template) if args.template else None,
        Path(args.lambdas) if args.lambdas else None,
        args.bad_fraction,
        args.seed,
        progress=sys.stderr.isatty(),
        workers=args.workers,
    )
    text = json.dumps(result, indent=2, sort_keys=False, default=str)
    for path in filter(None, (args.output, EVIDENCE_PATH if args.evidence else None)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n", encoding="utf-8")
    if args.format == "json":
        print(text)
    else:
        from tapgate.sim.render import render_text

        render_text(result)
    return EXIT_OK if result["ok"] else EXIT_FINDINGS


def simulate(
    reports: int,
    business_date: dt.date | None,
    faults: Any,
    template: Path | None,
    lambdas: Path | None,
    bad_fraction: float,
    seed: int,
    progress: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run one business day and return its JSON result; setup failures become EngineError (exit 3)."""
    from tapgate.sim.day import BusinessDay

    for path, what in ((template, "template"), (lambdas, "lambdas directory")):
        if path is not None and not path.exists():
            raise UsageError(f"{path}: {what} not found")
    try:
        day = BusinessDay(reports, business_date, faults, template, lambdas, bad_fraction, seed, workers)
        with _progress(progress, day) as status, day:
            status("executing the daily run")
            outcome = day.run()
            return day.result(outcome)
    except (UsageError, KeyboardInterrupt):
        raise
    except Exception as err:  # whatever broke, the simulation did not run: fail closed (exit 3)
        raise EngineError(
            "simulate", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        ) from err


def _progress(enabled: bool, day: Any) -> Any:
    """A rich status line on a terminal (stage, handler invocations so far); nothing otherwise."""
    import contextlib

    if not enabled:
        return contextlib.nullcontext(lambda text: None)
    from tapgate.sim.render import live_status

    return live_status(day)
