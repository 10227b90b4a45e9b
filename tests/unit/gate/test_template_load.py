"""tapgate.template.load: JSON and YAML (short-form tags), locate/snippet, and one-line input errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tapgate.errors import EXIT_USAGE, InputError
from tapgate.template import load, pointer

FIXTURES = Path(__file__).parents[2] / "fixtures" / "engines" / "templates"


def test_json_data_is_plain_and_located():
    tpl = load(FIXTURES / "small.json")
    assert tpl.data["Resources"]["B"]["Properties"]["Count"] == 3
    assert type(tpl.data["Resources"]) is dict
    assert tpl.locate("/Resources/B/Properties/Count") == (8, 9)
    assert tpl.snippet("/Resources/B/Properties/Count") == '"Count": 3,'
    assert tpl.snippet("/Resources/B/Properties/Versioning") == '"Versioning": {"Status": "Enabled"},'


def test_yaml_short_form_tags_become_long_form():
    tpl = load(FIXTURES / "small.yaml")
    props = tpl.data["Resources"]["B"]["Properties"]
    assert props["BucketName"] == {"Fn::Sub": "${AWS::StackName}-x"}
    assert props["Tags"][0]["Value"] == {"Ref": "B"}
    assert tpl.locate("/Resources/B/Properties/Tags/0/Value") == (9, 11)
    assert tpl.snippet("/Resources/B/Properties/Tags") == "Tags:\n  - Key: a\n    Value: !Ref B"


def test_missing_part_of_pointer_falls_back_to_deepest_existing():
    tpl = load(FIXTURES / "small.json")
    assert tpl.locate("/Resources/B/Properties/NoSuchThing/x") == tpl.locate("/Resources/B/Properties")


def test_pointer_escapes_rfc6901():
    assert pointer("Resources", "a/b", "c~d", 0) == "/Resources/a~1b/c~0d/0"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.json", '{\n "Resources": {\n  "B": {"Type": 1,\n }\n}\n', "bad.json:4:2: invalid JSON"),
        ("bad.yaml", "Resources:\n  B: [\n  x: : y\n", "bad.yaml:3:6: invalid YAML"),
        ("empty.json", "  \n", "empty.json:1:1: empty file"),
        ("dup.json", '{"A": 1, "A": 2, "Resources": {"x": {}}}', "dup.json:1:11: invalid JSON: dup"),
        ("nores.json", '{"Parameters": {}}', "nores.json:1:1: no Resources section"),
        ("list.yaml", "- a\n- b\n", "list.yaml:1:1: not a CloudFormation template"),
    ],
)
def test_bad_input_is_one_line_input_error(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / expected.split(":")[0]))
    assert expected.split(":", 1)[1] in message
    assert "\n" not in message
    assert caught.value.exit_code == EXIT_USAGE


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.json: no such file"):
        load(tmp_path / "nope.json")


def test_json_spans_survive_tricky_strings(tmp_path):
    text = (
        '{"Resources": {\n'
        '  "A": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "br{ace} [x], \\"q\\": y"}},\n'
        '  "B": {\n'
        '    "Type": "AWS::SQS::Queue",\n'
        '    "Metadata": {"a/b~c": [1, {"deep": [true, null]}]},\n'
        '    "Properties": {"QueueName": "q"}\n'
        "  }\n"
        "}}\n"
    )
    path = tmp_path / "t.json"
    path.write_text(text)
    tpl = load(path)
    assert tpl.locate("/Resources/B/Properties/QueueName") == (6, 20)
    assert tpl.locate(pointer("Resources", "B", "Metadata", "a/b~c", 1, "deep", 1)) == (5, 47)
    assert tpl.locate("/Resources/A/Properties/DisplayName") == (2, 51)
    assert tpl.snippet("/Resources/B") == (
        '"B": {\n  "Type": "AWS::SQS::Queue",\n  "Metadata": {"a/b~c": [1, {"deep": [true, null]}]},\n'
        '  "Properties": {"QueueName": "q"}\n}'
    )


def test_json_spans_agree_with_cfn_lint_marks_on_every_key():
    from cfnlint.decode import cfn_json

    tpl = load(FIXTURES / "small.json")
    nodes = cfn_json.loads(tpl.text)

    def walk(node, ptr):
        if isinstance(node, dict):
            for key, value in node.items():
                child = ptr + pointer(key)
                yield child, key.start_mark.line
                yield from walk(value, child)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, ptr + pointer(index))

    for ptr, line in walk(nodes, ""):
        assert tpl.spans[ptr][0] == line, ptr
