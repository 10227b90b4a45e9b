"""The report's reading of a `GateResult`: facts grouped across engines, controls, framework views.

Markdown and HTML both render from this one view, so they can never disagree. Several engines that flag the
same fact (`Finding.group`) become one `Fact` with one number and one count: the summary counts facts, not
engine findings, and says how many engine findings stand behind them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tapgate.model import ControlResult, ControlStatus, Finding, GateResult, Regulation, Severity, Status

SEVERITY_ORDER = [s.value for s in Severity]  # critical first
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITY_ORDER)}
# A fact's status is its worst engine's: one engine failing the fact fails it.
STATUS_RANK = {Status.FAIL: 0, Status.WAIVED: 1, Status.SUPPRESSED: 2, Status.PASS: 3, Status.SKIP: 4}
CONTROL_ORDER = [s.value for s in ControlStatus]
TEMPLATE_WIDE = "(template-wide)"


@dataclass
class Fact:
    """One fact about the template, as one or several engines reported it."""

    number: int
    key: str
    status: Status
    severity: str
    findings: list[Finding]
    controls: list[str]

    @property
    def label(self) -> str:
        return f"F-{self.number}"

    @property
    def anchor(self) -> str:
        return f"finding-f-{self.number}"

    @property
    def lead(self) -> Finding:
        """The finding that locates the fact best (one with a line and a snippet, when any has them)."""
        return min(self.findings, key=lambda f: (f.line is None, f.snippet is None, -len(f.path)))

    @property
    def engines(self) -> list[str]:
        return sorted({f.engine for f in self.findings})

    @property
    def resource(self) -> str:
        return self.lead.resource or TEMPLATE_WIDE


@dataclass
class EvidenceRow:
    """What one rule of one engine said, under one control, about every resource it judged."""

    engine: str
    rule: str
    counts: dict[str, int]
    resources: dict[str, list[str]]  # Status value -> logical ids (TEMPLATE_WIDE for template-wide verdicts)

    @property
    def verdicts(self) -> list[tuple[str, list[str]]]:
        """(status, resources), the statuses that need a reader's eye first."""
        return sorted(self.resources.items(), key=lambda item: STATUS_RANK[Status(item[0])])


@dataclass
class RegulationRef:
    """A regulation a control serves, with the clauses it names (`NIST-800-53:SC-28` -> SC-28)."""

    regulation: Regulation
    clauses: list[str]

    @property
    def compact(self) -> str:
        """The regulation's id and clauses, for narrow table cells: "NIST-800-53 (SC-28, SC-12)"."""
        return f"{self.regulation.id} ({', '.join(self.clauses)})" if self.clauses else self.regulation.id

    @property
    def label(self) -> str:
        short = short_title(self.regulation)
        return f"{short} ({', '.join(self.clauses)})" if self.clauses else short


@dataclass
class ControlView:
    control: ControlResult
    regulations: list[RegulationRef]
    evidence: list[EvidenceRow]
    failing: list[Fact]

    def clauses_of(self, regulation_id: str) -> list[str]:
        return next((ref.clauses for ref in self.regulations if ref.regulation.id == regulation_id), [])

    @property
    def anchor(self) -> str:
        return "evidence-" + self.control.id.lower()


@dataclass
class FrameworkView:
    regulation: Regulation
    controls: list[ControlView]
    failing: list[Fact]
    counts: dict[str, int]

    @property
    def anchor(self) -> str:
        return "framework-" + slug(self.regulation.id)

    @property
    def has_clauses(self) -> bool:
        return any(cv.clauses_of(self.regulation.id) for cv in self.controls)


@dataclass
class ReportView:
    result: GateResult
    facts: list[Fact]  # failing facts, numbered, most severe first
    exempt: list[Finding]  # WAIVED and SUPPRESSED engine findings
    controls: list[ControlView]
    frameworks: list[FrameworkView]
    control_counts: dict[str, int]
    failing_by_severity: dict[str, int]
    failing_engine_findings: int
    finding_counts: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"Compliance report: {self.result.provenance.template}"


def slug(text: str) -> str:
    """A lower-case anchor from an id: letters, digits and single hyphens."""
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in out.split("-") if part)


def short_title(regulation: Regulation) -> str:
    """The name before the subtitle: "NIST SP 800-53 Rev. 5: security and privacy controls" -> its name."""
    return regulation.title.split(": ", 1)[0]


def split_reference(reference: str) -> tuple[str, str | None]:
    """A control's regulation reference is `REG-ID` or `REG-ID:clause`."""
    reg_id, _, clause = reference.partition(":")
    return reg_id, (clause or None)


