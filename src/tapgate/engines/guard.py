"""cfn-guard (the real binary) over every template and rule pack, with the verdicts of
`cfn-guard validate -r policies/guard [-r control-tower] -d T ... -o json --structured --show-summary none`
(the command recorded), run as a few concurrent processes, each rule file on a copy of the templates reduced
to the resource types it reads (guard_exec; docs/gate.md "Speed").

Exit 0 is compliant and 19 is not; 5 (a rule does not parse) and anything else is a failure. A failing
clause becomes a FAIL on the resource its path points into; compliant and not-applicable rules become a
template-wide PASS or SKIP. Rules of the Control Tower pack are reported as engine `control-tower` under
their file's id (ct-s3-pr-10).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tapgate.engines.base import EngineContext, EngineOutput, load_json, run_process, unparseable
from tapgate.engines.inline import inline_suppressions
from tapgate.engines.provision import find_guard
from tapgate.errors import EngineError

if TYPE_CHECKING:
    from tapgate.engines.guard_exec import ProjectedRun
    from tapgate.model import Finding

OK_CODES = {0, 19}
RULE_DEF = re.compile(r"^\s*rule\s+([A-Za-z_][\w]*)\s+when\b", re.MULTILINE)
VIOLATION = re.compile(r"(?:Violation:|\[CT\.[^\]]*\]:)\s*(.+?)(?=(?:Fix:|\[FIX\]:)|\Z)", re.DOTALL)
LINE_MARK = re.compile(r"\[L:\d+,C:\d+\]")
FIX = re.compile(r"(?:Fix:|\[FIX\]:)\s*(.+)", re.DOTALL)


class GuardEngine:
    name = "cfn-guard"

    def __init__(self, projected: bool = True) -> None:
        self._ct_ids: dict[str, str] = {}
        self.projected = projected  # False: the one plain process of `command()` (the reference)
        self._launched: tuple[ProjectedRun, list[str], list[Path]] | BaseException | None = None

    def rule_dirs(self, ctx: EngineContext) -> list[Path]:
        rules = ctx.policies / "guard"
        if not any(rules.rglob("*.guard")):
            raise EngineError(self.name, f"no guard rules under {rules}")
        return [rules, *([ctx.control_tower] if ctx.control_tower else [])]

    def command(self, ctx: EngineContext) -> list[str]:
        return self._command(self._exe(ctx), self.rule_dirs(ctx), ctx)

    def _exe(self, ctx: EngineContext) -> list[str]:
        return ctx.commands.get(self.name) or [find_guard(ctx.guard_bin)]

    @staticmethod
    def _command(exe: list[str], rule_dirs: list[Path], ctx: EngineContext) -> list[str]:
        rules = [arg for rule_dir in rule_dirs for arg in ("-r", str(rule_dir))]
        data = [arg for path in ctx.input_files() for arg in ("-d", path)]
        return [*exe, "validate", *rules, *data, "-o", "json", "--structured", "--show-summary", "none"]

    def start(self, ctx: EngineContext) -> None:
        """Launch the projected run's first processes now; `run` waits for them. A failure to launch is
        kept and raised by `run`, where the gate records it like any engine failure."""
        if self.projected:
            try:
                self._launched = self._launch(ctx)
            except Exception as err:  # noqa: BLE001 - re-raised by run()
                self._launched = err

    def _launch(self, ctx: EngineContext) -> tuple[ProjectedRun, list[str], list[Path]]:
        from tapgate.engines.guard_exec import ProjectedRun

        exe, rule_dirs = self._exe(ctx), self.rule_dirs(ctx)  # once: the recorded command reuses them
        return ProjectedRun(self.name, exe, rule_dirs, ctx.input_files(), ctx.timeout_s), exe, rule_dirs

    def run(self, ctx: EngineContext) -> EngineOutput:
        """The projected run (guard_exec); its output is the report list `command()` would print."""
        if not self.projected:
            return run_process(self.name, self.command(ctx), OK_CODES, ctx.timeout_s)
        started = time.monotonic()
        launched, self._launched = self._launched or self._launch(ctx), None
        if isinstance(launched, BaseException):
            raise launched
        projected, exe, rule_dirs = launched
        stdout, _ = projected.finish(OK_CODES)
        command = self._command(exe, rule_dirs, ctx)
        return EngineOutput(self.name, command, 0, stdout, "", time.monotonic() - started)

    def parse(self, output: EngineOutput, ctx: EngineContext) -> list[Finding]:
        self._ct_ids = control_tower_ids(ctx.control_tower) if ctx.control_tower else {}
        reports = load_json(self.name, output.stdout)
        if not isinstance(reports, list) or (not reports and ctx.input_files()):
            raise unparseable(self.name, "expected a JSON list with one report per template", output.stdout)
        _every_input_reported(self.name, reports, ctx)
        findings: list[Finding] = []
        for report in reports:
            findings.extend(self._parse_report(report, ctx))
        if not ctx.strict:
            findings.extend(inline_suppressions(self.name, ctx.templates))
        return findings

    def _parse_report(self, report: dict, ctx: EngineContext) -> list[Finding]:
        try:
            tpl = ctx.template_for(report["name"])
            failing, compliant, skipped = (
                report["not_compliant"],
                report["compliant"],
                report["not_applicable"],
            )
        except (KeyError, TypeError) as err:
            raise unparseable(self.name, f"report without {err}", str(report)) from None
        file = tpl.path if tpl else report["name"]
        findings = [self._rule_level(rule, "PASS", file) for rule in compliant]
        findings += [self._rule_level(rule, "SKIP", file) for rule in skipped]
        for entry in failing:
            findings.extend(self._failures(entry.get("Rule") or {}, file))
        return findings

    def _engine_and_id(self, rule_name: str) -> tuple[str, str]:
        if rule_name in self._ct_ids:
            return "control-tower", self._ct_ids[rule_name]
        return self.name, rule_name

    def _rule_level(self, rule_name: str, status: str, file: str) -> Finding:
        from tapgate.model import Finding

        engine, rule = self._engine_and_id(rule_name)
        message = "no resource of the rule's type" if status == "SKIP" else "every resource complies"
        return Finding(engine=engine, rule=rule, file=file, status=status, message=message)

    def _failures(self, rule: dict, file: str) -> list[Finding]:
        """One FAIL per resource the rule failed on; every failing clause is kept in `extra.clauses`."""
        engine, rule_id = self._engine_and_id(str(rule.get("name", "")))
        by_resource: dict[str | None, list[tuple[str, str, str]]] = {}
        for path, custom, error, resource in _located(_clauses(rule, "")):
            by_resource.setdefault(resource, []).append((path, custom, error))
        if not by_resource:
            raise unparseable(self.name, f"rule {rule_id} failed without a located clause", str(rule))
        return [self._failure(engine, rule_id, file, res, clauses) for res, clauses in by_resource.items()]

    def _failure(self, engine: str, rule_id: str, file: str, resource, clauses: list) -> Finding:
        from tapgate.model import Finding

        violation, fix = next((_split_custom(c) for _, c, _ in clauses if c), ("", ""))
        path, _, error = clauses[0]
        return Finding(
            engine=engine,
            rule=rule_id,
            file=file,
            resource=resource,
            path=path,
            status="FAIL",
            severity="high",
            message=violation or _short(error) or f"{rule_id} failed",
            fix=fix,
            extra={"clauses": [{"path": p, "error": _unmarked(e)} for p, _, e in clauses]},
        )


def _short(error: str) -> str:
    """cfn-guard's own message without its [L:x,C:y] marks and echoed values."""
    return _unmarked(error).split(" Value traversed to")[0].strip()


