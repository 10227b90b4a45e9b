"""checkov's command line with its JSONPath parser built once: `python -m tapgate.engines.checkov_main ARGS`.

Why (issue 8): checkov's CloudFormation variable renderer parses a JSONPath expression for every attribute
it updates, and `bc_jsonpath_ng` regenerates PLY's LALR tables from its grammar for every parse
(`yacc(write_tables=0)`): about 65 ms each, 90 parses and about half of checkov's CPU on TapStack.json.
The tables depend only on the grammar (the parser class and start symbol), so generated parsers are kept
and reused; its grammar actions keep no state between parses. A parser serves one parse at a time (PLY's
parser is not re-entrant; checkov renders in threads), so a pool holds as many as ever ran at once.

Everything else is checkov's console script: `Checkov().run()` with the same arguments, output and exit
codes (tests/unit/engines/test_checkov_main.py compares the checks both report). If the parser is not where
this expects it (a checkov upgrade), checkov runs unpatched: slower, never different.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings


def reuse_jsonpath_parser_tables() -> bool:
    """Patch bc_jsonpath_ng's parser class in place; False (nothing patched) if it is not the known shape."""
    try:
        import ply.yacc
        from bc_jsonpath_ng import parser
    except ImportError:
        return False
    klass = parser.JsonPathParser
    if getattr(klass.parse_token_stream, "tables_reused", False):
        return True
    if not all(hasattr(parser, name) for name in ("IteratorToTokenStream", "logger")):
        return False
    idle: dict[tuple, list] = {}  # parsers not parsing right now, per grammar
    lock = threading.Lock()
    module_name = os.path.splitext(os.path.basename(parser.__file__))[0]

    def build(self, start_symbol: str):  # the same call bc_jsonpath_ng makes for every parse
        return ply.yacc.yacc(
            module=self,
            debug=self.debug,
            tabmodule="_".join([module_name, start_symbol, "parsetab"]),
            outputdir=os.path.dirname(parser.__file__),
            write_tables=0,
            start=start_symbol,
            errorlog=parser.logger,
        )

    def parse_token_stream(self, token_iterator, start_symbol: str = "jsonpath"):
        key = (type(self), start_symbol, self.debug)
        with lock:
            pool = idle.setdefault(key, [])
            lr_parser = pool.pop() if pool else None
        lr_parser = lr_parser or build(self, start_symbol)
        try:
            return lr_parser.parse(lexer=parser.IteratorToTokenStream(token_iterator))
        finally:
            with lock:
                idle[key].append(lr_parser)

    parse_token_stream.tables_reused = True
    klass.parse_token_stream = parse_token_stream
    return True


def main() -> int:
    reuse_jsonpath_parser_tables()
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
