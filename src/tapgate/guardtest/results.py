"""Run `cfn-guard test -d DIR -o json` and turn its answer into one line per problem.

A problem is: a test case whose rule evaluated otherwise than expected; a rule or test file that does not
parse; a test case that sets no expectation for a rule of the file (cfn-guard passes those silently, so a
typo in a rule name would test nothing); a rule file with no `tests/<rule>_tests.yaml` beside it (cfn-guard
only says "skipping"). Anything cfn-guard answers that is not its documented JSON fails closed (EngineError).
"""

from __future__ import annotations

from pathlib import Path

from tapgate.engines.base import load_json, run_process, unparseable

ENGINE = "cfn-guard"
TEST_SUFFIXES = ("_tests.yaml", "_tests.yml", "_tests.json")
OK_CODES = {0, 1, 7}  # 0 pass, 7 a case failed, 1 a rule or test file did not parse (named in the JSON)


def check_dir(guard: str, rule_dir: Path, timeout_s: float, allow_untested: bool) -> tuple[int, list[str]]:
    """(test cases run, problems) for one rule directory, searched recursively as cfn-guard does."""
    output = run_process(ENGINE, [guard, "test", "-d", str(rule_dir), "-o", "json"], OK_CODES, timeout_s)
    reports = load_json(ENGINE, output.stdout or "[]")
    if not isinstance(reports, list):
        raise unparseable(ENGINE, "expected a JSON list with one entry per rule file", output.stdout)
    cases, problems = 0, []
    for report in reports:
        report_cases, report_problems = _report_problems(report, output.stdout)
        cases += report_cases
        problems += report_problems
    if output.returncode != 0 and not problems:  # it says something failed, but its report does not say what
        raise unparseable(ENGINE, f"exit code {output.returncode} with no failing case", output.stdout)
    return cases, ([] if allow_untested else untested_rules(rule_dir)) + problems


def untested_rules(rule_dir: Path) -> list[str]:
    missing = []
    for rule_file in sorted(rule_dir.rglob("*.guard")):
        tests = rule_file.parent / "tests"
        if not any((tests / f"{rule_file.stem}{suffix}").is_file() for suffix in TEST_SUFFIXES):
            missing.append(f"{rule_file}: no test file tests/{rule_file.stem}_tests.yaml beside it")
    return missing


def _report_problems(report: object, raw: str) -> tuple[int, list[str]]:
    if not isinstance(report, dict) or "rule_file" not in report:
        raise unparseable(ENGINE, "an entry without rule_file", raw)
    rule_file = report["rule_file"]
    if "error" in report:
        return 0, [f"{rule_file}: {' '.join(str(report['error']).split())}"]
    cases = report.get("test_cases")
    if not isinstance(cases, list):
        raise unparseable(ENGINE, f"{rule_file} has neither test_cases nor error", raw)
    problems = []
    for case in cases:
        problems += _case_problems(rule_file, case, raw)
    return len(cases), problems


def _case_problems(rule_file: str, case: object, raw: str) -> list[str]:
    try:
        name = case["name"]
        failed, skipped, passed = case["failed_rules"], case["skipped_rules"], case["passed_rules"]
    except (KeyError, TypeError) as err:
        raise unparseable(ENGINE, f"a test case without {err}", raw) from None
    problems = [
        f"{rule_file}: case {name!r}: {rule['name']} expected {rule['expected']}, "
        f"evaluated {', '.join(map(str, rule['evaluated']))}"
        for rule in failed
    ]
    problems += [
        f"{rule_file}: case {name!r}: no expectation set for rule {rule['name']}" for rule in skipped
    ]
    if not (failed or skipped or passed):
        problems.append(f"{rule_file}: case {name!r}: tests no rule")
    return problems