def _unmarked(error: str) -> str:
    """Without [L:x,C:y]: they count lines of the file cfn-guard read (a projected copy); tapgate locates a
    finding from its path in the real template."""
    return LINE_MARK.sub("", error)


def _located(clauses):
    """(path, custom, error, resource) per clause. A clause with no path at all (cfn-guard's summary record
    `UnResolvedContext` of a filter tested with empty / !empty) belongs to the located clause just before
    it when that one carries no message of its own (the filter's inner comparison): the same fact, reported
    once, on its resource. Otherwise it stays template-wide, so no failure is ever dropped."""
    previous: tuple[str, str, str, str | None] | None = None
    for path, custom, error, context_only in clauses:
        resource = _resource_of(path)
        if context_only and not path and previous and previous[3] and not previous[1]:
            previous = (previous[0], custom, error, previous[3])
            yield previous
            continue
        previous = (path, custom, error, resource)
        yield previous


def _every_input_reported(engine: str, reports: list, ctx: EngineContext) -> None:
    """A template cfn-guard said nothing about was not judged: that is a failure, not a pass."""
    reported = {
        Path(r["name"]).resolve() for r in reports if isinstance(r, dict) and isinstance(r.get("name"), str)
    }
    for path in ctx.input_files():
        if Path(path).resolve() not in reported:
            raise EngineError(engine, f"no report for {ctx.inputs.get(path, path)}")


