"""cfn-lint as a subprocess: `cfn-lint -f json [-c I3011 ...]`, one process over every template.

Errors and warnings always count. Informational rules are style advice unless the control catalog names
them (I3011 DeletionPolicy, I3013 retention, or a pattern such as I*): only those are switched on with `-c`.

Its exit code is a bitmask (2 error, 4 warning, 8 informational); anything with the 1 bit or above 15 is a
crash. E0000/E0001/E0002 (it could not parse the template or run a rule) mean no verdict: fail closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tapgate.engines.base import EngineContext, EngineOutput, load_json, run_process, unparseable
from tapgate.engines.executables import python_tool
from tapgate.engines.inline import inline_suppressions
from tapgate.errors import EngineError
from tapgate.template import pointer

if TYPE_CHECKING:
    from tapgate.model import Finding

OK_CODES = {code for code in range(16) if code % 2 == 0}
SEVERITY = {"Error": "high", "Warning": "medium", "Informational": "low"}
LINTER_FAILED = {"E0000", "E0001", "E0002"}  # parse error, rule or linter failure: no verdict


class CfnLintEngine:
    name = "cfn-lint"

    def command(self, ctx: EngineContext) -> list[str]:
        exe = ctx.commands.get(self.name) or python_tool("cfn-lint")
        return [*exe, "-f", "json", *_informational(ctx), "--", *ctx.input_files()]

    def run(self, ctx: EngineContext) -> EngineOutput:
        return run_process(self.name, self.command(ctx), OK_CODES, ctx.timeout_s)

    def parse(self, output: EngineOutput, ctx: EngineContext) -> list[Finding]:
        matches = load_json(self.name, output.stdout or "[]")
        if not isinstance(matches, list):
            raise unparseable(self.name, "expected a JSON list of matches", output.stdout)
        findings = [self._finding(match, ctx) for match in matches]
        if not ctx.strict:
            findings.extend(inline_suppressions(self.name, ctx.templates))
        return findings

    def _finding(self, match: dict, ctx: EngineContext) -> Finding:
        from tapgate.model import Finding

        try:
            rule = match["Rule"]["Id"]
            path_parts = match["Location"].get("Path") or []
            start = match["Location"]["Start"]
        except (KeyError, TypeError) as err:
            raise unparseable(self.name, f"match without {err}", str(match)) from None
        if rule in LINTER_FAILED:
            raise EngineError(self.name, f"could not lint: {rule} {match.get('Message', '')}"[:300])
        tpl = ctx.template_for(match.get("Filename", ""))
        return Finding(
            engine=self.name,
            rule=rule,
            file=tpl.path if tpl else match.get("Filename", ""),
            resource=_resource_of(path_parts),
            path=pointer(*path_parts) if path_parts else "",
            line=start.get("LineNumber"),
            column=start.get("ColumnNumber"),
            status="FAIL",
            severity=SEVERITY.get(match.get("Level", ""), "medium"),
            message=match.get("Message", ""),
            fix=match["Rule"].get("Description", ""),
            extra={"source": match["Rule"].get("Source", "")},
        )


def _resource_of(path_parts: list) -> str | None:
    if len(path_parts) >= 2 and path_parts[0] in ("Resources", "Parameters", "Outputs"):
        return str(path_parts[1])
    return None


def _informational(ctx: EngineContext) -> list[str]:
    """`-c I` when the catalog claims informational rules by pattern (I*), else just the ids it names."""
    wanted = sorted(rule for rule in ctx.rules_named("cfn-lint") if rule.startswith("I"))
    if any(set(rule) & set("*?[") for rule in wanted):
        return ["-c", "I"]
    return ["-c", *wanted] if wanted else []