def build_view(result: GateResult) -> ReportView:
    facts = _failing_facts(result.findings)
    regulations = _regulations(result)
    by_id = _findings_by_id(result)
    controls = [_control_view(c, result, regulations, facts, by_id) for c in result.controls]
    frameworks = [_framework_view(r, controls) for r in regulations.values()]
    by_severity = Counter(fact.severity for fact in facts)
    return ReportView(
        result=result,
        facts=facts,
        exempt=[f for f in result.findings if f.status in (Status.WAIVED, Status.SUPPRESSED)],
        controls=controls,
        frameworks=[fw for fw in frameworks if fw.controls],
        control_counts=_ordered(Counter(c.control.status.value for c in controls), CONTROL_ORDER),
        failing_by_severity=_ordered(by_severity, SEVERITY_ORDER),
        failing_engine_findings=sum(len(fact.findings) for fact in facts),
        finding_counts=_ordered(Counter(f.status.value for f in result.findings), [s.value for s in Status]),
    )


def _ordered(counts: Counter, order: list[str]) -> dict[str, int]:
    return {name: counts.get(name, 0) for name in order}


def fact_key(finding: Finding) -> str:
    """Findings of several engines about one fact share `group`; without one, a finding is its own fact."""
    if finding.group:
        return finding.group
    if finding.id:
        return finding.id
    return "|".join([finding.engine, finding.rule, finding.file, finding.resource or "", finding.path])


def _failing_facts(findings: list[Finding]) -> list[Fact]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[fact_key(finding)].append(finding)
    facts = []
    for key, members in grouped.items():
        status = min((f.status for f in members), key=STATUS_RANK.__getitem__)
        if status is not Status.FAIL:
            continue
        failing = [f for f in members if f.status is Status.FAIL]
        severity = min((f.severity.value for f in failing), key=SEVERITY_RANK.__getitem__)
        controls = sorted({c for f in members for c in f.controls})
        members.sort(key=lambda f: (STATUS_RANK[f.status], f.engine, f.rule))
        facts.append(Fact(0, key, status, severity, members, controls))
    facts.sort(key=lambda x: (SEVERITY_RANK[x.severity], x.resource, x.lead.path, x.lead.rule))
    for number, fact in enumerate(facts, start=1):
        fact.number = number
    return facts


def _regulations(result: GateResult) -> dict[str, Regulation]:
    """The result's regulations in catalog order, plus any a control names that the catalog lacks."""
    known = {r.id: r for r in result.regulations}
    for control in result.controls:
        for reference in control.regulations:
            reg_id = split_reference(reference)[0]
            known.setdefault(reg_id, Regulation(id=reg_id, title=reg_id))
    return known


def _references(control: ControlResult, regulations: dict[str, Regulation]) -> list[RegulationRef]:
    refs: dict[str, RegulationRef] = {}
    for reference in control.regulations:
        reg_id, clause = split_reference(reference)
        ref = refs.setdefault(reg_id, RegulationRef(regulations[reg_id], []))
        if clause and clause not in ref.clauses:
            ref.clauses.append(clause)
    order = list(regulations)
    return sorted(refs.values(), key=lambda ref: order.index(ref.regulation.id))


def _control_view(
    control: ControlResult,
    result: GateResult,
    regulations: dict[str, Regulation],
    facts: list[Fact],
    by_id: dict[str, list[Finding]],
) -> ControlView:
    if control.findings:
        mine = [f for fid in dict.fromkeys(control.findings) for f in by_id.get(fid, [])]
    else:
        mine = [f for f in result.findings if control.id in f.controls]
    mine_ids = {id(f) for f in mine}
    failing = [
        fact for fact in facts if control.id in fact.controls or any(id(f) in mine_ids for f in fact.findings)
    ]
    return ControlView(
        control=control,
        regulations=_references(control, regulations),
        evidence=_evidence_rows(mine),
        failing=failing,
    )


def _findings_by_id(result: GateResult) -> dict[str, list[Finding]]:
    by_id: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_id[finding.id].append(finding)
    return by_id


def _evidence_rows(findings: list[Finding]) -> list[EvidenceRow]:
    by_rule: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_rule[(finding.engine, finding.rule)].append(finding)
    rows = []
    for (engine, rule), members in sorted(by_rule.items()):
        resources: dict[str, list[str]] = defaultdict(list)
        for finding in members:
            name = finding.resource or TEMPLATE_WIDE
            if name not in resources[finding.status.value]:
                resources[finding.status.value].append(name)
        counts = Counter(f.status.value for f in members)
        rows.append(EvidenceRow(engine, rule, dict(counts), {k: sorted(v) for k, v in resources.items()}))
    return rows


def _framework_view(regulation: Regulation, controls: list[ControlView]) -> FrameworkView:
    mine = [cv for cv in controls if any(ref.regulation.id == regulation.id for ref in cv.regulations)]
    failing: dict[int, Fact] = {}
    for cv in mine:
        failing.update({fact.number: fact for fact in cv.failing})
    counts = _ordered(Counter(cv.control.status.value for cv in mine), CONTROL_ORDER)
    return FrameworkView(regulation, mine, [failing[n] for n in sorted(failing)], counts)
