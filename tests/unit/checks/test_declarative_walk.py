"""tapgate.checks.declarative: the direct walk behind `$..*` and `$..NAME.*` selects exactly what jsonpath-ng
selects (same values, same pointer parts and keys, same order) on generated documents and on every resource of
TapStack.json, and every other selector still goes through jsonpath-ng."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonpath_ng.ext import parse

from tapgate.checks.declarative import ValueCheck, key_of, pointer_parts

REPO = Path(__file__).parents[3]
KEYS = st.sampled_from(["States", "Type", "Retry", "a", "b/c", "~x", "0", ""])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=30,
)
WALKED = ["$..*", "$..States.*", "$..Retry.*"]


def selector_check(selector: str) -> ValueCheck:
    check = ValueCheck()
    check.selector = selector
    return check


def through_jsonpath(selector: str, document) -> list[tuple]:
    return [(pointer_parts(m), key_of(m), m.value) for m in parse(selector).find(document)]


def assert_same(selector: str, document) -> None:
    walked = selector_check(selector).select(document)
    expected = through_jsonpath(selector, document)
    assert [(parts, key) for parts, key, _ in walked] == [(parts, key) for parts, key, _ in expected]
    assert all(a[2] is b[2] for a, b in zip(walked, expected, strict=True))  # the very same objects


@pytest.mark.parametrize("selector", WALKED)
@settings(max_examples=300, deadline=None)
@given(document=DOCUMENTS)
def test_the_walk_selects_what_jsonpath_selects(selector, document):
    assert_same(selector, document)


@pytest.mark.parametrize("selector", WALKED)
def test_the_walk_on_every_resource_of_tapstack(selector):
    resources = json.loads((REPO / "TapStack.json").read_text(encoding="utf-8"))["Resources"]
    for resource in resources.values():
        assert_same(selector, resource)


def test_other_selectors_go_through_jsonpath(monkeypatch):
    from tapgate.checks import declarative

    def no_walk(*_args):
        raise AssertionError("walked a selector it does not cover")

    monkeypatch.setattr(declarative, "descendant_matches", no_walk)
    document = {"Properties": {"Tags": [{"Key": "k"}], "Name": "n"}}
    selected = selector_check("$.Properties.*").select(document)
    assert [(parts, key) for parts, key, _ in selected] == [
        (("Properties", "Tags"), "Tags"),
        (("Properties", "Name"), "Name"),
    ]


def test_list_items_point_at_their_position_and_keep_the_list_name():
    """A value inside a list is located at its own position (its line in the report), and is judged under the
    name of the list that holds it."""
    document = {"Token": ["literal", {"Inner": ["x"]}]}
    selected = selector_check("$..*").select(document)
    assert [(parts, key) for parts, key, _ in selected] == [
        (("Token",), "Token"),
        (("Token", 0), "Token"),
        (("Token", 1), "Token"),
        (("Token", 1, "Inner"), "Inner"),
        (("Token", 1, "Inner", 0), "Inner"),
    ]
