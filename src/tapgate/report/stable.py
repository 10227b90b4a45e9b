"""A result with everything that changes between two identical runs blanked: times, hashes, versions,
durations, machine paths. Snapshot tests compare these, so a snapshot's diff shows only what a reviewer
must judge (a verdict, a message, a layout), never a clock or a checkout.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from tapgate.model import GateResult

TIME = "2000-01-01T00:00:00Z"
SHA = "0" * 64
COMMIT = "0" * 40
VERSION = "0.0.0"


def stable(result: GateResult) -> GateResult:
    out = result.model_copy(deep=True)
    p = out.provenance
    p.template_sha256 = SHA
    p.started_at, p.finished_at = TIME, TIME if p.finished_at else ""
    p.git_commit, p.git_clean = COMMIT, True
    p.tool_versions = dict.fromkeys(p.tool_versions, VERSION)
    p.ruleset_sha256 = SHA if p.ruleset_sha256 else ""
    p.controls_sha256 = SHA if p.controls_sha256 else ""
    p.waivers_sha256 = SHA if p.waivers_sha256 else ""
    p.cache_key, p.cached = "", False
    p.templates = dict.fromkeys(p.templates, SHA)
    for engine in out.engines:
        engine.duration_s = 0.0
        engine.version = VERSION if engine.version else ""
        engine.command = [_machine_free(arg) for arg in engine.command]
    return out


def _machine_free(arg: str) -> str:
    """An absolute path names a machine's layout (/work/venv/bin/checkov): keep only its last part."""
    return f".../{PurePosixPath(arg).name}" if arg.startswith("/") else arg
