"""What a Lambda handler's code does with AWS, read from the AST: API calls, env reads, what is unknowable.

Starting at the handler function, the analysis follows calls into the project's own functions and methods
(through imports, `self.`, class methods, properties, and by method name when the receiver's type is not
known), carrying string arguments along. That is how clients made by helpers are seen: `client("s3")`
reaching `boto3.client(service)` is an S3 client; `getattr(client("rds-data"), operation)(...)` inside
`_call(operation)` is resolved at each call site `self._call("execute_statement", ...)`. Whatever is
still not a literal (a service or operation name computed at run time) is reported as unknown, never
guessed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from tapgate.crosscheck.modules import FunctionNode, Module, ModuleIndex


@dataclass(frozen=True)
class AwsCall:
    service: str  # boto3 service name (s3, rds-data, sesv2 ...)
    method: str  # the client (or resource) method called, snake_case
    location: str  # file:line of the call
    via: str = ""  # the call site that supplied the name, when it came through a helper's parameter
    kwargs: tuple[tuple[str, str | None], ...] = ()  # keyword arguments: literal strings, None otherwise
    resource: str = ""  # boto3 resource type when called on a resource object (Bucket, Object ...)


@dataclass(frozen=True)
class Unknown:
    location: str
    what: str


@dataclass(frozen=True)
class EnvRead:
    name: str
    location: str
    via: str = ""


@dataclass
class CodeFacts:
    calls: set[AwsCall] = field(default_factory=set)
    unknowns: set[Unknown] = field(default_factory=set)
    env_reads: set[EnvRead] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    uses_tracer: bool = False


@dataclass(frozen=True)
class Frame:
    module: Module
    qualname: str
    cls: str | None
    bindings: tuple[tuple[str, str], ...]
    via: str


class CodeAnalyzer:
    """One analysis per code directory; `facts(handler)` per function (module caching is shared)."""

    def __init__(self, code_dir: Path) -> None:
        self.index = ModuleIndex(code_dir)
        self.root = code_dir
        self._walks: dict[int, list[ast.AST]] = {}
        self._locals: dict[int, tuple[dict[str, ast.expr], dict[str, ast.expr]]] = {}
        self._closures: dict[str, tuple[dict[str, Module], bool]] = {}
        self._returned: dict[
            tuple[str, str, tuple], tuple | None
        ] = {}  # (module, function, bindings) -> value

    def visitable(self, node: ast.AST) -> list[ast.AST]:
        """The calls and subscripts under `node`: the only nodes `_Scope.visit` acts on."""
        key = -id(node)
        if key not in self._walks:
            self._walks[key] = [n for n in self.walk(node) if isinstance(n, ast.Call | ast.Subscript)]
        return self._walks[key]

    def walk(self, node: ast.AST) -> list[ast.AST]:
        """`ast.walk(node)` as a list, computed once per node (handlers share most of their code)."""
        key = id(node)
        if key not in self._walks:
            self._walks[key] = list(ast.walk(node))
        return self._walks[key]

    def local_names(self, node: FunctionNode) -> tuple[dict[str, ast.expr], dict[str, ast.expr]]:
        """(local name -> first assigned expression, parameter -> annotation) of one function."""
        key = id(node)
        if key not in self._locals:
            assigned: dict[str, ast.expr] = {}
            annotations = {
                arg.arg: arg.annotation
                for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
                if arg.annotation is not None
            }
            for sub in self.walk(node):
                if (
                    isinstance(sub, ast.Assign)
                    and len(sub.targets) == 1
                    and isinstance(sub.targets[0], ast.Name)
                ):
                    assigned.setdefault(sub.targets[0].id, sub.value)
                elif isinstance(sub, ast.withitem) and isinstance(sub.optional_vars, ast.Name):
                    assigned.setdefault(sub.optional_vars.id, sub.context_expr)
            self._locals[key] = (assigned, annotations)
        return self._locals[key]

    def facts(self, module_name: str, function: str) -> CodeFacts:
        run = Run(self, module_name)
        run.reach(module_name, function, (), "")
        run.drain()
        return run.facts


class Run:
    def __init__(self, analyzer: CodeAnalyzer, entry: str) -> None:
        self.an, self.facts = analyzer, CodeFacts()
        self.seen: set[tuple[str, str, tuple]] = set()
        self.queue: list[Frame] = []
        self._methods: tuple[int, dict[str, list[tuple[str, str]]]] | None = None
        self.modules = self._closure(entry)
        for module in self.modules.values():
            self.facts.files.add(module.shown(analyzer.root))
            self._run_module_body(module)

    # --- reachability ---------------------------------------------------------------------------------
    def _closure(self, entry: str) -> dict[str, Module]:
        cached = self.an._closures.get(entry)
        if cached is not None:
            self.facts.uses_tracer = cached[1]
            return dict(cached[0])
        found = self._import_closure(entry)
        self.an._closures[entry] = (dict(found), self.facts.uses_tracer)
        return found

    def _import_closure(self, entry: str) -> dict[str, Module]:
        found: dict[str, Module] = {}
        pending = [entry]
        while pending:
            name = pending.pop()
            module = self.an.index.find(name)
            if module is None and name in self.an.index.errors:  # project code the analysis cannot read
                where, _, why = self.an.index.errors[name].rpartition(": cannot ")
                self.facts.unknowns.add(Unknown(where, f"cannot {why}: its calls are not analysed"))
            if module is None or name in found:
                continue
            found[name] = module
            for target, attr in module.imports.values():
                pending.append(target)
                if attr and target.startswith("aws_lambda_powertools") and attr == "Tracer":
                    self.facts.uses_tracer = True
        return found

    def reach(self, module_name: str, qualname: str, bindings: tuple, via: str) -> None:
        module = self.modules.get(module_name) or self.an.index.find(module_name)
        if module is None or qualname not in module.functions:
            return
        key = (module_name, qualname, bindings)
        if key in self.seen:
            return
        self.seen.add(key)
        self.modules.setdefault(module_name, module)
        cls = qualname.split(".")[0] if "." in qualname else None
        self.queue.append(Frame(module, qualname, cls, bindings, via))

    def drain(self) -> None:
        from tapgate.crosscheck.evaluate import Scope

        while self.queue:
            frame = self.queue.pop()
            node = frame.module.functions[frame.qualname]
            scope = Scope(self, frame, node)
            for sub in self.an.visitable(node):
                scope.visit(sub)

    def _run_module_body(self, module: Module) -> None:
        from tapgate.crosscheck.evaluate import Scope

        frame = Frame(module, "<module>", None, (), "")
        scope = Scope(self, frame, None)
        for statement in module.tree.body:
            if isinstance(statement, FunctionNode | ast.ClassDef):
                for decorator in getattr(statement, "decorator_list", []):
                    for sub in self.an.visitable(decorator):
                        scope.visit(sub)
                continue
            for sub in self.an.visitable(statement):
                scope.visit(sub)

    def methods_named(self, name: str) -> list[tuple[str, str]]:
        if self._methods is None or self._methods[0] != len(self.modules):
            by_name: dict[str, list[tuple[str, str]]] = {}
            for mod_name, module in self.modules.items():
                for qual in module.functions:
                    if "." in qual:
                        by_name.setdefault(qual.split(".", 1)[1], []).append((mod_name, qual))
            self._methods = (len(self.modules), by_name)
        return self._methods[1].get(name, [])
