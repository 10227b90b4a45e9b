"""The PDF cache: keyed by the HTML, the renderer and the print settings; only PDFs are read back; the newest
`KEEP` are kept; an unwritable cache is no error (the PDF is printed every time); a label says a PDF was
printed only while that PDF is still cached."""

from __future__ import annotations

import os

from tapgate.report import pdfcache

SETTINGS = {"preferCSSPageSize": True}


def test_key_changes_with_the_html_the_renderer_and_the_settings(tmp_path):
    one, two = tmp_path / "chromium-a", tmp_path / "chromium-b"
    one.write_text("a")
    two.write_text("bb")
    key = pdfcache.pdf_key("<p>x</p>", str(one), SETTINGS)
    assert key == pdfcache.pdf_key("<p>x</p>", str(one), dict(SETTINGS))
    assert key != pdfcache.pdf_key("<p>y</p>", str(one), SETTINGS)
    assert key != pdfcache.pdf_key("<p>x</p>", str(two), SETTINGS)
    assert key != pdfcache.pdf_key("<p>x</p>", str(one), {"preferCSSPageSize": False})
    one.write_text("a newer chromium")
    assert key != pdfcache.pdf_key("<p>x</p>", str(one), SETTINGS)


def test_stored_pdf_is_read_back_and_anything_else_is_not():
    pdfcache.store_pdf("k1", b"%PDF-1.4 one")
    assert pdfcache.load_pdf("k1") == b"%PDF-1.4 one"
    assert pdfcache.load_pdf("absent") is None
    (pdfcache.pdf_cache_dir() / "k2.pdf").write_bytes(b"<html>half a write</html>")
    assert pdfcache.load_pdf("k2") is None


def test_only_the_newest_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path))
    directory = pdfcache.pdf_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(pdfcache.KEEP + 2):
        (directory / f"p{n}.pdf").write_bytes(b"%PDF-")
        os.utime(directory / f"p{n}.pdf", (1000 + n, 1000 + n))  # distinct ages, p0 the oldest
    pdfcache.store_pdf("newest", b"%PDF-1.4")
    kept = {p.stem for p in directory.glob("*.pdf")}
    assert kept == {"newest"} | {f"p{n}" for n in range(3, pdfcache.KEEP + 2)}
    assert not list(directory.glob("*.tmp"))


def test_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(blocker))
    pdfcache.store_pdf("k", b"%PDF-1.4")
    assert pdfcache.load_pdf("k") is None


def test_a_label_points_at_a_pdf_only_while_it_is_cached():
    assert not pdfcache.labelled("run-1-cached")
    pdfcache.label("run-1-cached", "k-labelled")
    assert not pdfcache.labelled("run-1-cached")  # filed, but no such PDF
    pdfcache.store_pdf("k-labelled", b"%PDF-1.4 labelled")
    assert pdfcache.labelled("run-1-cached") and not pdfcache.labelled("run-2-cached")
    (pdfcache.pdf_cache_dir() / "k-labelled.pdf").unlink()
    assert not pdfcache.labelled("run-1-cached")
