"""Verdict-preserving rewrites of a CloudFormation template, for the tests that show no verdict depends on a
name or a file's form: rename logical ids (with every Ref, Fn::GetAtt, Fn::Sub and DependsOn that names them,
including Step Functions DefinitionSubstitutions, which are plain intrinsics, and the parameter names in
Metadata AWS::CloudFormation::Interface), minify the JSON, convert to
YAML with short-form intrinsic tags.

Used by the mutation corpus (tests/policies/corpus.py) and the gate's invariance tests
(tests/unit/gate/test_gate_invariance.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

import yaml

RENAMED_SECTIONS = ("Resources", "Parameters")
# ${Name} or ${Name.Attribute} in an Fn::Sub string; ${AWS::Region} and ${!Literal} do not match.
SUB_REF = re.compile(r"\$\{([A-Za-z0-9]+)((?:\.[^}]*)?)\}")


def new_name(name: str) -> str:
    """A stable, alphanumeric new name that shares nothing with the old one."""
    return "N" + hashlib.sha256(name.encode()).hexdigest()[:10].upper()


def new_names(template: dict[str, Any], sections: Iterable[str] = RENAMED_SECTIONS) -> dict[str, str]:
    """old logical id -> new one, for every entry of the given sections."""
    return {name: new_name(name) for section in sections for name in template.get(section, {})}


def rename(template: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """A copy with the Resources/Parameters named in `mapping` renamed and every reference rewritten."""
    out = _rewrite(template, mapping)
    for section in RENAMED_SECTIONS:
        if section in out:
            out[section] = {mapping.get(k, k): v for k, v in out[section].items()}
    interface = out.get("Metadata", {}).get("AWS::CloudFormation::Interface")
    if isinstance(interface, dict):
        _rename_interface(interface, mapping)
    return out


def _rename_interface(interface: dict[str, Any], mapping: dict[str, str]) -> None:
    """The console's parameter groups and labels name parameters as plain strings (cfn-lint W4001 checks)."""
    for group in interface.get("ParameterGroups", []):
        group["Parameters"] = [mapping.get(name, name) for name in group.get("Parameters", [])]
    if "ParameterLabels" in interface:
        interface["ParameterLabels"] = {mapping.get(k, k): v for k, v in interface["ParameterLabels"].items()}


def renamed(
    template: dict[str, Any], sections: Iterable[str] = RENAMED_SECTIONS
) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy with every resource and parameter renamed, and the old -> new map."""
    mapping = new_names(template, sections)
    return rename(template, mapping), mapping


def _rewrite(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, mapping) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
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
        head, dot, tail = value.partition(".")
        return mapping.get(head, head) + dot + tail
    return _rewrite(value, mapping)


def _sub(value: Any, mapping: dict[str, str]) -> Any:
    def replace(match: re.Match, local: frozenset[str] = frozenset()) -> str:
        name = match.group(1)
        # A name bound in the Sub's own variable map shadows the logical id of the same name.
        return match.group(0) if name in local else "${" + mapping.get(name, name) + match.group(2) + "}"

    if isinstance(value, str):
        return SUB_REF.sub(replace, value)
    if isinstance(value, list) and value and isinstance(value[0], str):
        local = frozenset(value[1]) if len(value) > 1 and isinstance(value[1], dict) else frozenset()
        text = SUB_REF.sub(lambda m: replace(m, local), value[0])
        return [text, *[_rewrite(v, mapping) for v in value[1:]]]
    return _rewrite(value, mapping)


def minified(template: dict[str, Any]) -> str:
    return json.dumps(template, separators=(",", ":"))


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


def to_yaml(template: dict[str, Any]) -> str:
    """YAML with short-form tags (!Ref, !Sub, !GetAtt X.Y ...), as a hand-written template would be."""
    return yaml.dump(_tagged(template), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
