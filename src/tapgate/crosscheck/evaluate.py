"""Abstract evaluation of one function's expressions for the code analysis (tapgate.crosscheck.codescan).

Values are small tuples: ("str", text), ("client", service), ("resource", service, type), ("module", name),
("class", module, name), ("instance", module, class), ("func", module, qualname, bound), ("self", ...),
("factory", "client"|"resource"), ("environ",), ("envget",), ("clientmethod", service, method, resource).
Anything else is None: unknown, and never guessed.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from tapgate.crosscheck.codescan import AwsCall, EnvRead, Frame, Unknown
from tapgate.crosscheck.modules import FunctionNode, Module

if TYPE_CHECKING:
    from tapgate.crosscheck.codescan import Run

BOTO_MODULES = {"boto3", "boto3.session"}
PROPERTY_DECORATORS = {"property", "cached_property"}
MAX_DEPTH = 12
_NAME_LIKE = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")


class Scope:
    """Evaluates expressions of one function (under its bindings) to abstract values."""

    def __init__(self, run: Run, frame: Frame, node: FunctionNode | None) -> None:
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
                if isinstance(kw.value, ast.Name) and f"**{kw.value.id}" in self.bound:
                    found += [(key, None) for key in self.bound[f"**{kw.value.id}"].split(",")]
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
            scope = Scope(self.run, Frame(module, qual, cls, (), self.frame.via), None)
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
        kwarg = module.functions[func[2]].args.kwarg
        extra = sorted(kw.arg for kw in call.keywords if kw.arg and kw.arg not in params)
        if kwarg is not None and extra:  # keyword names a **kwargs parameter receives (IfNoneMatch ...)
            pairs[f"**{kwarg.arg}"] = ",".join(extra)
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


def _symbol(run: Run, module: Module, name: str, depth: int, scope: Scope) -> tuple | None:
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
        module_scope = Scope(run, Frame(module, "<module>", None, (), scope.frame.via), None)
        return module_scope.value(assigned, depth + 1)
    return None


def _returns(
    run: Run, module: Module, qual: str, function: FunctionNode, depth: int, bindings=()
) -> tuple | None:
    """The abstract value a project function returns: a client when it makes one (a cached factory)."""
    key = (module.name, qual, tuple(bindings))
    if key not in run.an._returned:
        run.an._returned[key] = None  # recursion guard: a function returning its own call is unknown
        run.an._returned[key] = _evaluate_returns(run, module, qual, function, depth, bindings)
    return run.an._returned[key]


def _evaluate_returns(
    run: Run, module: Module, qual: str, function: FunctionNode, depth: int, bindings
) -> tuple | None:
    cls = qual.split(".")[0] if "." in qual else None
    scope = Scope(run, Frame(module, qual, cls, tuple(bindings), ""), function)
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


def _self_assignment(run: Run, module: Module, cls: str, attr: str) -> ast.expr | None:
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
