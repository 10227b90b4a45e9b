"""PDF from the HTML report through headless Chromium's print-to-PDF (Debian's `chromium` package).

Chromium is found at $CHROMIUM_PATH, else on PATH (chromium, chromium-browser, google-chrome). Without it the
PDF is skipped with `PdfUnavailable` (the callers warn and still write the other formats); a Chromium that
runs but fails, hangs or writes no PDF raises `PdfError`. The flags keep it off the network: this runs where
there is none, and a rendered report must never fetch anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tapgate.errors import TapgateError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 90.0
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
    return [chromium, *QUIET_FLAGS, f"--user-data-dir={profile}", *args]


def html_to_pdf(html: str) -> bytes:
    chromium = find_chromium()
    if not chromium:
        raise PdfUnavailable(
            "PDF skipped: no headless Chromium found (install Debian's chromium or set CHROMIUM_PATH)"
        )
    with tempfile.TemporaryDirectory(prefix="tapgate-pdf-") as tmp:
        work = Path(tmp)
        page, out = work / "report.html", work / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = chromium_command(
            chromium, work / "profile", "--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri()
        )
        run_chromium(command)
        if not out.is_file() or out.stat().st_size == 0 or not out.read_bytes().startswith(b"%PDF-"):
            raise PdfError("PDF rendering failed: headless Chromium wrote no PDF")
        return out.read_bytes()


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
