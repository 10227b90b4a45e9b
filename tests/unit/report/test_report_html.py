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
    assert str(breakable("S3_BUCKET")) == "S3_<wbr>BUCKET"
    assert str(breakable("<b>ReportBucket")) == "&lt;b&gt;Report<wbr>Bucket"


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