def _clauses(node: object, inherited: str):
    """(path, custom message, error message, is a pathless context record) for every failing clause,
    walking nested rules."""
    if isinstance(node, list):
        for item in node:
            yield from _clauses(item, inherited)
        return
    if not isinstance(node, dict):
        return
    messages = node.get("messages") if isinstance(node.get("messages"), dict) else {}
    custom = _unjoined(messages.get("custom_message") or "").strip() or inherited
    if "check" in node:
        check = node["check"]
        context_only = isinstance(check, dict) and "UnResolvedContext" in check
        yield _check_path(check), custom, (messages.get("error_message") or "").strip(), context_only
        return
    unresolved = node.get("unresolved")
    if isinstance(unresolved, dict) and isinstance(unresolved.get("traversed_to"), dict):
        # a block whose query stopped short (`%buckets.Properties.X { ... }` on a bucket without X)
        yield _unresolved_path(unresolved), custom, (messages.get("error_message") or "").strip(), False
        return
    for key, value in node.items():
        if key not in ("messages", "metadata", "name", "context"):
            yield from _clauses(value, custom)


def _unjoined(custom: str) -> str:
    """cfn-guard prints some records' multi-line custom message with each line break turned into ';'
    (";    Violation: ...;    Fix: ...;"): turn them back, so no message ends in a stray ';'."""
    if "\n" not in custom and (custom.strip().startswith(";") or custom.strip().endswith(";")):
        return custom.replace(";", "\n")
    return custom


def _check_path(check: object) -> str:
    """Where a clause failed. A missing property is reported as the deepest part that exists plus the
    query left over: extend the path with that, so it meets checkov's and cfn-lint's path for the fact."""
    unresolved = check.get("UnResolved") if isinstance(check, dict) else None
    if isinstance(unresolved, dict) and isinstance(unresolved.get("value"), dict):
        return _unresolved_path(unresolved["value"]) or _first_path(check)
    return _first_path(check)


def _unresolved_path(value: dict) -> str:
    """The deepest existing part (`traversed_to.path`) plus the plain part of the query left over."""
    base = (value.get("traversed_to") or {}).get("path", "")
    if not (isinstance(base, str) and base.startswith("/")):
        return ""
    return base + "".join(f"/{part}" for part in _plain_parts(str(value.get("remaining_query") or "")))


def _plain_parts(query: str) -> list[str]:
    parts = []
    for part in query.split("."):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", part):
            break  # a filter, wildcard or variable: the path stops being a plain pointer here
        parts.append(part)
    return parts


def _first_path(node: object) -> str:
    if isinstance(node, dict):
        if isinstance(node.get("path"), str) and node["path"].startswith("/"):
            return node["path"]
        for value in node.values():
            found = _first_path(value)
            if found:
                return found
    if isinstance(node, list):
        for value in node:
            found = _first_path(value)
            if found:
                return found
    return ""


def _resource_of(path: str) -> str | None:
    parts = path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] in ("Resources", "Parameters") else None


def _split_custom(custom: str) -> tuple[str, str]:
    violation, fix = VIOLATION.search(custom), FIX.search(custom)
    if not violation and not fix:
        return " ".join(custom.split()), ""
    return (" ".join(violation.group(1).split()) if violation else ""), (
        " ".join(fix.group(1).split()) if fix else ""
    )


def control_tower_ids(pack: Path) -> dict[str, str]:
    """rule name -> control id (the file's stem, ct-s3-pr-10) for every rule the pack defines."""
    ids: dict[str, str] = {}
    for rule_file in sorted(pack.rglob("*.guard")):
        for name in RULE_DEF.findall(rule_file.read_text(encoding="utf-8", errors="replace")):
            if name not in ("is_cfn_template", "is_cfn_hook", "check"):
                ids.setdefault(name, rule_file.stem)
    return ids
