"""`tapgate guard-test [PATH ...]`: run `cfn-guard test` on guard rule directories (the pre-commit hook).

A PATH is a rule directory, a `.guard` file or one of its test files (`tests/<rule>_tests.yaml`); files map
to the rule directory that holds them, so pre-commit can pass the changed files. Each directory is tested
with `cfn-guard test -d DIR -o json`, using the same binary the gate finds (`tapgate.engines.provision`).

Exit codes: 0 every test case passes; 1 a case fails, or a rule file has no test file beside it; 2 usage
(a PATH that does not exist, no rules found); 3 cfn-guard could not run or gave an unreadable answer.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_DIR = "policies/guard"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "guard-test",
        help="run cfn-guard test on guard rule directories (rules with tests/<rule>_tests.yaml beside them)",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help=f"rule dirs or files (default: {DEFAULT_DIR})"
    )
    parser.add_argument(
        "--guard-bin", help="the cfn-guard executable (else $CFN_GUARD_PATH, PATH, pinned wheel)"
    )
    parser.add_argument(
        "--allow-untested", action="store_true", help="do not fail on a rule file that has no test file"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds per cfn-guard run (default 120)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tapgate.engines.provision import find_guard
    from tapgate.errors import UsageError
    from tapgate.guardtest.results import check_dir

    dirs = rule_dirs(args.paths or [DEFAULT_DIR])
    without_rules = [str(d) for d in dirs if not any(d.rglob("*.guard"))]
    if without_rules:
        raise UsageError(f"no .guard rule files under {', '.join(without_rules)}")
    guard = find_guard(args.guard_bin)
    problems: list[str] = []
    cases = 0
    for rule_dir in dirs:
        dir_cases, dir_problems = check_dir(guard, rule_dir, args.timeout, args.allow_untested)
        cases += dir_cases
        problems += dir_problems
    for problem in problems:
        print(problem)
    where = ", ".join(str(d) for d in dirs)
    if problems:
        print(f"cfn-guard test: {len(problems)} problem(s) in {where}", file=sys.stderr)
        return 1
    print(f"cfn-guard test: {cases} test case(s) passed in {where}")
    return 0


def rule_dirs(paths: list[str]) -> list[Path]:
    """The distinct rule directories the given paths belong to, in the order given."""
    from tapgate.errors import UsageError

    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or directory")
        if path.is_file():
            path = path.parent.parent if path.parent.name == "tests" else path.parent
        found.setdefault(Path(os.path.normpath(path)), None)
    # a directory inside another one given is already tested by cfn-guard's recursive search
    return [d for d in found if not any(other != d and other in d.parents for other in found)]
