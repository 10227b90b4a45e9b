"""The mutation corpus: TapStack.json changed one property at a time (tests/fixtures/corpus/mutations.yaml).

`mutants()` applies each entry's JSON-pointer operations to a fresh copy of TapStack.json; `renamed()` gives
every logical id and parameter a new name and rewrites every reference (Ref, Fn::GetAtt, Fn::Sub, DependsOn)
so tests can show that no verdict depends on a name.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from guardrun import REPO_ROOT, load_tapstack

CORPUS = REPO_ROOT / "tests" / "fixtures" / "corpus" / "mutations.yaml"
SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)((?:\.[^}]*)?)\}")


@dataclass(frozen=True)
class Mutation:
    id: str
    family: str
    ops: list[dict[str, Any]]
    fails: dict[str, frozenset[str]]
    rename: bool = False
    why: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def apply(self, template: dict[str, Any]) -> dict[str, Any]:
        mutated = copy.deepcopy(template)
        for op in self.ops:
            apply_op(mutated, op)
        return mutated

    def failing_ids(self) -> frozenset[str]:
        return frozenset().union(*self.fails.values())


def load_mutations(path: Path = CORPUS) -> list[Mutation]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Mutation(
            id=e["id"],
            family=e["family"],
            ops=e["ops"],
            fails={rule: frozenset(ids) for rule, ids in e["fails"].items()},
            rename=bool(e.get("rename")),
            why=e.get("why", ""),
        )
        for e in entries
    ]


def _parts(pointer: str) -> list[str]:
    assert pointer.startswith("/"), pointer
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def apply_op(doc: Any, op: dict[str, Any]) -> None:
    """One RFC 6902 operation (add, replace, remove). A path that does not exist is a corpus error."""
    *parents, last = _parts(op["path"])
    target = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    kind = op["op"]
    if isinstance(target, list):
        if kind == "add":
            target.insert(len(target) if last == "-" else int(last), copy.deepcopy(op["value"]))
            return
        index = int(last)
        assert 0 <= index < len(target), f"{op['path']} does not exist"
        if kind == "replace":
            target[index] = copy.deepcopy(op["value"])
        else:
            del target[index]
        return
    if kind in ("replace", "remove"):
        assert last in target, f"{op['path']} does not exist"
    if kind == "remove":
        del target[last]
    else:
        target[last] = copy.deepcopy(op["value"])


def new_name(name: str) -> str:
    return "N" + hashlib.sha256(name.encode()).hexdigest()[:10].upper()


def renamed(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy with every resource and parameter renamed, and the old -> new map."""
    names = {n: new_name(n) for section in ("Resources", "Parameters") for n in template.get(section, {})}
    out = {k: _rewrite(v, names) for k, v in template.items() if k not in ("Resources", "Parameters")}
    for section in ("Parameters", "Resources"):
        if section in template:
            out[section] = {names[k]: _rewrite(v, names) for k, v in template[section].items()}
    return out, names


def _rewrite(node: Any, names: dict[str, str], local: frozenset[str] = frozenset()) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, names, local) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            out[key] = names.get(value, value)
        elif key == "Fn::GetAtt":
            out[key] = _getatt(value, names)
        elif key == "Fn::Sub":
            out[key] = _sub(value, names)
        elif key == "DependsOn":
            out[key] = (
                [names.get(v, v) for v in value] if isinstance(value, list) else names.get(value, value)
            )
        else:
            out[key] = _rewrite(value, names, local)
    return out


def _getatt(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [names.get(value[0], value[0]), *value[1:]]
    if isinstance(value, str):
        head, _, tail = value.partition(".")
        return f"{names.get(head, head)}.{tail}" if tail else names.get(head, head)
    return value


def _sub(value: Any, names: dict[str, str]) -> Any:
    text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
    scoped = {k: v for k, v in names.items() if k not in variables}
    text = SUB_NAME.sub(lambda m: "${" + scoped.get(m.group(1), m.group(1)) + m.group(2) + "}", text)
    if isinstance(value, list):
        return [text, {k: _rewrite(v, names) for k, v in variables.items()}]
    return text


def tapstack_mutant(
    mutation: Mutation, rename: bool = False
) -> tuple[dict[str, Any], dict[str, frozenset[str]]]:
    """The mutated template and the failures it must produce (renamed alike when asked)."""
    template = mutation.apply(load_tapstack())
    if not rename:
        return template, mutation.fails
    template, names = renamed(template)
    return template, {rule: frozenset(names.get(i, i) for i in ids) for rule, ids in mutation.fails.items()}


def minified(template: dict[str, Any]) -> str:
    return json.dumps(template, separators=(",", ":"))
