"""Copies of the fixture projects (template + lambdas/) that a test may edit, and a runner for the checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "projects"
REPO = Path(__file__).resolve().parents[3]


class ProjectCopy:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template_path = next(p for p in (root / "template.json", root / "TapStack.json") if p.exists())

    @property
    def template(self) -> dict:
        return json.loads(self.template_path.read_text())

    def write_template(self, data: dict) -> None:
        self.template_path.write_text(json.dumps(data, indent=2))

    def edit_code(self, relative: str, old: str, new: str) -> None:
        path = self.root / "lambdas" / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))

    def add_sns_publish(self) -> None:
        """work.py publishes to SNS, an action its role (WorkRole) does not grant."""
        self.edit_code(
            "work.py",
            '    return {"ok": True}',
            '    client("sns").publish(TopicArn="t", Message="m")\n    return {"ok": True}',
        )
        self.edit_code(
            "work.py",
            "from common.aws import Db, put, setting",
            "from common.aws import Db, client, put, setting",
        )

    def findings(self, reports_per_day: int = 2_000, code: bool = True):
        from tapgate import template
        from tapgate.crosscheck import check
        from tapgate.crosscheck.context import CrossContext
        from tapgate.crosscheck.suppress import apply_inline

        tpl = template.load(self.template_path)
        findings = check(CrossContext(tpl, self.root / "lambdas" if code else None, reports_per_day))
        return apply_inline(findings, tpl.data)  # as the gate does: Metadata.tapgate.Suppress with a reason

    def failing(self, **kwargs) -> set[tuple[str, str | None]]:
        return {(f.rule, f.resource) for f in self.findings(**kwargs) if f.status.value == "FAIL"}


@pytest.fixture
def mini(tmp_path: Path) -> ProjectCopy:
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    return ProjectCopy(tmp_path / "mini")


@pytest.fixture
def real_project(tmp_path: Path) -> ProjectCopy:
    if not (REPO / "TapStack.json").exists() or not (REPO / "lambdas").is_dir():
        pytest.skip("the project's TapStack.json and lambdas/ are not there yet")
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "TapStack.json", root / "TapStack.json")
    shutil.copytree(REPO / "lambdas", root / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
    return ProjectCopy(root)
