"""checkov's command line with its JSONPath parser memoised: `python -m tapgate.engines.checkov_main ARGS`.

Why (issue 8): checkov's CloudFormation variable renderer calls `bc_jsonpath_ng`'s `parse()` for every
attribute it updates, and each call regenerates PLY's LALR tables from the grammar (`write_tables=0`). On
TapStack.json that was about a fifth of checkov's CPU time, the gate's longest engine. A JSONPath parse is a
pure function of the expression text, so the parsed expression is kept per (parser class, expression).

Everything else is checkov's console script: `Checkov().run()` with the same arguments, output and exit
codes (the gate compared the passed/failed/skipped sets of both on TapStack.json: identical). If the parser
is not where this expects it (a checkov upgrade), checkov runs unpatched: slower, never different.
"""

from __future__ import annotations

import sys
import warnings


def memoise_jsonpath_parser() -> bool:
    """Patch bc_jsonpath_ng's parser class in place; False (nothing patched) if it is not the known shape."""
    try:
        from bc_jsonpath_ng import parser
    except ImportError:
        return False
    original = getattr(parser.JsonPathParser, "parse", None)
    if original is None or getattr(original, "memoised", False):
        return original is not None
    parsed: dict[tuple, object] = {}

    def parse(self, string, lexer=None):
        if lexer is not None:  # a caller's own lexer may carry state: parse as checkov would
            return original(self, string, lexer)
        key = (type(self), getattr(self, "debug", None), getattr(self, "lexer_class", None), string)
        found = parsed.get(key)
        if found is None:
            found = parsed[key] = original(self, string)
        return found

    parse.memoised = True
    parser.JsonPathParser.parse = parse
    return True


def main() -> int:
    memoise_jsonpath_parser()
    try:
        from checkov.main import Checkov
    except ImportError as err:
        print(f"checkov is not installed for {sys.executable}: {err}", file=sys.stderr)
        return 2  # not one of checkov's documented codes: the gate fails closed
    with warnings.catch_warnings():  # as checkov's console script does
        warnings.simplefilter("ignore", category=SyntaxWarning)
        return Checkov().run()


if __name__ == "__main__":
    sys.exit(main())
