"""The one-pass JSON pointer index agrees with cfn-lint's marks on the line of every resource and property."""

from __future__ import annotations

import json

from tapgate import template
from tapgate.crosscheck.locate import JsonIndex


def test_lines_match_the_marking_decoder(tmp_path):
    data = {
        "Resources": {
            "A/B": {"Type": "T", "Properties": {"L": [1, {"k": "v"}, [2, 3]], "S": "x,y:{}"}},
            "C": {"Type": "T"},
        }
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data, indent=2))
    tpl = template.load(path)
    index = JsonIndex(tpl.text)
    for pointer in (
        "/Resources/A~1B",
        "/Resources/A~1B/Properties/S",
        "/Resources/A~1B/Properties/L/1/k",
        "/Resources/C/Type",
    ):
        assert index.line_col(pointer)[0] == tpl.locate(pointer)[0], pointer
    assert index.line_col("/Resources/C/Missing/deeper")[0] == tpl.locate("/Resources/C")[0]
    line, col = index.line_col("/Resources/A~1B/Properties/L/2/1")
    assert tpl.text.splitlines()[line - 1][col - 1 :].startswith("3")
