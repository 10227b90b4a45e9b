"""The result cache: a re-run on byte-identical inputs is served from the cache; a changed byte in the
template, a rule, the waivers or lambdas/, or a different option, runs the engines again; --no-cache always
runs them; an engine failure is never cached."""

from __future__ import annotations

import json
import shutil

import pytest
from gate_test_helpers import POLICIES, TEMPLATES, clean_fakes


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(POLICIES, root / "policies")
    (root / "lambdas").mkdir()
    (root / "lambdas" / "plan.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    shutil.copy(TEMPLATES / "bucket_pass.json", root / "stack.json")
    return root


def _run(gate, root, *extra):
    out = root / "out.json"
    args = (root / "stack.json", "--policies", root / "policies", "--engines=cfn-lint,checkov,cfn-guard")
    code, _, err = gate(*args, "-f", "json", "-o", out, *clean_fakes(), *extra)
    assert code == 0, err
    return json.loads(out.read_text())["provenance"]


def test_identical_rerun_is_served_from_cache(gate, project):
    first = _run(gate, project)
    second = _run(gate, project)
    assert first["cached"] is False and second["cached"] is True
    assert second["cache_key"] == first["cache_key"]


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "stack.json").write_text((root / "stack.json").read_text() + " "),
        lambda root: (root / "policies" / "waivers.yaml").write_text("waivers: []  # touched\n"),
        lambda root: (root / "lambdas" / "plan.py").write_text("def lambda_handler(e, c):\n    return 1\n"),
        lambda root: next((root / "policies" / "guard").rglob("*.guard")).open("a").write("\n"),
    ],
    ids=["template", "waivers", "lambdas", "guard-rule"],
)
def test_any_changed_byte_invalidates(gate, project, change):
    _run(gate, project)
    change(project)
    assert _run(gate, project)["cached"] is False


def test_no_cache_and_other_options_run_again(gate, project):
    _run(gate, project)
    assert _run(gate, project, "--no-cache")["cached"] is False
    assert _run(gate, project, "--strict")["cached"] is False


def test_a_no_cache_run_refreshes_the_cache(gate, project):
    assert _run(gate, project, "--no-cache")["cached"] is False
    assert _run(gate, project)["cached"] is True


def test_cached_text_output_is_identical(gate, project):
    args = (
        project / "stack.json",
        "--policies",
        project / "policies",
        "--engines=cfn-lint,checkov,cfn-guard",
    )
    first = gate(*args, *clean_fakes())
    second = gate(*args, *clean_fakes())
    assert first == second and first[0] == 0


def test_code_beside_a_template_elsewhere_invalidates(gate, project):
    """The cross-checks read lambdas/ beside the template: an edit there must not be served a stale pass."""
    app = project / "app"
    (app / "lambdas").mkdir(parents=True)
    shutil.copy(project / "stack.json", app / "stack.json")
    (app / "lambdas" / "plan.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    out = project / "out.json"
    args = (app / "stack.json", "--policies", project / "policies", "--engines=cfn-lint,checkov,cfn-guard")

    def run():
        code, _, err = gate(*args, "-f", "json", "-o", out, *clean_fakes())
        assert code == 0, err
        return json.loads(out.read_text())["provenance"]["cached"]

    assert run() is False and run() is True
    (app / "lambdas" / "plan.py").write_text("def lambda_handler(e, c):\n    return 1\n")
    assert run() is False


def test_a_dangling_link_in_a_hashed_tree_is_keyed_by_its_target(project):
    """A copied tree can hold a link that points nowhere (tapgate/bundled_policies outside the repo): the key
    is still computed (no traceback), and re-pointing the link changes it."""
    from tapgate.gate.cache import cache_key

    (project / "lambdas" / "gone").symlink_to(project / "nowhere")
    first = cache_key([str(project / "stack.json")], [project / "lambdas"], {})
    assert first == cache_key([str(project / "stack.json")], [project / "lambdas"], {})
    (project / "lambdas" / "gone").unlink()
    (project / "lambdas" / "gone").symlink_to(project / "elsewhere")
    assert cache_key([str(project / "stack.json")], [project / "lambdas"], {}) != first
