"""The mutation corpus: TapStack.json changed one property at a time (tests/fixtures/corpus/mutations.yaml).

`tapstack_mutant()` applies an entry's JSON-pointer operations to a fresh copy of TapStack.json and, when
asked, gives every logical id and parameter a new name (helpers.template_variants.renamed, which rewrites
every reference) so tests can show that no verdict depends on a name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from guardrun import REPO_ROOT, load_tapstack

from helpers.template_variants import renamed

CORPUS = REPO_ROOT / "tests" / "fixtures" / "corpus" / "mutations.yaml"


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


def tapstack_mutant(
    mutation: Mutation, rename: bool = False
) -> tuple[dict[str, Any], dict[str, frozenset[str]]]:
    """The mutated template and the failures it must produce (renamed alike when asked)."""
    template = mutation.apply(load_tapstack())
    if not rename:
        return template, mutation.fails
    template, names = renamed(template)
    return template, {rule: frozenset(names.get(i, i) for i in ids) for rule, ids in mutation.fails.items()}
