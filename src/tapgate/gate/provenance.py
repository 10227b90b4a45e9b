"""Provenance of a run: what was checked, by which versions, with which rules, from which commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic loads after the engines have started (utc_now is called before that)
    from tapgate.model import Provenance


def sha256_file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def sha256_tree(root: Path, patterns: tuple[str, ...]) -> str:
    """One hash over the relative names and bytes of every matching file under root (sorted)."""
    digest = hashlib.sha256()
    if root.is_dir():
        files = sorted({p for pattern in patterns for p in root.rglob(pattern) if p.is_file()})
        for path in files:
            if "__pycache__" in path.parts or ".tapgate-cache" in path.parts:
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def git_state(root: Path) -> tuple[str | None, bool | None]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = git("status", "--porcelain", "--untracked-files=no")
    return commit.strip(), (status is not None and not status.strip())


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def policy_hashes(policies: Path) -> dict[str, str]:
    """The rule set's, controls.yaml's and waivers.yaml's hashes (the gate takes them while engines run)."""
    return {
        "ruleset_sha256": sha256_tree(policies, ("*.guard", "*.yaml", "*.yml")),
        "controls_sha256": sha256_file(policies / "controls.yaml"),
        "waivers_sha256": sha256_file(policies / "waivers.yaml"),
    }


def build(
    templates: dict[str, str],
    policies: Path | dict[str, str],
    command: str,
    versions: dict[str, str],
    options: dict,
    git: tuple[str | None, bool | None],
    started_at: str,
) -> Provenance:
    """`policies`: the folder, or its policy_hashes taken already."""
    from tapgate.model import Provenance

    hashes = policy_hashes(policies) if isinstance(policies, Path) else policies
    first = next(iter(templates))
    return Provenance(
        template=first if len(templates) == 1 else ", ".join(templates),
        template_sha256=templates[first],
        templates=templates,
        git_commit=git[0],
        git_clean=git[1],
        started_at=started_at,
        finished_at=utc_now(),
        command=command,
        tool_versions=versions,
        options=options,
        **hashes,
    )
