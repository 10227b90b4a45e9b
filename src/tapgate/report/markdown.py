"""The report as GitHub-flavoured Markdown: tables, and links to heading anchors that work on a code host."""

from __future__ import annotations

from tapgate.model import Status
from tapgate.report import wording
from tapgate.report.evidence import Evidence, cost_evidence, flow_evidence
from tapgate.report.mdtext import cell, code, fence, link, table, text
from tapgate.report.view import ControlView, Fact, FrameworkView, ReportView, build_view, short_title

RESOURCES_SHOWN = 8


def render_markdown(result) -> str:
    view = build_view(result)
    parts = [
        _title(view),
        _provenance(view),
        _summary(view),
        _matrix(view),
        _findings(view),
        _frameworks(view),
        _register(view),
        _flow(view),
        _cost(view),
        _evidence(view),
        _engines(view),
    ]
    return "\n\n".join("\n".join(lines) for lines in parts) + "\n"


def _title(view: ReportView) -> list[str]:
    s = view.result.summary
    lines = [
        f"# {text(view.title)}",
        "",
        f"**Verdict: {s.verdict}** (exit code {s.exit_code}). " + _headline(view),
    ]
    lines += ["", "Contents: " + " · ".join(link(label, heading) for label, heading in wording.SECTIONS)]
    return lines


def _headline(view: ReportView) -> str:
    return text(wording.headline(view))


def _provenance(view: ReportView) -> list[str]:
    rows = [[f"**{label}**", value] for label, value in wording.provenance_rows(view.result.provenance, code)]
    lines = ["## 1. Provenance", "", *table(["Item", "Value"], rows), "", "Re-run exactly:", ""]
    return lines + fence(view.result.provenance.command, "sh")


def _summary(view: ReportView) -> list[str]:
    controls = [[str(n) for n in view.control_counts.values()] + [str(len(view.controls))]]
    header = [wording.CONTROL_WORDS[k] for k in view.control_counts] + ["Total"]
    severities = [[str(n) for n in view.failing_by_severity.values()] + [str(len(view.facts))]]
    sev_header = [k.capitalize() for k in view.failing_by_severity] + ["Total"]
    return [
        "## 2. Summary",
        "",
        "Controls:",
        "",
        *table(header, controls),
        "",
        "Failing findings by severity (one fact flagged by several engines counts once):",
        "",
        *table(sev_header, severities),
        "",
        text(wording.grouping_note(view)),
        "",
        "By regulation:",
        "",
        *table(["Regulation", *header, "Failing findings"], [_framework_row(fw) for fw in view.frameworks]),
    ]


def _framework_row(fw: FrameworkView) -> list[str]:
    counts = [str(n) for n in fw.counts.values()]
    name = link(short_title(fw.regulation), wording.framework_heading(fw))
    return [name, *counts, str(len(fw.controls)), str(len(fw.failing))]


def _matrix(view: ReportView) -> list[str]:
    rows = []
    for cv in view.controls:
        c = cv.control
        rows.append(
            [
                f"**{text(c.id)}** {text(c.title)}",
                _status(c.status.value),
                "<br>".join(text(ref.label) for ref in cv.regulations) or "–",
                "<br>".join(
                    f"{text(engine)}: " + ", ".join(code(r) for r in ids) for engine, ids in c.rules.items()
                )
                or "–",
                _resources(c.resources),
                link("evidence", wording.evidence_heading(cv)),
            ]
        )
    header = ["Control", "Status", "Regulations", "Implementing rules", "Resources checked", "Evidence"]
    return ["## 3. Control matrix", "", *table(header, rows)]


def _resources(resources: list[str]) -> str:
    shown = ", ".join(code(r) for r in resources[:RESOURCES_SHOWN])
    more = len(resources) - RESOURCES_SHOWN
    return f"{len(resources)}: {shown}" + (f" and {more} more" if more > 0 else "") if resources else "–"


