"""The projected cfn-guard run (rule files grouped by the resource types they read, a few concurrent processes
on projected copies) gives exactly the findings of one plain `cfn-guard validate` over the full templates:
on TapStack.json, renamed and minified variants, the whole mutation corpus and the Control Tower pack. Every
process is checked fail closed, and findings name the real template, so lines come from it."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from tapgate.engines.base import EngineContext
from tapgate.engines.guard import GuardEngine
from tapgate.errors import EngineError
from tapgate.template import load

REPO = Path(__file__).parents[3]
sys.path.insert(0, str(REPO / "tests" / "policies"))  # the mutation corpus lives beside the policy tests
from corpus import load_mutations, tapstack_mutant  # noqa: E402

from helpers.template_variants import minified, renamed  # noqa: E402

pytestmark = pytest.mark.engines
LOCAL_CT_RULES = Path("/work/tools/control-tower-rules")


@pytest.fixture(scope="session")
def guard_bin() -> str:
    from tapgate.engines.provision import find_guard

    return find_guard(None)  # resolved before the cache is swapped: never provisioned again per test


@pytest.fixture(scope="session")
def ct_rules() -> Path:
    """$TAPGATE_CONTROL_TOWER_RULES, the local copy, else the pinned wheel's pack (as the gate's tests)."""
    from tapgate.engines.provision import control_tower_rules

    if not os.environ.get("TAPGATE_CONTROL_TOWER_RULES") and LOCAL_CT_RULES.is_dir():
        return LOCAL_CT_RULES
    return control_tower_rules()


@pytest.fixture(autouse=True)
def fresh_classifier_cache(monkeypatch, tmp_path_factory, guard_bin: str) -> None:
    monkeypatch.setenv("CFN_GUARD_PATH", guard_bin)
    monkeypatch.setenv("TAPGATE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))  # classify afresh


def context(paths: list[Path], control_tower: Path | None = None) -> EngineContext:
    return EngineContext(
        templates=[load(p) for p in paths],
        root=REPO,
        policies=REPO / "policies",
        control_tower=control_tower,
        timeout_s=900,  # the plain reference over many templates, on a shared machine
    )


def findings(ctx: EngineContext, projected: bool) -> list[tuple[str, ...]]:
    engine = GuardEngine(projected=projected)
    found = engine.parse(engine.run(ctx), ctx)
    keys = ("engine", "rule", "file", "resource", "path", "status", "message", "fix")
    return sorted((*(str(getattr(f, k)) for k in keys), json.dumps(f.extra, sort_keys=True)) for f in found)


def assert_same_findings(ctx: EngineContext) -> list[tuple[str, ...]]:
    plain = findings(ctx, projected=False)
    assert plain, "the reference run found nothing: the comparison would prove nothing"
    assert findings(ctx, projected=True) == plain
    return plain


def write(path: Path, template: dict, compact: bool = False) -> Path:
    path.write_text(minified(template) if compact else json.dumps(template, indent=2), encoding="utf-8")
    return path


def test_tapstack_renamed_and_minified_variants(tmp_path: Path) -> None:
    tapstack = json.loads((REPO / "TapStack.json").read_text(encoding="utf-8"))
    variant, _ = renamed(tapstack)
    paths = [
        REPO / "TapStack.json",
        write(tmp_path / "renamed.json", variant),
        write(tmp_path / "minified.json", tapstack, compact=True),
        write(tmp_path / "renamed-minified.json", variant, compact=True),
    ]
    plain = assert_same_findings(context(paths))
    assert {f[2] for f in plain} == {str(p) for p in paths}


FAMILIES = sorted({m.family for m in load_mutations()})


@pytest.mark.parametrize("family", FAMILIES)
def test_whole_mutation_corpus(tmp_path: Path, family: str) -> None:
    """Every mutant, a family per case (the plain reference costs about 2 s of CPU per template)."""
    paths = []
    for mutation in (m for m in load_mutations() if m.family == family):
        template, _ = tapstack_mutant(mutation, rename=mutation.rename)
        paths.append(write(tmp_path / f"{mutation.id}.json", template, compact=mutation.rename))
    plain = assert_same_findings(context(paths))
    assert any(f[5] == "Status.FAIL" for f in plain)  # the family's mutants do fail


def test_control_tower_pack_on_tapstack_and_a_mutant(tmp_path: Path, ct_rules: Path) -> None:
    mutant, _ = tapstack_mutant(next(m for m in load_mutations() if m.id == "ret-governance-mode"))
    paths = [REPO / "TapStack.json", write(tmp_path / "mutant.json", mutant)]
    plain = assert_same_findings(context(paths, ct_rules))
    assert {f[0] for f in plain} == {"cfn-guard", "control-tower"}


def test_findings_name_the_real_template_so_lines_are_its_own(tmp_path: Path) -> None:
    mutation = next(m for m in load_mutations() if m.id == "seed-key-policy-caller-account-only")
    template, fails = tapstack_mutant(mutation)
    path = write(tmp_path / "kms.json", template)
    ctx = context([path])
    engine = GuardEngine()
    failing = [f for f in engine.parse(engine.run(ctx), ctx) if f.status.value == "FAIL"]
    assert {f.resource for f in failing} == set().union(*fails.values())
    for finding in failing:
        assert finding.file == str(path)
        line, _ = ctx.templates[0].locate(finding.path)
        assert line > 100  # deep in the real, indented file; a projected copy is one line
        assert "[L:" not in json.dumps(finding.extra)
        assert not finding.message.endswith(";") and not finding.fix.endswith(";")


FAKE_GUARD = """#!{python}
import json, sys
args = sys.argv[1:]
data = [args[i + 1] for i, a in enumerate(args) if a == "-d"]
rules = [args[i + 1] for i, a in enumerate(args) if a == "-r"]
if {crash_when!r} and any(r.endswith({crash_when!r}) for r in rules):
    sys.exit(5)
empty = {{"metadata": {{}}, "status": "PASS", "not_compliant": [], "not_applicable": [], "compliant": []}}
names = data + ({extra!r} and [{extra!r}] or [])
print(json.dumps([{{"name": name, **empty}} for name in names]))
"""


def fake_guard(tmp_path: Path, crash_when: str = "", extra: str = "") -> list[str]:
    script = tmp_path / "fake-guard"
    script.write_text(FAKE_GUARD.format(python=sys.executable, crash_when=crash_when, extra=extra))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return [str(script)]


@pytest.mark.parametrize(
    ("crash_when", "extra", "error"),
    [
        ("lambda_env_no_secrets.guard", "", "crashed: exit code 5"),  # one group of several fails
        ("", "/elsewhere/other.json", "a report for a file it was not given"),
    ],
)
def test_one_bad_process_fails_the_whole_engine(
    tmp_path: Path, crash_when: str, extra: str, error: str
) -> None:
    ctx = context([REPO / "TapStack.json"])
    ctx.commands["cfn-guard"] = fake_guard(tmp_path, crash_when, extra)
    engine = GuardEngine()
    with pytest.raises(EngineError, match=error):
        engine.parse(engine.run(ctx), ctx)


def test_clean_fake_processes_are_merged_into_one_report_per_template(tmp_path: Path) -> None:
    ctx = context(
        [
            REPO / "TapStack.json",
            write(tmp_path / "copy.json", {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}),
        ]
    )
    ctx.commands["cfn-guard"] = fake_guard(tmp_path)
    output = GuardEngine().run(ctx)
    reports = json.loads(output.stdout)
    assert [r["name"] for r in reports] == ctx.input_files()
    assert output.command[1] == "validate" and "--structured" in output.command
