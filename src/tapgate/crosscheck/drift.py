"""Drift between the template and the code: handlers, environment variables, state machine functions, packs.

- `TAPX_DRIFT_HANDLER`: every function's Handler names a module and function that exist in the code;
- `TAPX_DRIFT_ENV`: every environment variable the code reads (directly or through tapcommon helpers) is
  set on that function's `Environment.Variables`;
- `TAPX_DRIFT_STATE_FUNCTION`: every function a state machine's Tasks call resolves, through
  `DefinitionSubstitutions` or an intrinsic, to an `AWS::Lambda::Function` of the template;
- `TAPX_DRIFT_JURISDICTION`: every jurisdiction the migrations seed, or the plan handler names, has a pack.
"""

from __future__ import annotations

import json
import re

from tapgate.crosscheck import asl
from tapgate.crosscheck.context import CrossContext
from tapgate.crosscheck.policy import role_of
from tapgate.crosscheck.project import Project
from tapgate.model import Finding, Status
from tapgate.template import pointer

HANDLER, ENV, STATE_FUNCTION, JURISDICTION = (
    "TAPX_DRIFT_HANDLER",
    "TAPX_DRIFT_ENV",
    "TAPX_DRIFT_STATE_FUNCTION",
    "TAPX_DRIFT_JURISDICTION",
)
PACK_SUFFIXES = (".json", ".yaml", ".yml")
LIBRARY_PREFIXES = ("POWERTOOLS_", "AWS_")  # read by Powertools / the AWS SDK, not by the project's code
_INSERT = re.compile(
    r"INSERT\s+INTO\s+([\w.\"]+)\s*\(([^)]*)\)\s*VALUES\s*(.*?)(?:ON\s+CONFLICT|RETURNING|;|$)",
    re.IGNORECASE | re.DOTALL,
)
_ALLOWED = re.compile(r"jurisdiction\s+IN\s*\(([^)]*)\)", re.IGNORECASE)
_ROW = re.compile(r"\(([^()]*)\)")
_JURISDICTION_CONSTANT = re.compile(r"JURISDICTION", re.IGNORECASE)
_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9_-]{0,15}$")  # a jurisdiction code (US-SEC, UK, EU-ESMA ...), not prose


def check(ctx: CrossContext, project: Project) -> list[Finding]:
    return [
        *_handlers(ctx, project),
        *_environment(ctx, project),
        *_state_functions(ctx),
        *_jurisdictions(ctx),
    ]


def _no_code(ctx: CrossContext, rule: str, resource: str | None, path: str) -> Finding:
    return ctx.finding(
        rule,
        Status.SKIP,
        resource,
        path,
        "code not analysed",
        reason="no code directory (looked for lambdas/ beside the template or --code)",
    )


def _handlers(ctx: CrossContext, project: Project) -> list[Finding]:
    findings = []
    for fn in project.functions:
        at = pointer("Resources", fn.lid, "Properties", "Handler")
        if ctx.code_dir is None:
            findings.append(_no_code(ctx, HANDLER, fn.lid, at))
        elif fn.facts is None:
            findings.append(
                ctx.finding(
                    HANDLER,
                    Status.FAIL,
                    fn.lid,
                    at,
                    fn.problem or "handler not found",
                    "point Handler at an existing module.function in the code directory",
                    handler=fn.handler,
                )
            )
        else:
            findings.append(
                ctx.finding(HANDLER, Status.PASS, fn.lid, at, f"{fn.handler} exists", handler=fn.handler)
            )
    return findings


def _environment(ctx: CrossContext, project: Project) -> list[Finding]:
    findings = []
    for fn in project.functions:
        at = pointer("Resources", fn.lid, "Properties", "Environment", "Variables")
        if ctx.code_dir is None:
            findings.append(_no_code(ctx, ENV, fn.lid, at))
            continue
        if fn.facts is None:
            continue  # the handler finding says why
        reads: dict[str, list[str]] = {}
        for read in sorted(fn.facts.env_reads, key=lambda r: (r.name, r.location)):
            reads.setdefault(read.name, []).append(read.location + (f" (via {read.via})" if read.via else ""))
        unset = [name for name in sorted(reads) if name not in fn.environment]
        # informational: docs/contract.md sets a variable only where code reads it (Powertools reads its own)
        unread = sorted(n for n in fn.environment if n not in reads and not n.startswith(LIBRARY_PREFIXES))
        for name in unset:
            findings.append(
                ctx.finding(
                    ENV,
                    Status.FAIL,
                    fn.lid,
                    at,
                    f"{fn.lid}'s code reads {name} at {reads[name][0]}, but the function does not set it",
                    f"set {name} in {fn.lid}'s Environment.Variables (docs/contract.md lists the values)",
                    code_location=reads[name][0].split(" (via")[0],
                    variable=name,
                    read_at=reads[name],
                )
            )
        if not unset:
            findings.append(
                ctx.finding(
                    ENV,
                    Status.PASS,
                    fn.lid,
                    at,
                    f"all {len(reads)} variables the code reads are set"
                    + (f"; set but read by no code: {', '.join(unread)}" if unread else ""),
                    variables=sorted(reads),
                    set_but_unread=unread,
                )
            )
    return findings


