"""The shared template rewrites themselves: renaming reaches every reference form (Ref, both Fn::GetAtt forms,
Fn::Sub strings and lists with their own variables, DependsOn, the console's parameter groups), leaves pseudo
parameters, literals and Sub-local names alone, and leaves no old name referenced in TapStack.json. The
invariance tests are only as strong as this renamer: one renaming nothing would let them pass trivially."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers.template_variants import minified, new_name, renamed, to_yaml
from tapgate.template import load

TAPSTACK = Path(__file__).resolve().parents[2] / "TapStack.json"

SMALL = {
    "Metadata": {
        "AWS::CloudFormation::Interface": {
            "ParameterGroups": [{"Label": {"default": "Deployment"}, "Parameters": ["Env"]}],
            "ParameterLabels": {"Env": {"default": "Environment"}},
        }
    },
    "Parameters": {"Env": {"Type": "String"}},
    "Resources": {
        "Key": {"Type": "AWS::KMS::Key"},
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "DependsOn": "Key",
            "Properties": {
                "Name": {"Fn::Sub": "${Env}-${AWS::Region}-${!Literal}-${Key.Arn}"},
                "KeyArn": {"Fn::GetAtt": ["Key", "Arn"]},
                "KeyId": {"Fn::GetAtt": "Key.KeyId"},
                "Local": {"Fn::Sub": ["${Key}/${Env}", {"Key": {"Ref": "Env"}}]},
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "DependsOn": ["Key", "Bucket"]},
    },
    "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}},
}


def test_every_reference_form_is_renamed_and_nothing_else() -> None:
    out, names = renamed(SMALL)
    env, key, bucket, topic = (new_name(n) for n in ("Env", "Key", "Bucket", "Topic"))
    assert names == {"Env": env, "Key": key, "Bucket": bucket, "Topic": topic}
    assert list(out["Parameters"]) == [env]
    assert list(out["Resources"]) == [key, bucket, topic]
    assert out["Resources"][bucket]["DependsOn"] == key
    assert out["Resources"][topic]["DependsOn"] == [key, bucket]
    assert out["Resources"][bucket]["Properties"] == {
        "Name": {"Fn::Sub": f"${{{env}}}-${{AWS::Region}}-${{!Literal}}-${{{key}.Arn}}"},
        "KeyArn": {"Fn::GetAtt": [key, "Arn"]},
        "KeyId": {"Fn::GetAtt": f"{key}.KeyId"},
        # "Key" here is the Sub's own variable, not the resource; its value's Ref is renamed.
        "Local": {"Fn::Sub": [f"${{Key}}/${{{env}}}", {"Key": {"Ref": env}}]},
    }
    assert out["Outputs"] == {"BucketName": {"Value": {"Ref": bucket}}}
    interface = out["Metadata"]["AWS::CloudFormation::Interface"]
    assert interface["ParameterGroups"][0]["Parameters"] == [env]
    assert list(interface["ParameterLabels"]) == [env]


def test_only_the_named_sections_are_renamed() -> None:
    out, names = renamed(SMALL, sections=("Resources",))
    assert "Env" not in names
    assert list(out["Parameters"]) == ["Env"]


def _references(node) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(_references, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "Fn::GetAtt":
            found.add(value[0] if isinstance(value, list) else value.split(".")[0])
        elif key == "Fn::Sub":
            text = value if isinstance(value, str) else value[0]
            found |= set(re.findall(r"\$\{([A-Za-z0-9]+)", text))
        elif key == "DependsOn":
            found |= {value} if isinstance(value, str) else set(value)
        found |= _references(value)
    return found


def test_renamed_tapstack_references_no_old_name() -> None:
    template = json.loads(TAPSTACK.read_text(encoding="utf-8"))
    out, names = renamed(template)
    assert _references(template) & set(names)  # the stack does reference its resources
    assert not _references(out) & set(names)


def test_minified_and_short_form_yaml_read_back_as_the_same_template(tmp_path: Path) -> None:
    assert json.loads(minified(SMALL)) == SMALL
    path = tmp_path / "small.yaml"
    path.write_text(to_yaml(SMALL), encoding="utf-8")
    assert "!Ref" in path.read_text() and "!GetAtt" in path.read_text() and "!Sub" in path.read_text()
    assert load(path).data == SMALL  # read back by the gate's own loader (cfn-lint's YAML)
