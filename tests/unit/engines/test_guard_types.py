"""The type classifier of guard rule files (tapgate.engines.guard_types) and the grouping plan built on it:
which resource types a rule file can read, and every way it could read other resources sends it to the
whole template (fail closed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tapgate.engines.guard_plan import plan, project
from tapgate.engines.guard_types import Full, classify_text, readable_types, regex_count

REPO = Path(__file__).parents[3]
SUPPRESSION = """
    Metadata.guard.SuppressedRules not exists or
    Metadata.guard.SuppressedRules.* != "X"
"""


def rule(selection: str, body: str = "Properties.A exists") -> str:
    return f"let sel = {selection}\nrule X when %sel !empty {{\n    %sel {{ {body} }}\n}}\n"


SNS_SQS = {"AWS::SNS::Topic", "AWS::SQS::Queue"}
KMS = {"AWS::KMS::Key", "AWS::KMS::Alias"}


@pytest.mark.parametrize(
    ("text", "types"),
    [
        (rule("Resources.*[ Type == 'AWS::S3::Bucket' ]"), {"AWS::S3::Bucket"}),
        (rule('Resources.*[ Type == "AWS::S3::Bucket"' + SUPPRESSION + "]"), {"AWS::S3::Bucket"}),
        (rule("Resources.*[ Type in ['AWS::SNS::Topic', 'AWS::SQS::Queue'] ]"), SNS_SQS),
        (rule("Resources.*[ Type == 'AWS::SNS::Topic' or Type == 'AWS::SQS::Queue' ]"), SNS_SQS),
        ('let T = "AWS::KMS::Key"\n' + rule("Resources.*[ Type == %T ]"), {"AWS::KMS::Key"}),
        ('let L = ["AWS::KMS::Key", "AWS::KMS::Alias"]\n' + rule("Resources.*[ Type in %L ]"), KMS),
        ("rule P when Parameters.*[ NoEcho == true ] !empty { Parameters.*.Default not exists }", set()),
        # A property named Resources inside an element is not the template section.
        (
            rule("Resources.*[ Type == 'AWS::EKS::Cluster' ]", "EncryptionConfig[*] { Resources exists }"),
            {"AWS::EKS::Cluster"},
        ),
        # Comments and messages are not read as queries.
        (
            "# Resources.*\n" + rule("Resources.*[ Type == 'AWS::S3::Bucket' ]", "A exists <<Resources[*]>>"),
            {"AWS::S3::Bucket"},
        ),
    ],
)
def test_rule_files_that_read_only_their_types(text: str, types: set[str]) -> None:
    assert readable_types(text) == frozenset(types)


@pytest.mark.parametrize(
    "text",
    [
        rule("Resources.*"),  # no type literal at all
        rule("Resources.*[ Properties.Encrypted exists ]"),  # a filter, but not on Type
        rule("Resources.*[ Type == /AWS::S3::.*/ ]"),  # a regex on Type
        rule("Resources.*[ Type != 'AWS::S3::Bucket' ]"),
        rule("Resources.*[ Type == 'AWS::S3::Bucket' or Metadata.x exists ]"),  # or-joined with a property
        rule("Resources.*[ not Type == 'AWS::S3::Bucket' ]"),
        rule("Resources.*[ Type == %unknown ]"),  # a variable that is not a string literal
        rule("Resources[ keys == 'DataBucket' ]"),  # a resource by logical id, of any type
        rule("Resources.DataBucket"),
        "rule X { Resources !empty }",
        "let all = Resources\nrule X { %all.*.Type exists }",
        "rule X { *.*[ Type == 'AWS::S3::Bucket' ] !empty }",  # a wildcard on the root
        "rule X { this.*.*.Type exists }",
        "let doc = this\nrule X { %doc.* !empty }",
        "let doc = this\nrule X { %doc[*] !empty }",
        'let section = "Resources"\nlet doc = this\nrule X { %doc.%section !empty }',
        "rule is_doc(doc) { %doc.* !empty }\nrule X when is_doc(this) { Parameters exists }",
        "let alias = %doc\nlet doc = this\nrule X { %alias.* !empty }",  # an alias of a root defined later
        "let q = Parameters\nrule X { %q.Resources.* !empty }",  # any variable's .Resources is checked
        'rule X { Resources.*[ Type == "AWS::S3::Bucket ] }',  # an unterminated string
        "rule X { Resources exists <<unterminated message }",
    ],
)
def test_anything_that_may_read_other_resources_gets_the_whole_template(text: str) -> None:
    assert isinstance(readable_types(text), Full), readable_types(text)


def test_control_tower_hook_form_and_type_variables_are_read() -> None:
    text = """
