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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapgate.crosscheck.modules import FunctionNode, Module, ModuleIndex

BOTO_MODULES = {"boto3", "boto3.session"}
PROPERTY_DECORATORS = {"property", "cached_property"}
MAX_DEPTH = 12
_NAME_LIKE = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")


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
class _Frame:
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
        run = _Run(self, module_name)
        run.reach(module_name, function, (), "")
        run.drain()
        return run.facts


class _Run:
    def __init__(self, analyzer: CodeAnalyzer, entry: str) -> None:
        self.an, self.facts = analyzer, CodeFacts()
        self.seen: set[tuple[str, str, tuple]] = set()
        self.queue: list[_Frame] = []
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
        self.queue.append(_Frame(module, qualname, cls, bindings, via))

    def drain(self) -> None:
        while self.queue:
            frame = self.queue.pop()
            node = frame.module.functions[frame.qualname]
            scope = _Scope(self, frame, node)
            for sub in self.an.visitable(node):
                scope.visit(sub)

    def _run_module_body(self, module: Module) -> None:
        frame = _Frame(module, "<module>", None, (), "")
        scope = _Scope(self, frame, None)
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


class _Scope:
    """Evaluates expressions of one function (under its bindings) to abstract values."""

    def __init__(self, run: _Run, frame: _Frame, node: FunctionNode | None) -> None:
        self.run, self.frame, self.node = run, frame, node
        self.module = frame.module
        self.params = _params(node) if node else []
        self.bound = dict(frame.bindings)
        self.locals, self.annotations = run.an.local_names(node) if node is not None else ({}, {})

    def where(self, node: ast.AST) -> str:
        return f"{self.module.shown(self.run.an.root)}:{getattr(node, 'lineno', 0)}"

    # --- visiting -------------------------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            self._visit_call(node)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if self.value(node.value, 0) == ("environ",):
                self._env_read(node.slice, node)

    def _visit_call(self, call: ast.Call) -> None:
        func = self.value(call.func, 0)
        if not func:
            return
        kind = func[0]
        if kind == "clientmethod":
            _, service, method, resource = func
            if (
                resource and method[:1].isupper()
            ):  # Bucket(...), Object(...): builds a resource, calls nothing
                return
            kwargs = self._keywords(call)
            if method in ("get_paginator", "generate_presigned_url"):  # the operation is the first argument
                first = call.args[0] if call.args else next((k.value for k in call.keywords), None)
                method = _literal(self.value(first, 0)) or method
                # a presigned URL is authorised like the call it presigns, with its Params
                kwargs = tuple((k.split(".", 1)[1], v) for k, v in kwargs if k.startswith("Params."))
            self.run.facts.calls.add(
                AwsCall(service, method, self.where(call), self.frame.via, kwargs, resource)
            )
        elif kind == "envget" and call.args:
            self._env_read(call.args[0], call)
        elif kind == "func":
            self._call_project(func[1], func[2], call, bound=func[3])

    def _keywords(self, call: ast.Call) -> tuple[tuple[str, str | None], ...]:
        """Keyword arguments, with the keys of `**dict` splats and of dict-valued arguments (`Arg.Key`)."""
        found: list[tuple[str, str | None]] = []
        for kw in call.keywords:
            if kw.arg is None:
                found += [(key, None) for key in sorted(self._dict_keys(kw.value, 0))]
                continue
            found.append((kw.arg, _literal(self.value(kw.value, 0))))
            found += [(f"{kw.arg}.{key}", None) for key in sorted(self._dict_keys(kw.value, 0))]
        return tuple(found)

    def _dict_keys(self, node: ast.expr | None, depth: int) -> set[str]:
        """Literal keys a dict expression may have: {..}, a | b, x if c else y, dict(k=..), a local name."""
        if node is None or depth > MAX_DEPTH:
            return set()
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            for key, value in zip(node.keys, node.values, strict=False):
                if key is None:  # {**other}
                    keys |= self._dict_keys(value, depth + 1)
            return keys
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._dict_keys(node.left, depth + 1) | self._dict_keys(node.right, depth + 1)
        if isinstance(node, ast.IfExp):
            return self._dict_keys(node.body, depth + 1) | self._dict_keys(node.orelse, depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            return {kw.arg for kw in node.keywords if kw.arg}
        if isinstance(node, ast.Name) and node.id in self.locals:
            return self._dict_keys(self.locals[node.id], depth + 1)
        return set()

    def _env_read(self, name_node: ast.expr, at: ast.AST) -> None:
        name = _literal(self.value(name_node, 0))
        if name is None:
            self.run.facts.unknowns.add(Unknown(self.where(at), "environment variable name is not a literal"))
        else:
            self.run.facts.env_reads.add(EnvRead(name, self.where(at), self.frame.via))

    def _call_project(self, module_name: str, qualname: str, call: ast.Call, bound: bool) -> tuple:
        """Reach a project function from this call with the string arguments it passes; return those."""
        bindings = self._bindings(("func", module_name, qualname, bound), call)
        self.run.reach(module_name, qualname, bindings, self.where(call))
        return bindings

    # --- abstract values ------------------------------------------------------------------------------
    def value(self, node: ast.expr | None, depth: int) -> tuple | None:
        if node is None or depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return ("str", node.value)
        if isinstance(node, ast.Name):
            return self._name(node.id, depth)
        if isinstance(node, ast.Attribute):
            return self._attribute(self.value(node.value, depth + 1), node.attr, node, depth)
        if isinstance(node, ast.Call):
            return self._call_value(node, depth)
        if isinstance(node, ast.BoolOp):
            return self.value(node.values[0], depth + 1)
        return None

    def _name(self, name: str, depth: int) -> tuple | None:
        if name in self.bound:
            return ("str", self.bound[name])
        if name in ("self", "cls") and self.frame.cls:
            return ("self", self.module.name, self.frame.cls, name == "cls")
        if name in self.locals:
            return self.value(self.locals[name], depth + 1)
        if name in self.params:
            annotation = self.annotations.get(name)
            hinted = self.value(annotation, depth + 1) if annotation is not None else None
            if hinted and hinted[0] == "class":
                return ("instance", hinted[1], hinted[2])
            return ("param", name)
        if name == "getattr":
            return ("getattr",)
        return _symbol(self.run, self.module, name, depth, self)

    def _attribute(self, base: tuple | None, attr: str, node: ast.AST, depth: int) -> tuple | None:
        if base is None:
            return self._unknown_receiver(attr)
        kind = base[0]
        if kind == "ext":
            return _external(base[1], attr)
        if kind == "environ" and attr in ("get", "setdefault"):
            return ("envget",)
        if kind in ("boto3",) and attr in ("client", "resource"):
            return ("factory", attr)
        if kind == "session" and attr in ("client", "resource"):
            return ("factory", attr)
        if kind == "module":
            module = self.run.modules.get(base[1]) or self.run.an.index.find(base[1])
            return _symbol(self.run, module, attr, depth, self) if module else None
        if kind in ("client", "resource"):
            return _client_member(base, attr)
        if kind in ("self", "instance", "class"):
            return self._member(base[1], base[2], attr, depth)
        return None

    def _unknown_receiver(self, attr: str) -> tuple | None:
        """`x.attr` with x of unknown type: any project method of that name may be the one called."""
        for mod_name, qual in self.run.methods_named(attr):
            self.run.reach(mod_name, qual, (), self.frame.via)
        return None

    def _member(self, mod_name: str, cls: str, attr: str, depth: int) -> tuple | None:
        module = self.run.modules.get(mod_name) or self.run.an.index.find(mod_name)
        if module is None:
            return None
        qual = f"{cls}.{attr}"
        function = module.functions.get(qual)
        if function is not None:
            if _decorated(function, PROPERTY_DECORATORS):
                self.run.reach(mod_name, qual, (), self.frame.via)
                return _returns(self.run, module, qual, function, depth)
            return ("func", mod_name, qual, True)  # bound: self/cls is not among the call's arguments
        assigned = _self_assignment(self.run, module, cls, attr)
        if assigned is not None:
            scope = _Scope(self.run, _Frame(module, qual, cls, (), self.frame.via), None)
            return scope.value(assigned, depth + 1)
        return self._unknown_receiver(attr)

    def _call_value(self, call: ast.Call, depth: int) -> tuple | None:
        func = self.value(call.func, depth + 1)
        if not func:
            return None
        kind = func[0]
        if kind == "factory":
            return self._make_client(func[1], call, depth)
        if kind == "sessioncls":
            return ("session",)
        if kind == "getattr" and len(call.args) >= 2:
            target = self.value(call.args[0], depth + 1)
            if target and target[0] in ("client", "resource"):
                name = _literal(self.value(call.args[1], depth + 1))
                if name is None:
                    self.run.facts.unknowns.add(
                        Unknown(
                            self.where(call), f"{target[1]} operation name computed at run time (getattr)"
                        )
                    )
                    return None
                return _client_member(target, name)
            return None
        if kind == "class":
            self.run.reach(func[1], f"{func[2]}.__init__", (), self.where(call))
            return ("instance", func[1], func[2])
        if kind == "self" and func[3]:  # cls(...) inside a classmethod
            return ("instance", func[1], func[2])
        if kind == "func":
            module = self.run.modules.get(func[1]) or self.run.an.index.find(func[1])
            if module is None or func[2] not in module.functions:
                return None
            bindings = self._call_project(func[1], func[2], call, bound=func[3])
            return _returns(self.run, module, func[2], module.functions[func[2]], depth, bindings)
        if kind == "clientmethod" and func[3]:
            return ("resource", func[1], func[2][:1].upper() + func[2][1:])  # Bucket(...), Object(...)
        return None

    def _bindings(self, func: tuple, call: ast.Call) -> tuple:
        """Parameter -> name-like string argument (service, operation, variable names; not SQL text)."""
        module = self.run.modules.get(func[1]) or self.run.an.index.find(func[1])
        if module is None or func[2] not in module.functions:
            return ()
        params = _params(module.functions[func[2]])
        if func[3] and params and params[0] in ("self", "cls"):
            params = params[1:]
        pairs = {}
        named = [(p, a) for p, a in zip(params, call.args, strict=False)]
        named += [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
        for param, arg in named:
            text = _literal(self.value(arg, MAX_DEPTH - 2))
            if text is not None and _NAME_LIKE.match(text):
                pairs[param] = text
        return tuple(sorted(pairs.items()))

    def _make_client(self, kind: str, call: ast.Call, depth: int) -> tuple | None:
        arg = (
            call.args[0]
            if call.args
            else next((k.value for k in call.keywords if k.arg == "service_name"), None)
        )
        service = _literal(self.value(arg, depth + 1))
        if service is None:
            self.run.facts.unknowns.add(
                Unknown(self.where(call), f"boto3.{kind}() service name computed at run time")
            )
            return None
        return (kind, service) if kind == "client" else ("resource", service, "")


def _client_member(base: tuple, attr: str) -> tuple | None:
    if attr in ("meta", "exceptions"):
        return None
    if base[0] == "client":
        return ("clientmethod", base[1], attr, "")
    return ("clientmethod", base[1], attr, base[2] or "ServiceResource")


def _external(module: str, attr: str) -> tuple | None:
    if module in BOTO_MODULES:
        if attr in ("client", "resource"):
            return ("factory", attr)
        if attr == "Session":
            return ("sessioncls",)
        if attr == "session":
            return ("ext", "boto3.session")
    if module == "os":
        if attr == "environ":
            return ("environ",)
        if attr == "getenv":
            return ("envget",)
    return None


def _symbol(run: _Run, module: Module, name: str, depth: int, scope: _Scope) -> tuple | None:
    """What a module-level name means: a project function/class/module, boto3, os, or a module variable."""
    if name in module.imports:
        target, attr = module.imports[name]
        if attr is None:
            if run.an.index.is_module(target):
                return ("module", target)
            return ("ext", target) if target in BOTO_MODULES or target == "os" else None
        if target in BOTO_MODULES or target == "os":
            return _external(target, attr)
        source = run.modules.get(target) or run.an.index.find(target)
        return _symbol(run, source, attr, depth + 1, scope) if source and depth < MAX_DEPTH else None
    if name in module.classes:
        return ("class", module.name, name)
    if name in module.functions:
        return ("func", module.name, name, False)
    assigned = _module_assignment(module, name)
    if assigned is not None and depth < MAX_DEPTH:
        module_scope = _Scope(run, _Frame(module, "<module>", None, (), scope.frame.via), None)
        return module_scope.value(assigned, depth + 1)
    return None


def _returns(
    run: _Run, module: Module, qual: str, function: FunctionNode, depth: int, bindings=()
) -> tuple | None:
    """The abstract value a project function returns: a client when it makes one (a cached factory)."""
    key = (module.name, qual, tuple(bindings))
    if key not in run.an._returned:
        run.an._returned[key] = None  # recursion guard: a function returning its own call is unknown
        run.an._returned[key] = _evaluate_returns(run, module, qual, function, depth, bindings)
    return run.an._returned[key]


def _evaluate_returns(
    run: _Run, module: Module, qual: str, function: FunctionNode, depth: int, bindings
) -> tuple | None:
    cls = qual.split(".")[0] if "." in qual else None
    scope = _Scope(run, _Frame(module, qual, cls, tuple(bindings), ""), function)
    made = None
    for sub in run.an.walk(function):
        if isinstance(sub, ast.Return) and sub.value is not None:
            value = scope.value(sub.value, depth + 1)
            if value and value[0] in ("client", "resource", "instance"):
                return value
        if isinstance(sub, ast.Call) and made is None:
            func = scope.value(sub.func, depth + 1)
            if func and func[0] == "factory":
                made = scope.value(sub, depth + 1)
    return made


def _self_assignment(run: _Run, module: Module, cls: str, attr: str) -> ast.expr | None:
    node = module.classes.get(cls)
    for sub in run.an.walk(node) if node else []:
        if isinstance(sub, ast.Assign):
            for target in sub.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == attr
                    and isinstance(target.value, ast.Name)
                ):
                    return sub.value
    return None


def _module_assignment(module: Module, name: str) -> ast.expr | None:
    for statement in module.tree.body:
        if isinstance(statement, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
                return statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if statement.target.id == name:
                return statement.value
    return None


def _params(node: FunctionNode) -> list[str]:
    return [a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]]


def _decorated(function: FunctionNode, names: set[str]) -> bool:
    for decorator in function.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
        if name in names:
            return True
    return False


def _literal(value: Any) -> str | None:
    return value[1] if isinstance(value, tuple) and value and value[0] == "str" else None
