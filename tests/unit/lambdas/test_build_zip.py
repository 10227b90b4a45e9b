"""scripts/build_lambda_zip.py: the zip holds the handlers at its root, tapcommon, every pack and migration,
no caches or tests, and the same sources give the same bytes."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_lambda_zip", REPO / "scripts" / "build_lambda_zip.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_zip_contents_and_reproducibility(tmp_path):
    builder = _builder()
    (REPO / "lambdas" / "tapcommon" / "__pycache__").mkdir(exist_ok=True)  # must never be packed
    first = builder.build(tmp_path / "a.zip", with_deps=False)
    second = builder.build(tmp_path / "b.zip", with_deps=False)
    assert first.read_bytes() == second.read_bytes()
    names = set(zipfile.ZipFile(first).namelist())
    handlers = {
        "plan.py",
        "generate.py",
        "validate.py",
        "deliver.py",
        "confirm.py",
        "monthly_summary.py",
        "db_init.py",
    }
    assert handlers <= names
    assert {f"packs/{p.name}" for p in (REPO / "lambdas" / "packs").glob("*.json")} <= names
    assert {f"migrations/{p.name}" for p in (REPO / "lambdas" / "migrations").glob("*.sql")} <= names
    assert "tapcommon/db.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_runtime_provided_packages_are_left_out():
    builder = _builder()
    assert not builder._bundled("botocore", set()) and not builder._bundled("six.py", set())
    assert builder._bundled("pydantic_core", set()) and not builder._bundled("plan.py", {"plan.py"})