let S3_BUCKET_TYPE = "AWS::S3::Bucket"
let INPUT_DOCUMENT = this
let s3_buckets = Resources.*[ Type == %S3_BUCKET_TYPE ]
rule s3_check when is_cfn_template(%INPUT_DOCUMENT) %s3_buckets not empty { check(%s3_buckets.Properties) }
rule s3_check when is_cfn_hook(%INPUT_DOCUMENT, %S3_BUCKET_TYPE) {
    check(%INPUT_DOCUMENT.%S3_BUCKET_TYPE.resourceProperties)
}
rule check(s3_bucket) { %s3_bucket { BucketEncryption exists } }
rule is_cfn_template(doc) { %doc { AWSTemplateFormatVersion exists or Resources exists } }
rule is_cfn_hook(doc, RESOURCE_TYPE) { %doc.%RESOURCE_TYPE.resourceProperties exists }
"""
    assert readable_types(text) == frozenset({"AWS::S3::Bucket"})


def test_every_project_rule_file_is_classified() -> None:
    """The project's own rules all name their types: none needs the whole template (a new rule that does
    still works, only slower; this test says which one)."""
    classified = {
        p.stem: readable_types(p.read_text()) for p in (REPO / "policies" / "guard").rglob("*.guard")
    }
    full = {stem: why for stem, why in classified.items() if isinstance(why, Full)}
    assert full == {}


def test_one_tokenization_classifies_as_the_two_functions_do() -> None:
    """guard_plan classifies with classify_text: the same types (or Full reason) and regex count."""
    texts = [p.read_text() for p in (REPO / "policies" / "guard").rglob("*.guard")]
    texts += ["rule r { Resources.*[ Type == /x/ ] }", 'let s = "Resources"', "rule r { << }", "let x = 'a"]
    for text in texts:
        assert classify_text(text) == (readable_types(text), regex_count(text))


def test_projection_keeps_every_other_section_and_only_the_types() -> None:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"P": {"Type": "String"}},
        "Resources": {
            "B": {"Type": "AWS::S3::Bucket"},
            "K": {"Type": "AWS::KMS::Key"},
            "Odd": "not a resource",
        },
    }
    assert project(template, frozenset({"AWS::KMS::Key"})) == {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"P": {"Type": "String"}},
        "Resources": {"K": {"Type": "AWS::KMS::Key"}},
    }
    assert project(template, None) is template
    assert project({"Parameters": {}}, frozenset()) == {"Parameters": {}}


def test_plan_puts_every_rule_file_in_exactly_one_group() -> None:
    files = {Path(f"r{i}.guard"): frozenset({f"AWS::S::T{i % 5}"}) for i in range(20)}
    files[Path("all.guard")] = None
    sizes = {f"AWS::S::T{i}": 10_000 * (i + 1) for i in range(5)}
    for max_groups in (1, 3, 8):
        groups = plan(files, sizes, 5_000, max_groups)
        assert len(groups) <= max_groups
        placed = [f for g in groups for f in g.rule_files]
        assert sorted(placed) == sorted(files)
        for group in groups:  # a group reads at least every type its files read
            needed = [files[f] for f in group.rule_files]
            assert group.types is None if None in needed else set().union(*needed) <= group.types


def test_plan_keeps_the_whole_template_group_apart_when_it_pays() -> None:
    files = {Path("a.guard"): frozenset({"AWS::S3::Bucket"}), Path("b.guard"): None}
    groups = plan(files, {"AWS::S3::Bucket": 1_000, "AWS::IAM::Role": 500_000}, 1_000, 4)
    assert sorted((g.types, tuple(g.rule_files)) for g in groups if g.types) == [
        (frozenset({"AWS::S3::Bucket"}), (Path("a.guard"),))
    ]
    assert [(None, [Path("b.guard")])] == [(g.types, g.rule_files) for g in groups if g.types is None]


def test_plan_halves_a_group_that_would_outlast_the_other_workers() -> None:
    files = {Path(f"all{i:02}.guard"): None for i in range(40)}
    files |= {Path(f"s3_{i}.guard"): frozenset({"AWS::S3::Bucket"}) for i in range(3)}
    groups = plan(files, {"AWS::S3::Bucket": 1_000, "AWS::IAM::Role": 100_000}, 1_000, 2, workers=2)
    whole = [g for g in groups if g.types is None]
    assert len(whole) == 2 and all(len(g.rule_files) == 20 for g in whole)
    assert sorted(f for g in groups for f in g.rule_files) == sorted(files)
