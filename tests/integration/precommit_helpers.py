"""Scratch git repositories and pre-commit runs for the pre-commit hook tests (a module, not a conftest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "precommit"
GOOD_TEMPLATE = FIXTURES / "templates" / "kms-stack.json"
GUARD_RULES = FIXTURES / "guard_rules"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "tapgate tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "tapgate tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}


def hook_env(pre_commit_home: Path) -> dict[str, str]:
    """The environment pre-commit runs in: this interpreter's tools first on PATH, pip held to the pins
    (a hook environment installs tapgate from PyPI's packages only), no colours, no global git config."""
    env = {**os.environ, **GIT_IDENTITY}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_CONSTRAINT"] = str(REPO_ROOT / "requirements" / "constraints.txt")
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env["PRE_COMMIT_COLOR"] = "never"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env.pop("PRE_COMMIT", None)
    return env


def scratch_repo(path: Path, files: dict[str, str]) -> Path:
    """git init PATH, write FILES (relative path -> text), and commit them."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, **GIT_IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "scratch"]):
        subprocess.run(["git", *command], cwd=path, env=env, check=True, capture_output=True)
    return path


def rule_files() -> dict[str, str]:
    """The fixture guard rule directory as scratch-repo files under rules/."""
    return {
        f"rules/{path.relative_to(GUARD_RULES)}": path.read_text(encoding="utf-8")
        for path in sorted(GUARD_RULES.rglob("*"))
        if path.is_file()
    }


def bad_template() -> str:
    """The good template with one property changed: its KMS key stops rotating."""
    data = json.loads(GOOD_TEMPLATE.read_text(encoding="utf-8"))
    data["Resources"]["Key"]["Properties"]["EnableKeyRotation"] = False
    return json.dumps(data, indent=2) + "\n"


def pre_commit(repo: Path, *args: str, env: dict[str, str], timeout: float = 900) -> tuple[int, str]:
    """(exit code, stdout+stderr) of `python -m pre_commit ARGS` inside REPO."""
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout


def hook_status(output: str, hook_name: str) -> str:
    """'Passed', 'Failed' or 'Skipped': the word pre-commit prints after a hook's dotted name line."""
    for line in output.splitlines():
        if line.startswith(hook_name + "."):
            return line.rstrip().rsplit(".", 1)[-1].replace("(no files to check)", "")
    raise AssertionError(f"pre-commit did not run {hook_name!r}:\n{output}")