def _state_functions(ctx: CrossContext) -> list[Finding]:
    resources = ctx.data.get("Resources") or {}
    findings = []
    for lid, res in asl.state_machines(ctx.data).items():
        definition, prop = asl.definition(res)
        subs = asl.substitutions(res)
        checked = 0
        for state in asl.walk(definition or {}):
            body = state.body
            if body.get("Type") != "Task":
                continue
            target = _task_function(body)
            if target is None:
                continue
            checked += 1
            at = pointer("Resources", lid, "Properties", prop, *state.path)
            problem = _unresolved(target, subs, resources)
            if problem:
                findings.append(
                    ctx.finding(
                        STATE_FUNCTION,
                        Status.FAIL,
                        lid,
                        at,
                        f"state {state.name}: {problem}",
                        "reference a function defined in this template",
                        state=state.name,
                    )
                )
        if not any(f.resource == lid for f in findings):
            findings.append(
                ctx.finding(
                    STATE_FUNCTION,
                    Status.PASS,
                    lid,
                    pointer("Resources", lid),
                    f"all {checked} Lambda tasks resolve to functions of the template",
                )
            )
    return findings


def _task_function(body: dict) -> str | None:
    resource = str(body.get("Resource") or "")
    if resource.endswith(":states:::lambda:invoke") or ":states:::lambda:invoke." in resource:
        params = body.get("Parameters") or body.get("Arguments") or {}
        return str(params.get("FunctionName") or params.get("FunctionName.$") or "")
    if ":function:" in resource or resource.startswith("${"):
        return resource
    return None


def _unresolved(target: str, subs: dict, resources: dict) -> str | None:
    names = asl.placeholders(target)
    if not names:
        return f"FunctionName {target!r} is not a reference to a function of the template"
    for name in names:
        if name not in subs:
            return f"${{{name}}} is not in DefinitionSubstitutions"
        ref = role_of(subs[name])
        if ref is None or (resources.get(ref) or {}).get("Type") != "AWS::Lambda::Function":
            return f"${{{name}}} = {json.dumps(subs[name])} is not an AWS::Lambda::Function of the template"
    return None


def _jurisdictions(ctx: CrossContext) -> list[Finding]:
    at = ""
    if ctx.code_dir is None:
        return [_no_code(ctx, JURISDICTION, None, at)]
    seeded = _seeded(ctx)
    packs_dir = ctx.code_dir / "packs"
    packs = (
        {p.stem.upper() for p in packs_dir.glob("*") if p.suffix in PACK_SUFFIXES}
        if packs_dir.is_dir()
        else set()
    )
    if not seeded:
        return [
            ctx.finding(
                JURISDICTION,
                Status.SKIP,
                None,
                at,
                "no jurisdiction is seeded or named by the code",
                reason="no INSERT with a jurisdiction column or CHECK (jurisdiction IN ...) in migrations/, "
                "no JURISDICTION constant in plan.py: the jurisdictions live in data only",
            )
        ]
    findings = []
    for code, where in sorted(seeded.items()):
        if code.upper() not in packs:
            findings.append(
                ctx.finding(
                    JURISDICTION,
                    Status.FAIL,
                    None,
                    at,
                    f"jurisdiction {code} (seeded at {where}) has no pack in {packs_dir}",
                    f"add {packs_dir.name}/{code}.yaml (or .json)",
                    code_location=where,
                    jurisdiction=code,
                )
            )
    if not findings:
        findings.append(
            ctx.finding(
                JURISDICTION,
                Status.PASS,
                None,
                at,
                f"all {len(seeded)} jurisdictions have a pack",
                jurisdictions=sorted(seeded),
            )
        )
    return findings


def _seeded(ctx: CrossContext) -> dict[str, str]:
    """jurisdiction code -> where it is seeded (migrations SQL) or named (the plan handler's constants)."""
    assert ctx.code_dir is not None
    found: dict[str, str] = {}
    for sql_file in sorted((ctx.code_dir / "migrations").glob("*.sql")):
        text = sql_file.read_text(encoding="utf-8", errors="replace")
        for match in _INSERT.finditer(text):
            table = match.group(1).strip('"').lower()
            columns = [c.strip().strip('"').lower() for c in match.group(2).split(",")]
            index = _jurisdiction_column(table, columns)
            if index is None:
                continue
            line = text[: match.start()].count("\n") + 1
            for row in _ROW.finditer(match.group(3)):
                values = [v.strip() for v in row.group(1).split(",")]
                if index < len(values) and values[index].startswith("'"):
                    found.setdefault(
                        values[index].strip("'"), f"{sql_file.relative_to(ctx.code_dir.parent)}:{line}"
                    )
        for match in _ALLOWED.finditer(text):  # CHECK (jurisdiction IN ('US_SEC', ...))
            line = text[: match.start()].count("\n") + 1
            for code in re.findall(r"'([^']+)'", match.group(1)):
                found.setdefault(code, f"{sql_file.relative_to(ctx.code_dir.parent)}:{line}")
    found.update({k: v for k, v in _plan_constants(ctx).items() if k not in found})
    return found


def _jurisdiction_column(table: str, columns: list[str]) -> int | None:
    if "jurisdiction" in columns:
        return columns.index("jurisdiction")
    if table.endswith("jurisdictions") and "code" in columns:
        return columns.index("code")
    return None


def _plan_constants(ctx: CrossContext) -> dict[str, str]:
    """String constants of module-level names containing JURISDICTION in the plan handler's module."""
    import ast

    assert ctx.code_dir is not None
    plan = ctx.code_dir / "plan.py"
    if not plan.is_file():
        return {}
    try:
        tree = ast.parse(plan.read_text(encoding="utf-8"))
    except SyntaxError:
        return {}
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and _JURISDICTION_CONSTANT.search(t.id) for t in targets):
                for sub in ast.walk(node.value) if node.value else []:
                    if (
                        isinstance(sub, ast.Constant)
                        and isinstance(sub.value, str)
                        and _CODE.match(sub.value)
                    ):
                        found[sub.value] = f"{plan.relative_to(ctx.code_dir.parent)}:{sub.lineno}"
    return found