def _status(value: str) -> str:
    word = wording.STATUS_WORDS.get(value, value)
    return f"**{word}**" if value in ("FAILED", "FAIL") else word


def _findings(view: ReportView) -> list[str]:
    lines = ["## 4. Findings", ""]
    if not view.facts:
        lines.append("No failing findings.")
    for fact in view.facts:
        lines += [*_fact(fact), ""]
    lines += ["### Waived and suppressed findings", ""]
    if not view.exempt:
        return [*lines, "None."]
    rows = [
        [cell(f.engine), code(f.rule), code(f.resource or ""), f.status.value, cell(f.reason), cell(f.waiver)]
        for f in view.exempt
    ]
    return lines + table(["Engine", "Rule", "Resource", "Status", "Reason", "Waiver"], rows)


def _fact(fact: Fact) -> list[str]:
    lead = fact.lead
    where = (
        f"{code(lead.file)}"
        + (f" line {lead.line}" if lead.line else "")
        + (f", {code(lead.path)}" if lead.path else "")
    )
    lines = [f"### {text(wording.fact_heading(fact))}", ""]
    lines.append(
        f"- **Resource:** {code(fact.resource)}"
        + (f" ({text(lead.resource_type)})" if lead.resource_type else "")
    )
    lines.append(f"- **Where:** {where}")
    if lead.code_location:
        lines.append(f"- **Code:** {code(lead.code_location)}")
    lines.append("- **Controls:** " + ", ".join(link(c, f"Evidence: {c}") for c in fact.controls))
    lines += [f"- **Note:** {text(note)}" for note in wording.fact_notes(fact)]
    lines.append(
        f"- **Engines:** {len(fact.findings)} finding(s) from " + ", ".join(text(e) for e in fact.engines)
    )
    rows = [
        [
            cell(f.engine),
            code(f.rule),
            _status(f.status.value),
            cell(f.severity.value),
            cell(f.message),
            cell(f.fix),
        ]
        for f in fact.findings
    ]
    lines += ["", *table(["Engine", "Rule", "Status", "Severity", "Message", "Fix"], rows)]
    if lead.snippet:
        lines += ["", f"Quoted from {code(lead.file)}" + (f" at line {lead.line}:" if lead.line else ":"), ""]
        lines += fence(lead.snippet, "json")
    return lines


def _frameworks(view: ReportView) -> list[str]:
    lines = [
        "## 5. Framework views",
        "",
        "Each regulation's part stands alone: its controls and their failures.",
    ]
    for fw in view.frameworks:
        lines += ["", *_framework(fw)]
    return lines


def _framework(fw: FrameworkView) -> list[str]:
    reg = fw.regulation
    lines = [f"### {text(wording.framework_heading(fw))}", ""]
    if reg.citation:
        lines += [text(reg.citation) + (f" ({reg.url})" if reg.url else ""), ""]
    lines += [text(wording.framework_summary(fw)), ""]
    rows = [
        [
            f"**{text(cv.control.id)}** {text(cv.control.title)}",
            cell(", ".join(cv.clauses_of(reg.id))),
            _status(cv.control.status.value),
            _fact_links(cv),
        ]
        for cv in fw.controls
    ]
    lines += table(["Control", "Clauses", "Status", "Failing findings"], rows)
    if fw.failing:
        lines += ["", "Failing findings under this regulation:", ""]
    for fact in fw.failing:
        where = f"{link(fact.label, wording.fact_heading(fact))} {text(fact.severity)}, {code(fact.resource)}"
        lines.append(f"- {where}: {text(fact.lead.message)}")
    return lines


def _fact_links(cv: ControlView) -> str:
    return ", ".join(link(f.label, wording.fact_heading(f)) for f in cv.failing) or "–"


