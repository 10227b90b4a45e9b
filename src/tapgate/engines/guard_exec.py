"""Run cfn-guard as a few concurrent processes over projected templates, and merge their answers into the
report list one plain `cfn-guard validate` over the full templates would give.

Each process is checked as the single run was: a documented exit code, a JSON list, one report per data file
it was given. Report names are mapped back to the engine's input files, so findings and lines are those of
the real templates. A template that is not JSON (YAML) is given whole to every group: it is not projected.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

from tapgate.engines.base import EngineOutput, Started, load_json, unparseable
from tapgate.engines.guard_plan import Group, bytes_by_type, classify, plan, project, rule_files
from tapgate.errors import EngineError

GROUPS_PER_WORKER = 3  # a few more groups than workers: balance without many processes
SEVERITY = {"SKIP": 0, "PASS": 1, "FAIL": 2}


def run_projected(
    engine: str,
    exe: list[str],
    rule_dirs: list[Path],
    inputs: list[str],
    ok_codes: set[int],
    timeout_s: float,
) -> tuple[str, list[list[str]]]:
    """The merged JSON report list (names = `inputs`), and the commands that ran."""
    return ProjectedRun(engine, exe, rule_dirs, inputs, timeout_s).finish(ok_codes)


class ProjectedRun:
    """The groups' processes, the first `workers` of them launched at once (on the caller's thread, before
    the gate imports what its own checks need), the others as those end (`finish`)."""

    def __init__(
        self, engine: str, exe: list[str], rule_dirs: list[Path], inputs: list[str], timeout_s: float
    ) -> None:
        self.engine, self.inputs, self.timeout_s = engine, inputs, timeout_s
        self.deadline = time.monotonic() + timeout_s
        self.workers = max(1, min(os.cpu_count() or 1, 8))
        templates = {path: _load_json_template(path) for path in inputs}
        projectable = [t for t in templates.values() if t is not None]
        type_bytes, base_bytes = bytes_by_type(projectable)
        types, weights = classify(rule_files(rule_dirs))
        groups = plan(types, type_bytes, base_bytes, self.workers * GROUPS_PER_WORKER, weights, self.workers)
        self.scratch = tempfile.TemporaryDirectory(prefix="tapgate-guard-")
        self.jobs = [_job(exe, g, n, templates, Path(self.scratch.name)) for n, g in enumerate(groups)]
        self.launched: dict[int, Started] = {}
        try:
            for number, (command, _) in enumerate(self.jobs[: self.workers]):
                self.launched[number] = Started(engine, command)
        except BaseException:
            self._abandon()
            raise

    def finish(self, ok_codes: set[int]) -> tuple[str, list[list[str]]]:
        """Wait for every group (launching the rest as slots free up); the first failure wins."""
        try:
            outputs = self._await_all(ok_codes)
        finally:
            self._abandon()
        answers = [(out, data) for out, (_, data) in zip(outputs, self.jobs, strict=True)]
        return json.dumps(_merge(self.engine, answers, self.inputs)), [cmd for cmd, _ in self.jobs]

    def _await_all(self, ok_codes: set[int]) -> list[EngineOutput]:
        def one(number: int) -> EngineOutput:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise EngineError(self.engine, f"timed out after {self.timeout_s:g}s")
            started = self.launched.get(number) or Started(self.engine, self.jobs[number][0])
            self.launched[number] = started
            return started.finish(ok_codes, left)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="guard") as pool:
            futures = [pool.submit(one, number) for number in range(len(self.jobs))]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in futures if f in done and f.exception()), None)
            if failed is not None:
                for future in futures:
                    future.cancel()
                self._abandon()  # the groups still running are not waited for
                raise failed.exception()  # type: ignore[misc]
            return [future.result() for future in futures]

    def _abandon(self) -> None:
        """Kill whatever still runs and drop the projected copies."""
        for started in list(self.launched.values()):
            started.kill()
        self.scratch.cleanup()


def _load_json_template(path: str) -> dict | None:
    """The template as cfn-guard reads it, if it is JSON; None (not projected) otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if text.lstrip().startswith("{") else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _job(
    exe: list[str], group: Group, number: int, templates: dict[str, dict | None], scratch: Path
) -> tuple[list[str], dict[str, str]]:
    """The command of one group and its data files (data file -> the engine input it stands for)."""
    data: dict[str, str] = {}
    for index, (path, template) in enumerate(templates.items()):
        if template is None or group.types is None:
            data[path] = path
            continue
        copy = scratch / f"g{number}-{index}-{Path(path).stem}.json"
        copy.write_text(json.dumps(project(template, group.types)), encoding="utf-8")
        data[str(copy)] = path
    rules = [arg for rule in group.rule_files for arg in ("-r", str(rule))]
    args = [arg for file in data for arg in ("-d", file)]
    command = [*exe, "validate", *rules, *args, "-o", "json", "--structured", "--show-summary", "none"]
    return command, data


def _merge(engine: str, answers: list[tuple[EngineOutput, dict[str, str]]], inputs: list[str]) -> list[dict]:
    """One report per input: every group's compliant / not_applicable / not_compliant put together. An input
    that some group did not report on is left out, so the engine's parse fails it as not reported."""
    merged = {path: _empty_report(path) for path in inputs}
    missing: set[str] = set()
    for output, data in answers:
        reports = load_json(engine, output.stdout)
        if not isinstance(reports, list):
            raise unparseable(engine, "expected a JSON list with one report per template", output.stdout)
        seen = set()
        for report in reports:
            name = report.get("name") if isinstance(report, dict) else None
            source = _source(name, data)
            if source is None:
                raise unparseable(engine, f"a report for a file it was not given: {name!r}", str(report))
            seen.add(source)
            _add(engine, merged[source], report)
        missing |= set(data.values()) - seen
    return [merged[path] for path in inputs if path not in missing]


def _empty_report(name: str) -> dict:
    return {
        "name": name,
        "metadata": {},
        "status": "SKIP",
        "not_compliant": [],
        "not_applicable": [],
        "compliant": [],
    }


def _source(name: object, data: dict[str, str]) -> str | None:
    if not isinstance(name, str):
        return None
    if name in data:
        return data[name]
    resolved = Path(name).resolve()
    return next((source for file, source in data.items() if Path(file).resolve() == resolved), None)


def _add(engine: str, into: dict, report: dict) -> None:
    for key in ("not_compliant", "not_applicable", "compliant"):
        value = report.get(key)
        if not isinstance(value, list):
            raise unparseable(engine, f"report without a {key} list", str(report))
        into[key] += value
    status = report.get("status")
    if SEVERITY.get(status, -1) > SEVERITY[into["status"]]:
        into["status"] = status
