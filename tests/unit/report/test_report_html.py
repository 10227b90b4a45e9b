"""The HTML report: one self-contained, script-free, autoescaped file whose links all resolve."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tapgate.model import Status
from tapgate.report import render
from tapgate.report.html import breakable, css_string


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.tags, self.srcs = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "src" in attrs:
            self.srcs.append(attrs["src"])


def _parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


def test_self_contained_without_script_or_external_asset(failing):
    html = render(failing, "html")
    page = _parse(html)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert page.srcs == []
    assert not re.search(r"@import|url\(", html)
    assert all(href.startswith("#") for href in page.hrefs)


def test_every_internal_link_resolves(failing, tapstack):
    for result in (failing, tapstack):
        page = _parse(render(result, "html"))
        assert {href[1:] for href in page.hrefs} - page.ids == set()


def test_one_matrix_row_per_control_and_every_section(failing):
    html = render(failing, "html")
    matrix = html.split('<table class="matrix">')[1].split("</table>")[0]
    assert matrix.count("<tr><td><strong>") == len(failing.controls)
    page = _parse(html)
    for section in ("provenance", "summary", "control-matrix", "findings", "register", "flow", "cost"):
        assert section in page.ids
    assert {
        f"framework-{r}" for r in ("sec-17a-4f", "finra-4511", "sox-itgc", "gdpr-32", "nist-800-53")
    } <= page.ids


def test_engine_text_is_escaped(failing):
    hostile = failing.model_copy(deep=True)
    target = next(f for f in hostile.findings if f.status is Status.FAIL)
    target.message = "<script>alert(1)</script>"
    hostile.provenance.template = 'evil".json</style><script>'
    html = render(hostile, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_css_strings_and_breakable_ids_stay_escaped():
    assert css_string('a"b\\c</style>') == "a\\22 b\\5c c\\3c /style\\3e "
    assert str(breakable("S3_BUCKET_SSE_KMS_CMK")) == "S3_<wbr>BUCKET_<wbr>SSE_<wbr>KMS_<wbr>CMK"
    assert str(breakable("<b>ReportArchiveBucket")) == "&lt;b&gt;Report<wbr>Archive<wbr>Bucket"
    assert str(breakable("a&b_c" * 4)) == "a&amp;b_<wbr>ca&amp;b_<wbr>ca&amp;b_<wbr>ca&amp;b_<wbr>c"


def test_ids_that_fit_a_column_get_no_break_hints():
    # each <wbr> is an element Chromium lays out twice per print: only ids longer than 16 characters get them
    assert str(breakable("S3_BUCKET")) == "S3_BUCKET"
    assert str(breakable("ReportBucket, <AuditBucket>")) == "ReportBucket, &lt;AuditBucket&gt;"
    assert str(breakable("python -m tapgate.engines.checkov_main")) == (
        "python -m tapgate.<wbr>engines.<wbr>checkov_<wbr>main"
    )


def test_a_run_whose_engine_failed_still_renders():
    from tapgate.model import EngineRun, GateResult, Provenance, Summary

    broken = GateResult(
        provenance=Provenance(
            template="T.json", template_sha256="0" * 64, started_at="t", command="tapgate check"
        ),
        summary=Summary(verdict="ERROR", exit_code=3),
        engines=[EngineRun(name="checkov", ok=False, error="checkov: timed out after 300 s")],
    )
    html = render(broken, "html")
    assert ">ERROR<" in html and "checkov: timed out after 300 s" in html
    markdown = render(broken, "markdown")
    assert (
        "**Verdict: ERROR** (exit code 3)" in markdown
        and "| checkov | – | **NO**: checkov: timed out after 300 s |" in markdown
    )


def test_long_tokens_in_prose_may_wrap_but_words_stay_whole():
    from tapgate.report.html import prose

    assert str(prose("Set <b> on a short path")) == "Set &lt;b&gt; on a short path"
    wrapped = str(prose("Set BucketEncryption.ServerSideEncryptionConfiguration[].Default now"))
    assert wrapped.startswith("Set Bucket<wbr>Encryption.<wbr>Server") and wrapped.endswith("Default now")


def test_evidence_appendix_lists_every_rule_with_its_counts_and_resources(failing):
    from tapgate.report.view import build_view

    html = render(failing, "html")
    appendix = html.split('id="evidence"')[1].split('id="engines"')[0]
    lines = re.findall(r"<li>(.*?)</li>", appendix, re.DOTALL)
    rows = [row for cv in build_view(failing).controls for row in cv.evidence]
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        text = re.sub(r"<[^>]+>", "", line)
        assert text.startswith(f"{row.rule} {row.engine} —")
        for status, names in row.verdicts:
            assert f" {row.counts[status]}: {', '.join(names)}" in text


def test_framework_views_link_each_control_to_its_evidence(failing):
    html = render(failing, "html")
    view = html.split('id="framework-sec-17a-4f"')[1].split("</section>")[0]
    assert re.findall(r'<a href="#evidence-([a-z0-9-]+)"><strong>(TAP-[A-Z]+-\d+)</strong>', view)
    for anchor, control in re.findall(r'<a href="#evidence-([a-z0-9-]+)"><strong>(TAP-[A-Z]+-\d+)<', view):
        assert anchor == control.lower()


def test_chromium_loads_the_page_hidden_on_screen_only():
    from tapgate.report.pdf import COUNTING_HIDDEN, SCREEN_HIDDEN, print_only

    html = "<!DOCTYPE html><html><head><style>p{}</style></head><body><p>x</p></body></html>"
    assert print_only(html) == html.replace("</head>", SCREEN_HIDDEN + COUNTING_HIDDEN + "</head>")
    assert print_only(html, skip_counting=False) == html.replace("</head>", SCREEN_HIDDEN + "</head>")
    assert "@media screen" in SCREEN_HIDDEN and "print" not in SCREEN_HIDDEN
    assert "@media print and (orientation: landscape)" in COUNTING_HIDDEN  # never the portrait paper printed
    assert print_only("<p>no head</p>") == "<p>no head</p>"