def _register(view: ReportView) -> list[str]:
    lines = ["## 6. Waivers and suppressions register", ""]
    if not view.result.waivers:
        return [*lines, "No waivers or inline suppressions."]
    rows = [
        [
            cell(w.kind),
            code(w.id),
            cell(w.engine),
            code(w.rule),
            code(w.resource or ""),
            cell(w.owner),
            cell(w.reason),
            cell(w.expires),
            _state(w),
        ]
        for w in view.result.waivers
    ]
    header = ["Kind", "Id", "Engine", "Rule", "Resource", "Owner", "Reason", "Expires", "State"]
    return lines + table(header, rows)


def _state(waiver) -> str:
    state = text(wording.waiver_state(waiver))
    return f"**{state}**" if not waiver.valid else state


def _flow(view: ReportView) -> list[str]:
    lines = ["## 7. Flow evidence", ""]
    if not view.result.flow_evidence:
        return [*lines, text(wording.NO_FLOW)]
    ev = flow_evidence(view.result.flow_evidence)
    lines += [
        text(wording.FLOW_INTRO),
        "",
        *table([text(k) for k, _ in ev.counts], [[v for _, v in ev.counts]]),
    ]
    if ev.invariants:
        detail = any(i.detail for i in ev.invariants)
        rows = [[cell(i.name), _status(wording.held_word(i.held))] for i in ev.invariants]
        rows = (
            [[*row, cell(i.detail)] for row, i in zip(rows, ev.invariants, strict=True)] if detail else rows
        )
        header = ["Invariant", "Result", *(["Detail"] if detail else [])]
        lines += ["", "Invariants:", "", *table(header, rows)]
    return lines + _evidence_rest(ev)


def _cost(view: ReportView) -> list[str]:
    lines = ["## 8. Monthly cost estimate", ""]
    if not view.result.cost_estimate:
        return [*lines, text(wording.NO_COST)]
    ev = cost_evidence(view.result.cost_estimate)
    lines += [f"**{text(k)}:** {text(v)}" for k, v in ev.counts]
    return lines + _evidence_rest(ev)


def _evidence_rest(ev: Evidence) -> list[str]:
    lines = []
    if ev.rows:
        lines += ["", *table(["Item", "Value"], [[code(k), cell(v)] for k, v in ev.rows])]
    for name, columns, rows in ev.tables:
        lines += [
            "",
            f"{text(name)}:",
            "",
            *table([text(c) for c in columns], [[cell(v) for v in r] for r in rows]),
        ]
    return lines


def _evidence(view: ReportView) -> list[str]:
    lines = ["## Appendix A. Evidence by control"]
    for cv in view.controls:
        c = cv.control
        lines += ["", f"### {text(wording.evidence_heading(cv))}", ""]
        lines += [f"**{text(c.title)}**: {_status(c.status.value)}. {text(c.rationale)}", ""]
        rows = [
            [cell(row.engine), code(row.rule)]
            + [str(row.counts.get(s.value, 0)) for s in Status]
            + [
                "<br>".join(
                    f"{status}: " + ", ".join(code(r) for r in names) for status, names in row.verdicts
                )
            ]
            for row in cv.evidence
        ]
        if not rows:
            lines.append("No engine produced a result for this control.")
            continue
        lines += table(
            ["Engine", "Rule", *[s.value.capitalize() for s in Status], "Resources by verdict"], rows
        )
        if cv.failing:
            lines += ["", "Failing: " + _fact_links(cv)]
    return lines


def _engines(view: ReportView) -> list[str]:
    rows = [
        [
            cell(e.name),
            cell(e.version),
            "yes" if e.ok else f"**NO**: {cell(e.error)}",
            f"{e.duration_s:.1f} s",
            str(e.findings),
            code(" ".join(e.command)) if e.command else "–",
        ]
        for e in view.result.engines
    ]
    return [
        "## Appendix B. Engines",
        "",
        *table(["Engine", "Version", "Ran", "Time", "Findings", "Command"], rows),
    ]
