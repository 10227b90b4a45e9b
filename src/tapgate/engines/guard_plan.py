"""The plan of a projected cfn-guard run: which rule files go to which process, on which data.

cfn-guard's cost grows with (rule files) × (size of the data each query walks), so each rule file is run on a
copy of the template whose Resources keep only the types that file can read (guard_types.readable_types);
files that may read anything get the whole template. Files with the same types share a group; groups are
merged while a merge costs less than the process it saves, and until at most `max_groups` remain. Every rule
file sits in exactly one group, so every rule is evaluated once.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tapgate.engines.guard_types import Full, classify_text

RULE_SUFFIXES = (".guard", ".ruleset")
# The cost model, fitted on TapStack.json with cfn-guard 3.1.1 (docs/gate.md): a rule file costs about
# 5 ms plus 26 ms per 115 kB of data it is run on; a `validate` process about 30 ms even on a tiny input.
RULE_S, BYTE_S, PROCESS_S = 0.005, 0.026 / 115_000, 0.030
# cfn-guard compiles a regex afresh for every value it compares: per byte, a rule with regexes costs about
# 1.5 to 9 times one without on TapStack.json (3 on the median): its weight is 3, else 1.
REGEX_WEIGHT = 2.0


@dataclass
class Group:
    types: frozenset[str] | None  # None: the whole template
    rule_files: list[Path] = field(default_factory=list)
    weight: float = 0.0  # the sum of its rule files' weights


def rule_files(rule_dirs: list[Path]) -> list[Path]:
    """The rule files cfn-guard itself would load from each -r directory (or file)."""
    files: list[Path] = []
    for rule_dir in rule_dirs:
        if rule_dir.is_file():
            files.append(rule_dir)
            continue
        files += sorted(p for p in rule_dir.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
    return files


def classify(files: list[Path]) -> tuple[dict[Path, frozenset[str] | None], dict[Path, float]]:
    """Each rule file's readable types (None: the whole template) and cost weight, remembered by content
    hash on disk."""
    cache_file, cached = _load_cache()
    types, weights, fresh = {}, {}, {}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        digest = hashlib.sha256(text.encode()).hexdigest()
        entry = cached.get(digest)
        if not isinstance(entry, dict):
            readable, regexes = classify_text(text)
            entry = fresh[digest] = {
                "types": None if isinstance(readable, Full) else sorted(readable),
                "weight": 1 + REGEX_WEIGHT * (regexes > 0),
            }
        types[path] = None if entry["types"] is None else frozenset(entry["types"])
        weights[path] = float(entry["weight"])
    if fresh and cache_file is not None:
        _store_cache(cache_file, {**cached, **fresh})
    return types, weights


def _classifier_digest() -> str:
    source = Path(__file__).with_name("guard_types.py").read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def _load_cache() -> tuple[Path | None, dict]:
    from tapgate.engines.provision import cache_dir

    path = cache_dir() / f"guard-types-{_classifier_digest()}.json"
    try:
        return path, json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path, {}


def _store_cache(path: Path, entries: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(dict(list(entries.items())[-4000:])), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # no cache is slower, never wrong


def plan(
    classified: dict[Path, frozenset[str] | None],
    type_bytes: dict[str, int],
    base_bytes: int,
    max_groups: int,
    weights: dict[Path, float] | None = None,
    workers: int = 1,
) -> list[Group]:
    """Groups of rule files, cheapest first merged, heaviest first returned (for scheduling)."""
    by_types: dict[frozenset[str] | None, Group] = {}
    for path, types in classified.items():
        group = by_types.setdefault(types, Group(types))
        group.rule_files.append(path)
        group.weight += (weights or {}).get(path, 1.0)
    groups = list(by_types.values())
    sizes: dict[frozenset[str] | None, int] = {}

    def cost_of(count: int, weight: float, types: frozenset[str] | None) -> float:
        if types not in sizes:
            kinds = type_bytes if types is None else types
            sizes[types] = base_bytes + sum(type_bytes.get(t, 0) for t in kinds)
        return PROCESS_S + count * RULE_S + weight * BYTE_S * sizes[types]

    def cost(group: Group) -> float:
        return cost_of(len(group.rule_files), group.weight, group.types)

    def delta(a: Group, b: Group) -> float:
        union = None if a.types is None or b.types is None else a.types | b.types
        merged = cost_of(len(a.rule_files) + len(b.rule_files), a.weight + b.weight, union)
        return merged - cost(a) - cost(b)

    live, next_id = dict(enumerate(groups)), len(groups)
    deltas = {(i, j): delta(live[i], live[j]) for i in live for j in live if i < j}
    while len(live) > 1:
        (i, j), best = min(deltas.items(), key=lambda item: item[1])
        if best > 0 and len(live) <= max_groups:
            break
        merged, new, next_id = _merge(live.pop(i), live.pop(j)), next_id, next_id + 1
        deltas = {pair: d for pair, d in deltas.items() if i not in pair and j not in pair}
        deltas.update({(k, new): delta(live[k], merged) for k in live})
        live[new] = merged
    return _balanced(sorted(live.values(), key=cost, reverse=True), cost, max_groups, workers, weights or {})


def _balanced(groups: list[Group], cost, max_groups: int, workers: int, weights: dict) -> list[Group]:
    """Halve the heaviest group while it alone would outlast the others' share of the workers (the files of
    a half are still run once each, on the same data)."""
    while len(groups) < max_groups + workers and len(groups[0].rule_files) > 1:
        total = sum(map(cost, groups))
        if cost(groups[0]) <= total / max(1, workers):
            break
        heavy = groups.pop(0)
        middle = len(heavy.rule_files) // 2
        for files in (heavy.rule_files[:middle], heavy.rule_files[middle:]):
            groups.append(Group(heavy.types, files, sum(weights.get(f, 1.0) for f in files)))
        groups.sort(key=cost, reverse=True)
    return groups


def _merge(a: Group, b: Group) -> Group:
    types = None if a.types is None or b.types is None else a.types | b.types
    return Group(types, sorted([*a.rule_files, *b.rule_files]), a.weight + b.weight)


def project(template: dict, types: frozenset[str] | None) -> dict:
    """The template with Resources reduced to `types` (every other section kept as it is)."""
    resources = template.get("Resources")
    if types is None or not isinstance(resources, dict):
        return template
    kept = {k: v for k, v in resources.items() if isinstance(v, dict) and v.get("Type") in types}
    return {**template, "Resources": kept}


def bytes_by_type(templates: list[dict]) -> tuple[dict[str, int], int]:
    """Serialized size of each resource type's resources over all templates, and of everything else."""
    by_type: dict[str, int] = {}
    total = 0
    for template in templates:
        total += len(json.dumps(template, separators=(",", ":")))
        resources = template.get("Resources")
        for resource in resources.values() if isinstance(resources, dict) else ():
            kind = resource.get("Type") if isinstance(resource, dict) else None
            if isinstance(kind, str):
                by_type[kind] = by_type.get(kind, 0) + len(json.dumps(resource, separators=(",", ":")))
    return by_type, max(0, total - sum(by_type.values()))
