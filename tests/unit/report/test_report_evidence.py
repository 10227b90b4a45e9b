"""Flow evidence and cost estimate are read tolerantly: known counts first and in order, invariants in either
shape, other scalars as dotted rows, lists of objects as tables, unit prices keeping their digits."""

from __future__ import annotations

from tapgate.report.evidence import cost_evidence, flow_evidence, format_value, invariants


def test_flow_counts_come_in_the_documented_order_and_the_rest_is_kept():
    ev = flow_evidence(
        {"failed": 0, "wall_s": 9.5, "generated": 10, "reports": 10, "by": [{"a": 1}], "x": {"y": 2}}
    )
    assert ev.counts == [("reports", "10"), ("generated", "10"), ("failed", "0")]
    assert ev.rows == [("wall_s", "9.50"), ("x.y", "2")]
    assert ev.tables == [("by", ["a"], [["1"]])]


def test_invariants_as_a_list_or_a_mapping():
    listed = invariants(
        [{"name": "no loss", "ok": True, "message": "200 = 200"}, {"name": "once", "held": False}]
    )
    assert [(i.name, i.held, i.detail) for i in listed] == [
        ("no loss", True, "200 = 200"),
        ("once", False, ""),
    ]
    mapped = invariants({"no loss": True, "once": {"held": False, "detail": "2 sends"}, "odd": "yes"})
    assert [(i.name, i.held, i.detail) for i in mapped] == [
        ("no loss", True, ""),
        ("once", False, "2 sends"),
        ("odd", None, ""),
    ]
    assert invariants(None) == [] and invariants("text") == []


def test_cost_total_is_the_headline_with_its_currency_and_unit_prices_keep_their_digits():
    ev = cost_evidence(
        {"total": 215.83, "currency": "USD", "items": [{"service": "Lambda", "unit_usd": 1.66667e-05}]}
    )
    assert ev.counts == [("total", "215.83 USD")]
    assert ev.tables == [("items", ["service", "unit_usd"], [["Lambda", "1.66667e-05"]])]
    assert ("currency", "USD") in ev.rows


def test_values_read_as_words_and_numbers():
    assert [format_value(v) for v in (True, False, None, 2000, 1234.5, 30.0, 0.0, 0.25)] == [
        "yes",
        "no",
        "",
        "2,000",
        "1,234.50",
        "30",
        "0",
        "0.25",
    ]


def test_a_mapping_of_flat_objects_is_a_table_and_of_empty_ones_is_nothing():
    ev = flow_evidence(
        {"by_jurisdiction": {"US": {"confirmed": 7}, "UK": {"confirmed": 3}}, "faults": {"plan": {}}}
    )
    assert ev.tables == [("by_jurisdiction", ["", "confirmed"], [["US", "7"], ["UK", "3"]])]
    assert ev.rows == []
