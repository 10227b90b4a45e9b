"""CPU per report of generate + validate (issue 3: under 5 ms per report, measured over 2,000 reports).

    python bench/bench_lambdas.py [--reports 2000] [--runs 3] [--handler-reports 200] [--write-docs]

Two measures, CPU time of this process (`time.process_time`), medians over `--runs`:

- `logic`: what the two handlers compute per report, on a seeded day of `--reports` reports across every
  pack (with the seed's default 5 % of bad data, oversized reports included): render to the pack's format,
  SHA-256, read the bytes back, and apply the pack's rules. No I/O: this is the figure the target is about;
- `handlers`: `generate.lambda_handler` then `validate.lambda_handler` on `--handler-reports` reports, in
  batches of 25, on moto with the Data API served by a real PostgreSQL (tapgate.sim). It includes boto3,
  moto's emulation of S3 and rds-data, and the bridge (psycopg), all in this process; PostgreSQL's own CPU
  is another process and not counted. It shows what the emulation costs, not what Lambda would bill.

Timing is never asserted in tests; `--write-docs` rewrites the "Lambdas" section of docs/benchmarks.md with
the table, the command and the machine (bench/_common.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import time

from _common import REPO, describe_machine, measured_lines, publish, spread_cells

sys.path.insert(0, str(REPO / "lambdas"))
TARGET_MS = 5.0


def logic_run(data, now: dt.datetime) -> tuple[float, int]:
    """CPU seconds for render + checksum + parse + validate of every seeded report, and how many failed."""
    from tapcommon.packs import load_pack
    from tapcommon.render import file_name, parse, render
    from tapcommon.rules import ReportFacts, is_blocking, validate_report

    records_of: dict[str, list] = {}
    for report_id, _, record in data.rows:
        records_of.setdefault(report_id, []).append(record)
    quarantined = 0
    started = time.process_time()
    for job in data.jobs:
        pack = load_pack(job["jurisdiction"])
        report_type = pack.report_type(job["report_type"])
        seq = int(job["report_id"].rsplit("-", 1)[1])
        name = file_name(report_type, job["header"], data.business_date, seq)
        body = render(report_type, job["header"], records_of[job["report_id"]])
        hashlib.sha256(body).hexdigest()
        header, records = parse(report_type.format, body)
        facts = ReportFacts(
            file_name=name, size=len(body), business_date=data.business_date, now=now, due_at=job["due_at"]
        )
        quarantined += is_blocking(validate_report(pack, report_type, header, records, facts))
    return time.process_time() - started, quarantined


def handlers_run(reports: int, business_date: dt.date) -> float:
    """CPU seconds for the generate and validate handlers on `reports` reports (moto + real PostgreSQL)."""
    import boto3
    from moto import mock_aws

    from tapgate.sim.dataapi import data_api_bridge
    from tapgate.sim.postgres import running_postgres
    from tapgate.sim.seed import SeedSpec, generate_seed, insert_with_psycopg

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "tapstack",
            "POWERTOOLS_METRICS_NAMESPACE": "TapStack",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "DB_CLUSTER_ARN": "arn:aws:rds:us-east-1:1:cluster:c",
            "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s",
            "DB_NAME": "tapstack",
            "WORK_BUCKET": "bench-work",
        }
    )
    import generate
    import plan
    import validate
    from tapcommon.aws import reset_clients
    from tapcommon.migrations import apply_migrations

    with running_postgres() as pg, mock_aws(), data_api_bridge(pg.dsn), open(os.devnull, "w") as quiet:
        reset_clients()
        from tapcommon.db import Database

        apply_migrations(Database.from_env())
        insert_with_psycopg(pg.dsn, generate_seed(SeedSpec(business_date=business_date, reports=reports)))
        os.environ["KMS_KEY_ARN"] = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
        boto3.client("s3").create_bucket(Bucket="bench-work")
        ids = plan.due_report_ids(Database.from_env(), business_date)
        batches = plan.make_batches(business_date, ids)
        context = _Context()
        stdout, sys.stdout = sys.stdout, quiet  # the handlers' EMF lines would swamp the table
        try:
            started = time.process_time()
            for batch in batches:
                event = {"run_id": "bench", "business_date": business_date.isoformat(), "batch": batch}
                validate.lambda_handler(generate.lambda_handler(event, context), context)
            return time.process_time() - started
        finally:
            sys.stdout = stdout
            reset_clients()


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:1:function:bench"
    aws_request_id = "bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def table(
    logic: list[float], reports: int, quarantined: int, handlers: list[float], handler_reports: int
) -> list:
    lines = ["| measure | reports | median CPU per report (ms) | min | max |", "|---|---:|---:|---:|---:|"]
    per = [1000 * s / reports for s in logic]
    lines.append(f"| logic: render + SHA-256 + parse + rules | {reports} | {spread_cells(per, 2)} |")
    if handlers:
        per_h = [1000 * s / handler_reports for s in handlers]
        lines.append(
            f"| handlers on moto + PostgreSQL (generate + validate) | {handler_reports} | "
            f"{spread_cells(per_h, 2)} |"
        )
    verdict = "within" if statistics.median(per) < TARGET_MS else "OVER"
    lines += [
        "",
        f"Logic median {verdict} the {TARGET_MS:g} ms per report target over {len(logic)} runs "
        f"({quarantined} of {reports} reports quarantined by the rules, as seeded).",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--handler-reports", type=int, default=200, help="0 skips the handler measure")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)

    from tapgate.sim.seed import SeedSpec, generate_seed

    business_date = dt.date(2026, 11, 26)
    now = dt.datetime(2026, 11, 27, 5, tzinfo=dt.UTC)  # before every pack's deadline for that date
    data = generate_seed(SeedSpec(business_date=business_date, reports=args.reports))
    before = describe_machine()
    logic, quarantined = [], 0
    for _ in range(args.runs):
        seconds, quarantined = logic_run(data, now)
        logic.append(seconds)
    handlers = [
        handlers_run(args.handler_reports, business_date)
        for _ in range(args.runs if args.handler_reports else 0)
    ]
    after = describe_machine()
    shown = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write-docs"]
    command = " ".join(["python bench/bench_lambdas.py", *shown])
    body = "\n".join(
        [
            *measured_lines(command, "", before, after),
            "CPU time (`time.process_time`) of the benchmark process; bench/bench_lambdas.py says what each "
            "row covers.",
            "",
            *table(logic, args.reports, quarantined, handlers, args.handler_reports),
        ]
    )
    publish(body, "Lambdas", args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
