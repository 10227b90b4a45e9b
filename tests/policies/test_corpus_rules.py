"""The mutation corpus against the rules directly: TapStack.json passes every guard rule and tapgate check;
each mutation (one property changed) fails exactly the expected rules on exactly the expected resources,
also after every logical id is renamed; every control family is broken at least once."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from corpus import load_mutations, tapstack_mutant
from guardrun import GUARD_RULES, guard_verdicts, load_tapstack, tapgate_failing

from helpers.template_variants import renamed
from tapgate.catalog import load_catalog

MUTATIONS = load_mutations()


def failures(guard: str, template: dict) -> dict[str, frozenset[str]]:
    found = {rule: frozenset(ids) for rule, ids in guard_verdicts(guard, template)["FAIL"].items()}
    found.update({rule: frozenset(ids) for rule, ids in tapgate_failing(template).items()})
    return found


@pytest.fixture(scope="module")
def outcomes(guard: str) -> dict[tuple[str, bool], tuple[dict, dict]]:
    """(mutation id, renamed?) -> (failures found, failures expected), cfn-guard runs spread over the cores.

    One cfn-guard run over the whole TapStack takes seconds, so the corpus runs them side by side once.
    """
    jobs = [(m, False) for m in MUTATIONS] + [(m, True) for m in MUTATIONS if m.rename]

    def run(job):
        mutation, rename = job
        template, expected = tapstack_mutant(mutation, rename=rename)
        return (mutation.id, rename), (failures(guard, template), expected)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(pool.map(run, jobs))


def test_tapstack_passes_every_rule(guard: str) -> None:
    verdicts = guard_verdicts(guard, load_tapstack())
    assert verdicts["FAIL"] == {}
    assert tapgate_failing(load_tapstack()) == {}


def test_renamed_tapstack_passes_every_rule(guard: str) -> None:
    template, _ = renamed(load_tapstack())
    assert failures(guard, template) == {}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_mutation_fails_exactly_the_broken_resources(outcomes, mutation) -> None:
    found, expected = outcomes[(mutation.id, False)]
    assert found == expected


@pytest.mark.parametrize("mutation", [m for m in MUTATIONS if m.rename], ids=lambda m: m.id)
def test_verdict_survives_renaming_every_logical_id(outcomes, mutation) -> None:
    found, expected = outcomes[(mutation.id, True)]
    assert found == expected


def test_corpus_ids_are_unique() -> None:
    ids = [m.id for m in MUTATIONS]
    assert len(ids) == len(set(ids))


def test_every_control_family_is_broken_at_least_once() -> None:
    from guardrun import REPO_ROOT

    catalog = load_catalog(REPO_ROOT / "policies" / "controls.yaml")
    rule_family = {}
    for control in catalog.controls:
        for engine in ("cfn-guard", "tapgate"):
            for rule in control.rules.get(engine, []):
                rule_family[rule] = control.family
    broken = {rule_family[rule] for m in MUTATIONS for rule in m.fails}
    assert {"encryption", "retention", "secrets", "iam", "audit", "network", "resilience"} <= broken


def test_rules_the_corpus_does_not_break_have_no_resource_in_tapstack() -> None:
    from tapgate.checks import RULE_IDS

    names = {p.stem.upper() for p in GUARD_RULES.glob("*/*.guard")} | set(RULE_IDS)
    exercised = {rule for m in MUTATIONS for rule in m.fails}
    # TapStack has no AWS::SecretsManager::Secret (RDS manages its secret): those two rules are covered by
    # their own guard tests only.
    assert names - exercised == {"SECRETSMANAGER_SECRET_CMK", "SECRETSMANAGER_NO_LITERAL_SECRET_STRING"}
