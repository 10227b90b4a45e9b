"""Rewrite the report snapshots (the only script that does): tests/snapshots/report/<case>.{md,json}.

    python scripts/update_snapshots.py            # re-render every case from tests/fixtures/results/
    python scripts/update_snapshots.py --rerun-gate
        # first refresh tests/fixtures/results/tapstack.json from a real `tapgate check TapStack.json`

Each case is a stored GateResult made stable (tapgate.report.stable: no clock, hash, version or machine path),
so a reviewer reading the diff sees only what changed in the verdicts and the report's words.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tests" / "fixtures" / "results"
SNAPSHOTS = ROOT / "tests" / "snapshots" / "report"
CASES = {"tapstack": RESULTS / "tapstack.json", "failing": RESULTS / "failing.json"}


def rerun_gate() -> None:
    """Run the real gate on TapStack.json and store its result, made stable, as the tapstack case."""
    from tapgate.model import GateResult
    from tapgate.report.stable import stable

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [
            sys.executable,
            "-m",
            "tapgate",
            "check",
            "TapStack.json",
            "--format",
            "json",
            "--no-cache",
            "-o",
            str(out),
        ]
        done = subprocess.run(command, cwd=ROOT, check=False)
        if done.returncode not in (0, 1):
            sys.exit(f"update_snapshots: the gate exited {done.returncode}; tapstack.json left as it was")
        result = stable(GateResult.model_validate_json(out.read_text(encoding="utf-8")))
    result.provenance.command = "tapgate check TapStack.json --format json"
    CASES["tapstack"].write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(f"wrote {CASES['tapstack'].relative_to(ROOT)} (gate exit {done.returncode})")


def snapshot_texts(result_file: Path) -> dict[str, str]:
    """What the snapshot test compares, by file suffix: the stable JSON and its Markdown report."""
    from tapgate.report import render
    from tapgate.report.load import load_result
    from tapgate.report.stable import stable

    result = stable(load_result(result_file))
    return {".json": str(render(result, "json")), ".md": str(render(result, "markdown"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rerun-gate", action="store_true", help="refresh tapstack.json from the real gate")
    args = parser.parse_args(argv)
    if args.rerun_gate:
        rerun_gate()
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    for case, result_file in CASES.items():
        for suffix, content in snapshot_texts(result_file).items():
            target = SNAPSHOTS / f"{case}{suffix}"
            changed = not target.exists() or target.read_text(encoding="utf-8") != content
            target.write_text(content, encoding="utf-8")
            print(f"{'updated' if changed else 'unchanged'} {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
