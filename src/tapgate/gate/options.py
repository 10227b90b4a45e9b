"""The options of one `tapgate check` run, and where the project (policies/, lambdas/) is."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tapgate.errors import UsageError

FORMATS = ("text", "json", "sarif", "junit", "markdown", "html")
REPORT_DIR_FORMATS = ("text", "json", "sarif", "junit", "markdown", "html", "pdf")


@dataclass
class CheckOptions:
    templates: list[str] = field(default_factory=lambda: ["TapStack.json"])
    fmt: str = "text"
    output: str | None = None
    report_dir: str | None = None
    strict: bool = False
    fast: bool = False
    no_cache: bool = False
    engines: list[str] | None = None
    timeout_s: float = 300.0
    guard_bin: str | None = None
    control_tower: bool = False
    engine_commands: dict[str, list[str]] = field(default_factory=dict)
    policies: str | None = None
    command: str = "tapgate check"

    def engine_names(self) -> list[str]:
        from tapgate.engines import ALL_ENGINES, FAST_ENGINES

        chosen = self.engines or list(FAST_ENGINES if self.fast else ALL_ENGINES)
        unknown = [name for name in chosen if name not in ALL_ENGINES]
        if unknown:
            raise UsageError(f"unknown engine {unknown[0]!r}: choose from {', '.join(ALL_ENGINES)}")
        return [name for name in ALL_ENGINES if name in chosen]  # slowest starts first

    def verdict_facts(self) -> dict:
        """Everything besides file contents that can change a verdict or the result (the cache key)."""
        return {
            "engines": self.engine_names(),
            "fast": self.fast,  # --fast leaves out the cost estimate
            "strict": self.strict,
            "control_tower": self.control_tower,
            "engine_commands": self.engine_commands,
            "guard_bin": self.guard_bin,
        }


BUNDLED = "bundled"  # --policies bundled: the policies shipped inside tapgate (the pre-commit hook's choice)


def find_policies(given: str | None) -> Path:
    """--policies, $TAPGATE_POLICIES, the nearest policies/ above the working dir, tapgate's own repo,
    the copy bundled in the installed package (pyproject package-data, via src/tapgate/bundled_policies)."""
    for candidate in (given, os.environ.get("TAPGATE_POLICIES")):
        if candidate == BUNDLED:
            return bundled_policies()
        if candidate:
            if not Path(candidate).is_dir():
                raise UsageError(f"policies directory {candidate} does not exist")
            return Path(candidate).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "policies" / "guard").is_dir():
            return folder / "policies"
    own = Path(__file__).resolve().parents[3] / "policies"  # an editable install of this repo
    if own.is_dir():
        return own
    return bundled_policies()


def bundled_policies() -> Path:
    """The policies installed with tapgate; in this repo a symlink to policies/, in a wheel a copy."""
    bundled = Path(__file__).resolve().parents[1] / "bundled_policies"
    if not (bundled / "guard").is_dir():
        raise UsageError("no policies/ directory found: give --policies DIR or set TAPGATE_POLICIES")
    return bundled.resolve()


def parse_engine_command(spec: str) -> tuple[str, list[str]]:
    """`NAME=COMMAND` (split on spaces) -> (NAME, argv): run this instead of the engine's executable."""
    name, sep, command = spec.partition("=")
    if not sep or not name or not command.strip():
        raise UsageError(f"--engine-command expects NAME=COMMAND, got {spec!r}")
    return name.strip(), command.split()
