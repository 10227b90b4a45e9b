"""Controls and the verdict: which controls hold, the summary counts, and the exit code.

Exit 3 if any engine did not run cleanly (never a pass), else 1 if any FAIL remains, else 0.
"""

from __future__ import annotations

from collections import Counter

from tapgate.errors import EXIT_ENGINE, EXIT_FINDINGS, EXIT_OK
from tapgate.model import ControlResult, ControlStatus, EngineRun, Finding, Status, Summary


def control_results(controls: list[ControlResult], findings: list[Finding]) -> list[ControlResult]:
    mapped: dict[str, list[Finding]] = {c.id: [] for c in controls}
    for finding in findings:
        for control_id in finding.controls:
            mapped.setdefault(control_id, []).append(finding)
    results = []
    for control in controls:
        own = mapped[control.id]
        counts = Counter(f.status.value for f in own)
        results.append(
            control.model_copy(
                update={
                    "status": control_status(counts),
                    "findings": [f.id for f in own],
                    "resources": sorted({f.resource for f in own if f.resource}),
                    "counts": dict(sorted(counts.items())),
                }
            )
        )
    return results


def control_status(counts: Counter) -> ControlStatus:
    if counts[Status.FAIL.value]:
        return ControlStatus.FAILED
    if counts[Status.WAIVED.value] or counts[Status.SUPPRESSED.value]:
        return ControlStatus.WAIVED
    if counts[Status.PASS.value] or counts[Status.SKIP.value]:
        return ControlStatus.HELD
    return ControlStatus.NOT_EVALUATED


def exit_code(engines: list[EngineRun], findings: list[Finding]) -> int:
    if any(not run.ok for run in engines):
        return EXIT_ENGINE
    if any(f.status is Status.FAIL for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK


def summarize(engines: list[EngineRun], controls: list[ControlResult], findings: list[Finding]) -> Summary:
    code = exit_code(engines, findings)
    failing = Counter(f.severity.value for f in findings if f.status is Status.FAIL)
    return Summary(
        verdict={EXIT_OK: "PASS", EXIT_FINDINGS: "FAIL"}.get(code, "ERROR"),
        exit_code=code,
        controls=dict(sorted(Counter(c.status.value for c in controls).items())),
        findings=dict(sorted(Counter(f.status.value for f in findings).items())),
        failing_by_severity=dict(sorted(failing.items())),
    )
