"""The project's Python modules as the Lambda runtime would import them from the code directory.

A handler `deliver.lambda_handler` is `<code>/deliver.py`; `from tapcommon.db import Database` is
`<code>/tapcommon/db.py`. Only modules inside the code directory are followed: boto3, Powertools and the
standard library are not the project's code. Each module is parsed once per analysis.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Module:
    name: str  # dotted, e.g. tapcommon.db
    path: Path
    tree: ast.Module
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # local -> (module, attr|None)
    functions: dict[str, FunctionNode] = field(default_factory=dict)  # "f" or "Class.method"
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    _shown: str | None = field(default=None, repr=False)

    def shown(self, root: Path) -> str:
        """The file as findings show it: relative to the code directory's parent (lambdas/x.py)."""
        if self._shown is None:
            try:
                self._shown = str(self.path.relative_to(root.parent))
            except ValueError:
                self._shown = str(self.path)
        return self._shown


class ModuleIndex:
    """Finds, parses and caches modules under one code directory."""

    def __init__(self, code_dir: Path) -> None:
        self.root = code_dir
        self._cache: dict[str, Module | None] = {}
        self.errors: dict[str, str] = {}  # module -> "file:line: why" for files that exist but do not parse

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def find(self, name: str) -> Module | None:
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def is_module(self, name: str) -> bool:
        return self._file_for(name) is not None

    def _file_for(self, name: str) -> Path | None:
        base = self.root.joinpath(*name.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def _load(self, name: str) -> Module | None:
        path = self._file_for(name)
        if path is None:
            return None
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as err:
            self.errors[name] = f"{self._shown(path)}:{err.lineno or 1}: cannot parse: {err.msg}"
            return None
        except (UnicodeDecodeError, OSError) as err:
            self.errors[name] = f"{self._shown(path)}:1: cannot read: {err}"
            return None
        module = Module(name, path, tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self._index(module, package)
        return module

    def _index(self, module: Module, package: str) -> None:
        for node in module.tree.body:
            if isinstance(node, FunctionNode):
                module.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                module.classes[node.name] = node
                for item in node.body:
                    if isinstance(item, FunctionNode):
                        module.functions[f"{node.name}.{item.name}"] = item
        for node in ast.walk(module.tree):  # imports inside functions count too (lazy imports are common)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        module.imports[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".")[0]
                        module.imports[top] = (top, None)
                        module.imports[alias.name] = (alias.name, None)
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(node, package)
                for alias in node.names:
                    local = alias.asname or alias.name
                    submodule = f"{source}.{alias.name}"
                    if self.is_module(submodule):
                        module.imports[local] = (submodule, None)
                    else:
                        module.imports[local] = (source, alias.name)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*base, *([node.module] if node.module else [])])
