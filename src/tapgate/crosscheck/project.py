"""The template's Lambda functions joined to their code: handler → module → what the code does."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from tapgate.crosscheck.codescan import CodeAnalyzer, CodeFacts, Unknown
from tapgate.crosscheck.context import CrossContext
from tapgate.crosscheck.policy import role_of

FUNCTION = "AWS::Lambda::Function"


@dataclass
class LambdaFunction:
    lid: str
    resource: dict[str, Any]
    handler: str
    module: str  # dotted module path the handler names
    function: str
    role: str | None
    facts: CodeFacts | None = None  # None: no code dir, or the handler does not resolve
    problem: str | None = None  # why the handler does not resolve

    @property
    def environment(self) -> dict[str, Any]:
        props = self.resource.get("Properties") or {}
        return ((props.get("Environment") or {}).get("Variables")) or {}


@dataclass
class Project:
    ctx: CrossContext
    functions: list[LambdaFunction] = field(default_factory=list)
    analyzer: CodeAnalyzer | None = None

    @classmethod
    def load(cls, ctx: CrossContext) -> Project:
        project = cls(ctx, analyzer=CodeAnalyzer(ctx.code_dir) if ctx.code_dir else None)
        for lid, res in (ctx.data.get("Resources") or {}).items():
            if not isinstance(res, dict) or res.get("Type") != FUNCTION:
                continue
            props = res.get("Properties") or {}
            handler = props.get("Handler")
            module, _, function = str(handler or "").replace("/", ".").rpartition(".")
            fn = LambdaFunction(lid, res, str(handler or ""), module, function, role_of(props.get("Role")))
            if not str(props.get("Runtime", "python")).startswith("python") or "ZipFile" in (
                props.get("Code") or {}
            ):
                fn.problem = "not Python code from the code directory (inline ZipFile or another runtime)"
            elif project.analyzer is not None:
                fn.problem = project._resolve(fn)
            project.functions.append(fn)
        return project

    def _resolve(self, fn: LambdaFunction) -> str | None:
        if not isinstance(fn.resource.get("Properties", {}).get("Handler"), str) or not fn.module:
            return f"Handler {fn.handler!r} is not 'module.function'"
        assert self.analyzer is not None
        module = self.analyzer.index.find(fn.module)
        if module is None and fn.module in self.analyzer.index.errors:
            return f"Handler {fn.handler!r}: {self.analyzer.index.errors[fn.module]}"
        if module is None:
            return (
                f"Handler {fn.handler!r}: no module {fn.module.replace('.', '/')}.py in {self.ctx.code_dir}"
            )
        if fn.function in module.functions:
            fn.facts = self.analyzer.facts(fn.module, fn.function)
            return None
        assigned = _module_level_value(module, fn.function)
        if assigned is None:
            return f"Handler {fn.handler!r}: {module.shown(self.analyzer.root)} defines no {fn.function}"
        if isinstance(assigned, ast.Name) and assigned.id in module.functions:  # lambda_handler = handle
            fn.facts = self.analyzer.facts(fn.module, assigned.id)
            return None
        # built at import time (a wrapper, a factory): what it calls is not followed, so say so
        fn.facts = self.analyzer.facts(fn.module, fn.function)
        where = f"{module.shown(self.analyzer.root)}:{assigned.lineno}"
        fn.facts.unknowns.add(
            Unknown(
                where,
                f"handler {fn.function} is built at import time, not defined: "
                "the calls of what it wraps are not followed",
            )
        )
        return None


def _module_level_value(module, name: str) -> ast.expr | None:
    """The value last assigned to a module-level name (the one the runtime finds)."""
    value = None
    for node in module.tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value = node.value
    return value
