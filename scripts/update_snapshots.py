"""Rewrite the report snapshots (the only script that does): tests/snapshots/report/<case>.{md,json}.

    python scripts/update_snapshots.py            # re-render every case from tests/fixtures/results/
    python scripts/update_snapshots.py --rerun-gate
        # first refresh, from real `tapgate check --format json` runs, tests/fixtures/results/
        # tapstack.json (TapStack.json) and broken.json (a temporary copy of it with BROKEN's changes)

Each case is a stored GateResult made stable (tapgate.report.stable: no clock, hash, version or machine path),
so a reviewer reading the diff sees only what changed in the verdicts and the report's words.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tests" / "fixtures" / "results"
SNAPSHOTS = ROOT / "tests" / "snapshots" / "report"
CASES = {
    "tapstack": RESULTS / "tapstack.json",  # the real gate on TapStack.json
    "broken": RESULTS / "broken.json",  # the real gate on TapStack.json with BROKEN applied
    "failing": RESULTS / "failing.json",  # hand-built: expired waiver, reasonless suppression, flow, cost
}
OPEN_KEY_STATEMENT = {
    "Sid": "AllowUseByAnyoneInTheAccount",
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:CallerAccount": {"Ref": "AWS::AccountId"}}},
}
# JSON Patch (RFC 6902) on TapStack.json: the seed's two flaws, and a record store that is neither WORM for
# long enough nor encrypted with our key (several engines judge the same facts).
BROKEN = [
    {
        "op": "add",
        "path": "/Parameters/DbMasterPassword",
        "value": {"Type": "String", "NoEcho": True, "Default": "ChangeMe123!"},
    },
    {"op": "add", "path": "/Resources/DataKey/Properties/KeyPolicy/Statement/-", "value": OPEN_KEY_STATEMENT},
    {
        "op": "replace",
        "path": "/Resources/ReportBucket/Properties/BucketEncryption/ServerSideEncryptionConfiguration"
        "/0/ServerSideEncryptionByDefault",
        "value": {"SSEAlgorithm": "AES256"},
    },
    {
        "op": "replace",
        "path": "/Resources/ReportBucket/Properties/ObjectLockConfiguration/Rule/DefaultRetention/Mode",
        "value": "GOVERNANCE",
    },
    {"op": "replace", "path": "/Resources/ReportingDbCluster/Properties/BackupRetentionPeriod", "value": 1},
]


def rerun_gate() -> None:
    """Run the real gate on TapStack.json, and on a broken copy of it, and store both results made stable."""
    import jsonpatch

    run_gate("tapstack", ROOT / "TapStack.json", "TapStack.json")
    with tempfile.TemporaryDirectory() as tmp:
        broken = Path(tmp) / "TapStack.json"
        template = json.loads((ROOT / "TapStack.json").read_text(encoding="utf-8"))
        broken.write_text(
            json.dumps(jsonpatch.apply_patch(template, BROKEN), indent=2) + "\n", encoding="utf-8"
        )
        run_gate("broken", broken, "broken/TapStack.json", "--policies", str(ROOT / "policies"))


def run_gate(case: str, template: Path, shown: str, *options: str) -> None:
    """`tapgate check TEMPLATE --format json`, stored as CASES[case], the template's path shown as `shown`."""
    from tapgate.model import GateResult
    from tapgate.report.stable import stable

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "tapgate", "check", str(template), *options, "--format", "json"]
        done = subprocess.run([*command, "--no-cache", "-o", str(out)], cwd=ROOT, check=False)
        if done.returncode not in (0, 1):
            sys.exit(f"update_snapshots: the gate exited {done.returncode} on {shown}; {case} left as it was")
        text = out.read_text(encoding="utf-8").replace(str(template), shown)
    result = stable(GateResult.model_validate_json(text))
    result.provenance.command = f"tapgate check {shown} --format json"
    CASES[case].write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(f"wrote {CASES[case].relative_to(ROOT)} (gate exit {done.returncode})")


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
