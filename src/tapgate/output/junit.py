"""JUnit XML: one test suite per engine, one test case per finding (FAIL fails, WAIVED / SUPPRESSED /
SKIP are skipped with their reason), and an <error> case for an engine that could not run."""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from tapgate.model import Finding, GateResult, Status


def render_junit(result: GateResult) -> bytes:
    by_engine: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_engine[finding.engine].append(finding)
    root = ET.Element("testsuites", name="tapgate", tests="0", failures="0", errors="0", skipped="0")
    for run in result.engines:
        by_engine.setdefault(run.name, [])
    for engine, findings in sorted(by_engine.items()):
        run = next((r for r in result.engines if r.name == engine), None)
        _suite(root, engine, findings, run)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _suite(root: ET.Element, engine: str, findings: list[Finding], run) -> None:
    suite = ET.SubElement(root, "testsuite", name=engine, time=f"{run.duration_s:.3f}" if run else "0")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if run is not None and not run.ok:
        case = ET.SubElement(suite, "testcase", classname=engine, name="engine run")
        ET.SubElement(case, "error", message=run.error or "engine failed")
        counts["tests"] += 1
        counts["errors"] += 1
    for finding in findings:
        case = ET.SubElement(suite, "testcase", classname=f"{engine}.{finding.rule}", name=_name(finding))
        counts["tests"] += 1
        if finding.status is Status.FAIL:
            failure = ET.SubElement(case, "failure", message=finding.message, type=finding.severity.value)
            failure.text = _detail(finding)
            counts["failures"] += 1
        elif finding.status is not Status.PASS:
            why = finding.reason or finding.message
            ET.SubElement(case, "skipped", message=f"{finding.status.value}: {why}")
            counts["skipped"] += 1
    for key, value in counts.items():
        suite.set(key, str(value))


def _name(finding: Finding) -> str:
    where = finding.resource or "template"
    return f"{finding.rule} {where} ({finding.file}{':' + str(finding.line) if finding.line else ''})"


def _detail(finding: Finding) -> str:
    lines = [f"{finding.file}:{finding.line or 1} {finding.path}", f"controls: {', '.join(finding.controls)}"]
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    if finding.snippet:
        lines.append(finding.snippet)
    return "\n".join(lines)
