"""PDF from the HTML report through headless Chromium's print-to-PDF, over the DevTools pipe (`cdp.Browser`).

Chromium is found at $CHROMIUM_PATH, else on PATH: Debian's `chromium-headless-shell` (lighter to start),
then `chromium`, `chromium-browser`, `google-chrome`. Without one the PDF is skipped with `PdfUnavailable`
(the callers warn and still write the other formats); a Chromium that runs but fails, hangs or gives no PDF
raises `PdfError`. The flags keep it off the network: this runs where there is none, and a rendered report
must never fetch anything.

Speed (issue 5: the report adds under 0.5 s to a gate run): `tapgate check --report-dir` opens
`prestarted_browser()` before the engines run, so Chromium starts (and the HTML's template is compiled) while
they work; after the verdict only the report's own load and print remain. The page is loaded hidden on
screen (`print_only`), so Chromium lays it out for print only. A warm-up print was dropped: it cost CPU
beside the engines and made the real print no faster. A PDF already printed from the same HTML is read back
from `pdfcache` instead.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from tapgate.errors import TapgateError
from tapgate.report import cdp, pdfcache

CANDIDATES = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
TIMEOUT_S = 90.0  # a start, a load and a print; beyond this it hangs
QUIET_FLAGS = (
    "--headless",
    "--no-sandbox",  # root in CI containers; the input is our own file
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
)
# A4 and landscape pages come from the CSS (@page); no browser header or footer (the CSS has its own margin
# boxes). Untagged: the text is the same, but tagging costs about half again the print time and four times
# the file size; the HTML beside it is the accessible form. The paper (A4 portrait, in inches) does not size
# the pages (the CSS does): it is the portrait viewport the printing pass's media queries see (`print_only`).
PRINT_SETTINGS = {
    "preferCSSPageSize": True,
    "paperWidth": 8.27,
    "paperHeight": 11.69,
    "printBackground": True,
    "displayHeaderFooter": False,
    "generateTaggedPDF": False,
    "generateDocumentOutline": False,
}


class PdfUnavailable(TapgateError):
    """No PDF renderer on this machine: the PDF is skipped, never the run."""


class PdfError(TapgateError):
    """The renderer ran but gave no PDF."""


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def chromium_command(chromium: str, profile: Path, *args: str) -> list[str]:
    """A one-shot command line (the browser tests' `--dump-dom`)."""
    return [chromium, *QUIET_FLAGS, f"--user-data-dir={profile}", *args]


def run_chromium(command: list[str]) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise PdfError(
            f"PDF rendering failed: headless Chromium did not finish in {TIMEOUT_S:.0f} s"
        ) from None
    except OSError as err:
        raise PdfUnavailable(f"PDF skipped: cannot start {command[0]}: {err.strerror}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PdfError(f"PDF rendering failed: Chromium exited {done.returncode}: {last}")
    return done


_prestarted: PdfPrinter | None = None  # set by prestarted_browser() for the block it wraps
_label: str | None = None  # the block's `unless_printed` label: the PDF printed within it is filed under it


@contextlib.contextmanager
def prestarted_browser(enabled: bool = True, warm_up: bool = True, unless_printed: str | None = None):
    """Within this block, `html_to_pdf` prints with a Chromium started now, in the background.

    `warm_up` also imports Jinja2 and compiles the report's template on a thread meanwhile (about 0.1 s that
    would otherwise come between the verdict and the start of the print: `tapgate.report.prepare`).

    `unless_printed` labels the one report the block will print (a cached gate run: its result's cache key).
    The PDF printed within the block is filed under that label; when a PDF is already filed under it, the
    HTML will be the same and its PDF is read back, so no browser is started.

    Leaving the block by any path (an engine error, Ctrl-C, SIGTERM turned into KeyboardInterrupt) kills
    the browser's process group and deletes its profile. Without Chromium this only warms the renderers."""
    global _prestarted, _label
    warming = _warm_renderers() if warm_up else None
    chromium = find_chromium() if enabled else None
    if unless_printed and pdfcache.labelled(unless_printed):
        chromium = None
    _label = unless_printed
    printer = None
    if chromium is not None and _prestarted is None:
        printer = _prestarted = PdfPrinter(chromium)
    try:
        yield
    finally:
        _label = None
        if printer is not None:
            _prestarted = None
            printer.close()
        _join(warming)


def _warm_renderers() -> threading.Thread:
    from tapgate.report import prepare

    thread = threading.Thread(target=prepare, name="report-warm-up", daemon=True)
    thread.start()
    return thread


def _join(thread: threading.Thread | None) -> None:
    if thread is not None:  # imports only: never left running into interpreter shutdown
        thread.join(TIMEOUT_S)


def html_to_pdf(html: str, printer: PdfPrinter | None = None, label: str | None = None) -> bytes:
    """The PDF of `html`: from the cache, else printed by `printer`, else by the prestarted browser, else by
    a browser started for this PDF alone. With `label`, the PDF is also filed under it (`pdfcache.label`)."""
    chromium = find_chromium()
    if not chromium:
        raise PdfUnavailable(
            "PDF skipped: no headless Chromium found (install Debian's chromium or set CHROMIUM_PATH)"
        )
    key = pdfcache.pdf_key(html, chromium, PRINT_SETTINGS)
    if (cached := pdfcache.load_pdf(key)) is not None:
        if label:
            pdfcache.label(label, key)
        return cached
    printer = printer or _prestarted
    if printer is not None and printer.chromium == chromium:
        pdf = printer.print_pdf(html)
    else:
        printer = PdfPrinter(chromium)
        try:
            pdf = printer.print_pdf(html)
        finally:
            printer.close()
    pdfcache.store_pdf(key, pdf)
    if label:
        pdfcache.label(label, key)
    return pdf


class BackgroundPdf:
    """`html_to_pdf(html)` on a thread: Chromium loads and prints while the caller renders the other
    formats. `result()` gives the bytes or raises what the print raised. If the caller leaves early (Ctrl-C),
    closing the prestarted browser ends the thread's wait."""

    def __init__(self, html: str):
        self._content: bytes | None = None
        self._error: Exception | None = None
        printer = _prestarted  # taken now: once the caller closed it, no other browser is started
        args = (html, printer, _label)
        self._thread = threading.Thread(target=self._run, args=args, name="pdf", daemon=True)
        self._thread.start()

    def _run(self, html: str, printer: PdfPrinter | None, label: str | None) -> None:
        try:
            self._content = html_to_pdf(html, printer, label)
        except Exception as err:  # noqa: BLE001 - re-raised by result(), on the caller's thread
            self._error = err

    def result(self) -> bytes:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._content


class PdfPrinter:
    """One headless Chromium for one run: started on a background thread at once, printing on demand."""

    def __init__(self, chromium: str):
        self.chromium = chromium
        self._browser: cdp.Browser | None = None
        self._session: str | None = None
        self._error: BaseException | None = None
        self._pages = 0
        self._deadline = time.monotonic() + TIMEOUT_S
        self._closed = threading.Event()
        self._in_use = threading.Lock()  # held while a print talks to the browser: close() waits for it
        self._ready = threading.Thread(target=self._start, name="pdf-browser", daemon=True)
        self._ready.start()

    def _start(self) -> None:
        try:
            self._browser = cdp.Browser(self.chromium, (*QUIET_FLAGS, COUNTING_WINDOW))
            if self._closed.is_set():  # closed while it was spawning
                self._browser.close()
                return
            targets = self._browser.call("Target.getTargets", deadline=self._deadline)["targetInfos"]
            page = next(t["targetId"] for t in targets if t["type"] == "page")
            attach = {"targetId": page, "flatten": True}
            self._session = self._browser.call("Target.attachToTarget", attach, deadline=self._deadline)[
                "sessionId"
            ]
            self._browser.call("Page.enable", session=self._session, deadline=self._deadline)
        except Exception as err:  # noqa: BLE001 - re-raised by print_pdf, on the caller's thread
            self._error = err

    def print_pdf(self, html: str) -> bytes:
        deadline = time.monotonic() + TIMEOUT_S
        self._ready.join(max(0.0, deadline - time.monotonic()))
        try:
            if self._ready.is_alive():
                raise cdp.BrowserTimeout("start")
            if self._error is not None:
                raise self._error
            with self._in_use:
                if self._closed.is_set():
                    raise cdp.BrowserGone(None, "closed")
                pdf = self._print(html, deadline)
        except (
            cdp.BrowserGone,
            cdp.BrowserTimeout,
            cdp.CdpError,
            OSError,
            ValueError,
            LookupError,
            StopIteration,
        ) as err:
            raise _as_pdf_error(err, self.chromium) from None
        if not pdf.startswith(b"%PDF-"):
            raise PdfError("PDF rendering failed: headless Chromium wrote no PDF")
        return pdf

    def _print(self, html: str, deadline: float) -> bytes:
        pdf = self._load_and_print(print_only(html), deadline)
        if (
            page_count(pdf) < 2
        ):  # the counting pass's rule hid what it prints (another Chromium): print plainly
            pdf = self._load_and_print(print_only(html, skip_counting=False), deadline)
        return pdf

    def _load_and_print(self, html: str, deadline: float) -> bytes:
        self._pages += 1
        page = self._browser.root / f"page-{self._pages}.html"
        page.write_text(html, encoding="utf-8")
        self._browser.drop_events()
        self._browser.call("Page.navigate", {"url": page.as_uri()}, self._session, deadline=deadline)
        self._browser.wait_event("Page.loadEventFired", self._session, deadline=deadline)
        printed = self._browser.call("Page.printToPDF", PRINT_SETTINGS, self._session, deadline=deadline)
        return base64.b64decode(printed["data"])

    def close(self) -> None:
        """Kill the browser (a thread still waiting on it sees it gone), then release the pipe and profile."""
        self._closed.set()
        if self._browser is not None:
            self._browser.kill()
        self._ready.join(5.0)
        released = self._in_use.acquire(timeout=5.0)  # a print on another thread now fails fast
        if self._browser is not None and not self._ready.is_alive() and released:
            self._browser.close()
        if released:
            self._in_use.release()


def _as_pdf_error(err: BaseException, chromium: str) -> TapgateError:
    if isinstance(err, OSError) and not isinstance(err, cdp.BrowserGone):
        return PdfUnavailable(f"PDF skipped: cannot start {chromium}: {err.strerror or err}")
    if isinstance(err, ValueError):  # json.JSONDecodeError: something else is on the pipe
        return PdfError("PDF rendering failed: Chromium wrote something that is not a DevTools message")
    if isinstance(err, cdp.BrowserTimeout):
        return PdfError(f"PDF rendering failed: headless Chromium did not finish in {TIMEOUT_S:.0f} s")
    if isinstance(err, cdp.BrowserGone):
        if err.returncode == 0:
            return PdfError("PDF rendering failed: headless Chromium wrote no PDF")
        if err.returncode is not None:
            return PdfError(f"PDF rendering failed: Chromium exited {err.returncode}: {err.detail}")
        return PdfError(f"PDF rendering failed: Chromium closed its DevTools pipe: {err.detail}")
    return PdfError(f"PDF rendering failed: {err}")


# Chromium lays a loaded page out for the screen, then twice for print (a first pass counts the pages, a
# second prints them), then once more for the screen after printing. Hidden on screen, the page costs only its
# print layouts: the printed pages are the same (print media never sees the rule). Hidden by
# `content-visibility` on the report's parts rather than `display: none`, their layout objects and styles
# survive the screen in between the two print passes, so the second pass redoes little of the first: the
# print's renderer CPU went from 0.83 to 0.70 s (medians of 9 alternating traced prints; docs/benchmarks.md).
SCREEN_HIDDEN = "<style>@media screen { main > * { content-visibility: hidden } }</style>"
# Of Chromium's two print passes, the first (PrintRenderFrameHelper::CalculateNumberOfPages) lays the whole
# document out only to check that it has a page, with the browser's default print parameters: its media
# queries see the window (800x600, landscape), where the printing pass sees the paper (A4 portrait,
# PRINT_SETTINGS). Hidden in a landscape viewport, the report costs one print layout instead of two: a
# fifth of the print's CPU, same pages (tested). Should another Chromium print what this hides, the PDF
# has one blank page and `_print` prints again without the rule.
COUNTING_WINDOW = "--window-size=800,600"
COUNTING_HIDDEN = "<style>@media print and (orientation: landscape) { main { display: none } }</style>"


def print_only(html: str, skip_counting: bool = True) -> str:
    """The HTML as Chromium loads it for printing: the same document, not laid out for a screen nor, with
    `skip_counting`, for Chromium's page-counting pass."""
    head_end = html.find("</head>")
    if head_end < 0:
        return html
    rules = SCREEN_HIDDEN + (COUNTING_HIDDEN if skip_counting else "")
    return html[:head_end] + rules + html[head_end:]


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page\b(?!s)")


def page_count(pdf: bytes) -> int:
    """The pages of a PDF as Chromium writes it (no object streams: every page object is in the clear)."""
    return len(_PAGE_OBJECT.findall(pdf))
