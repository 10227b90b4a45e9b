"""Where the in-process checkers come from, so the gate works before (and whatever way) they land.

A checker is `check(ctx: CheckContext) -> list[Finding]`. For engine `tapgate` the package is
`tapgate.checks`, for `crosscheck` it is `tapgate.crosscheck`. A package offers its checkers by, in order:
`checkers()` returning callables, a `CHECKS` list, a package-level `check`, or submodules that define `check`.
`register(engine)` adds one more by decorator. A package that is not there yet gives no checkers; a package
that fails to import is an engine failure (exit 3).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType

PACKAGES = {"tapgate": "tapgate.checks", "crosscheck": "tapgate.crosscheck"}
SKIP_MODULES = {"command", "__main__", "cli"}
Checker = Callable[..., list]

_registered: dict[str, list[Checker]] = {name: [] for name in PACKAGES}


def register(engine: str) -> Callable[[Checker], Checker]:
    def add(func: Checker) -> Checker:
        _registered.setdefault(engine, []).append(func)
        return func

    return add


def checkers(engine: str) -> list[Checker]:
    package = _import_package(PACKAGES[engine])
    found = _from_package(package) if package else []
    return _unique([*found, *_registered.get(engine, [])])


def checker_name(func: Checker) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "rule", None) or type(func).__name__
    return f"{getattr(func, '__module__', None) or type(func).__module__}.{name}"


def _import_package(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name == name:  # not written yet; a missing dependency inside it is a real failure
            return None
        raise


def _from_package(package: ModuleType) -> list[Checker]:
    if callable(getattr(package, "checkers", None)):
        return list(package.checkers())
    if isinstance(getattr(package, "CHECKS", None), list | tuple):
        return list(package.CHECKS)
    if callable(getattr(package, "check", None)):
        return [package.check]
    return [module.check for module in _submodules(package) if callable(getattr(module, "check", None))]


def _submodules(package: ModuleType) -> list[ModuleType]:
    if not hasattr(package, "__path__"):
        return []
    modules = []
    for info in sorted(pkgutil.walk_packages(package.__path__, package.__name__ + "."), key=lambda i: i.name):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_") or leaf in SKIP_MODULES or info.ispkg:
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _unique(funcs: list[Checker]) -> list[Checker]:
    seen, result = set(), []
    for func in funcs:
        if id(func) not in seen:
            seen.add(id(func))
            result.append(func)
    return result
