"""Verdict-preserving rewrites of a template for the invariance tests: rename every logical id (with every
reference to it), minify the JSON, convert to YAML with short-form intrinsic tags."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

SUB_REF = re.compile(r"\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9.]+)?)\}")


def renamed_ids(data: dict[str, Any]) -> dict[str, str]:
    """old logical id -> new one, for every resource (new ids are still alphanumeric)."""
    return {old: f"Zz{index:03d}{old[::-1]}" for index, old in enumerate(sorted(data["Resources"]))}


def rename(data: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    renamed = _rewrite(data, mapping)
    renamed["Resources"] = {mapping[k]: v for k, v in renamed["Resources"].items()}
    return renamed


def _rewrite(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, mapping) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            out[key] = mapping.get(value, value)
        elif key == "Fn::GetAtt":
            out[key] = _getatt(value, mapping)
        elif key == "Fn::Sub":
            out[key] = _sub(value, mapping)
        elif key == "DependsOn":
            out[key] = (
                [mapping.get(v, v) for v in value] if isinstance(value, list) else mapping.get(value, value)
            )
        else:
            out[key] = _rewrite(value, mapping)
    return out


def _getatt(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [mapping.get(value[0], value[0]), *[_rewrite(v, mapping) for v in value[1:]]]
    if isinstance(value, str):
        head, _, tail = value.partition(".")
        return f"{mapping.get(head, head)}.{tail}"
    return _rewrite(value, mapping)


def _sub(value: Any, mapping: dict[str, str]) -> Any:
    def replace(match: re.Match) -> str:
        return "${" + mapping.get(match.group(1), match.group(1)) + match.group(2) + "}"

    if isinstance(value, str):
        return SUB_REF.sub(replace, value)
    if isinstance(value, list) and value:
        local = set(value[1]) if len(value) > 1 and isinstance(value[1], dict) else set()
        text = SUB_REF.sub(lambda m: m.group(0) if m.group(1) in local else replace(m), value[0])
        return [text, *[_rewrite(v, mapping) for v in value[1:]]]
    return value


def minified(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


class _Tagged:
    def __init__(self, tag: str, value: Any):
        self.tag, self.value = tag, value


SHORT_TAGS = {
    "Ref": "!Ref",
    "Fn::Sub": "!Sub",
    "Fn::Join": "!Join",
    "Fn::If": "!If",
    "Fn::Select": "!Select",
    "Fn::Split": "!Split",
    "Fn::Equals": "!Equals",
    "Fn::Not": "!Not",
    "Fn::And": "!And",
    "Fn::Or": "!Or",
    "Fn::FindInMap": "!FindInMap",
    "Fn::Base64": "!Base64",
    "Fn::ImportValue": "!ImportValue",
    "Fn::GetAZs": "!GetAZs",
    "Fn::Cidr": "!Cidr",
    "Condition": "!Condition",
}


def _tagged(node: Any) -> Any:
    if isinstance(node, list):
        return [_tagged(item) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Fn::GetAtt" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return _Tagged("!GetAtt", ".".join(value))
        if key in SHORT_TAGS and not (key == "Condition" and not isinstance(value, str)):
            inner = _tagged(value)
            # YAML cannot put a tag on a tagged scalar (!GetAZs !Ref X): keep the outer in long form
            return {key: inner} if isinstance(inner, _Tagged) else _Tagged(SHORT_TAGS[key], inner)
    return {key: _tagged(value) for key, value in node.items()}


class _Dumper(yaml.SafeDumper):
    pass


def _represent(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, str(data.value))


_Dumper.add_representer(_Tagged, _represent)


def to_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(_tagged(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
