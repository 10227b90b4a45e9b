"""The report's words, shared by the Markdown and HTML forms so both say exactly the same thing."""

from __future__ import annotations

from collections.abc import Callable

from tapgate.model import Provenance, WaiverEntry
from tapgate.report.view import ControlView, Fact, FrameworkView, ReportView

# (label in the contents line, the section heading it links to)
SECTIONS = [
    ("Provenance", "1. Provenance"),
    ("Summary", "2. Summary"),
    ("Control matrix", "3. Control matrix"),
    ("Findings", "4. Findings"),
    ("Framework views", "5. Framework views"),
    ("Waivers and suppressions", "6. Waivers and suppressions register"),
    ("Flow evidence", "7. Flow evidence"),
    ("Cost", "8. Monthly cost estimate"),
    ("Evidence by control", "Appendix A. Evidence by control"),
    ("Engines", "Appendix B. Engines"),
]
CONTROL_WORDS = {"HELD": "Held", "FAILED": "Failed", "WAIVED": "Waived", "NOT_EVALUATED": "Not evaluated"}
STATUS_WORDS = {
    **CONTROL_WORDS,
    "PASS": "Pass",
    "FAIL": "FAIL",
    "SUPPRESSED": "Suppressed",
    "SKIP": "Skip",
    "HELD_INV": "Held",
}
TOOLS = ("tapgate", "cfn-lint", "checkov", "cfn-guard")
NO_FLOW = "No simulation result was attached to this run (run `tapgate simulate` to produce one)."
NO_COST = "No cost estimate was attached to this run."
FLOW_INTRO = "The last simulated business day (moto, the real handler code, a real PostgreSQL):"


def headline(view: ReportView) -> str:
    failed = view.control_counts.get("FAILED", 0)
    facts = len(view.facts)
    return (
        f"{failed} of {len(view.controls)} controls failed; "
        f"{facts} failing finding{'s' if facts != 1 else ''}; "
        f"{len(view.exempt)} waived or suppressed."
    )


def grouping_note(view: ReportView) -> str:
    grouped = view.failing_engine_findings
    if not grouped:
        return "No engine reported a failing finding that is not waived or suppressed."
    return (
        f"{grouped} failing engine finding{'s' if grouped != 1 else ''} "
        f"stand behind the {len(view.facts)} failing finding{'s' if len(view.facts) != 1 else ''} above; "
        "where several engines flag the same fact, the report shows them together under one number."
    )


def provenance_rows(p: Provenance, code: Callable[[str], str]) -> list[tuple[str, str]]:
    """(label, value) rows of the header; `code` marks up literal values (Markdown or HTML)."""
    clean = {True: "clean", False: "uncommitted changes", None: "unknown"}[p.git_clean]
    rows = [
        ("Template", code(p.template)),
        ("Template SHA-256", code(p.template_sha256)),
        ("Git commit", (code(p.git_commit) if p.git_commit else "not a git checkout") + f" ({clean})"),
        ("Started (UTC)", code(p.started_at)),
        ("Finished (UTC)", code(p.finished_at) if p.finished_at else "–"),
    ]
    versions = dict(p.tool_versions)
    for tool in TOOLS:
        rows.append(
            (f"{tool} version", code(versions.pop(tool, "")) if tool in p.tool_versions else "not recorded")
        )
    rows += [(f"{tool} version", code(version)) for tool, version in sorted(versions.items())]
    rows += [
        ("Rule set SHA-256", code(p.ruleset_sha256) if p.ruleset_sha256 else "not recorded"),
        ("Controls SHA-256", code(p.controls_sha256) if p.controls_sha256 else "not recorded"),
        ("Waivers SHA-256", code(p.waivers_sha256) if p.waivers_sha256 else "not recorded"),
    ]
    if p.options:
        rows.append(("Options", code(", ".join(f"{k}={v}" for k, v in sorted(p.options.items())))))
    if p.cached:
        rows.append(("Cached", "yes: reused the result of an identical earlier run " + code(p.cache_key)))
    return rows


def fact_heading(fact: Fact) -> str:
    return f"{fact.label} {fact.severity.upper()} {fact.resource}"


def fact_notes(fact: Fact) -> list[str]:
    """Why a failing finding is not excused: an expired waiver, a suppression without a reason."""
    return sorted({f.reason for f in fact.findings if f.status.value == "FAIL" and f.reason})


def evidence_heading(cv: ControlView) -> str:
    return f"Evidence: {cv.control.id}"


def framework_heading(fw: FrameworkView) -> str:
    return fw.regulation.title


def framework_summary(fw: FrameworkView) -> str:
    counts = ", ".join(f"{n} {CONTROL_WORDS[k].lower()}" for k, n in fw.counts.items() if n)
    facts = len(fw.failing)
    return (
        f"{len(fw.controls)} control{'s' if len(fw.controls) != 1 else ''} serve this regulation: {counts}. "
        f"{facts} failing finding{'s' if facts != 1 else ''}."
    )


def waiver_state(w: WaiverEntry) -> str:
    if w.expired:
        return f"EXPIRED since {w.expires}" if w.expires else "EXPIRED"
    if not w.valid:
        return f"INVALID: {w.problem or 'no reason'}"
    return "valid" if w.used else "valid, unused in this run"


def held_word(held: bool | None) -> str:
    return {True: "HELD_INV", False: "FAIL", None: "SKIP"}[held]
