"""Guards that every risk rule is proved on hand-made rows: a minimal case flagged, a near miss not.

The cases are dbt unit tests (dbt_project/models/risk/_risk__unit_tests.yml):
each gives a rule a case just past its threshold, which must come out flagged,
and near misses on the honest side of a threshold, which must not. Here: every
rule of the catalogue has such a test. That they pass on a real PostgreSQL, with
every other unit test of the project: tests/dbt/test_unit_tests.py.
"""
from __future__ import annotations

import re

import pytest
import yaml

from sources.synthetic.score_rules import RULES
from warehouse.settings import DBT_PROJECT_DIR

UNIT_TESTS = DBT_PROJECT_DIR / "models" / "risk" / "_risk__unit_tests.yml"
# Issue 15: every rule gives its closest honest look-alike beside the flagged case and the near miss
# (a start-up for TP03, a downturn for TP04, land put to use between idle spells for LAND01, ...);
# the network rules' one-sign look-alikes are their near misses.
RULES_WITH_HONEST_LOOKALIKE = ("TP01", "TP02", "TP03", "TP04", "TP05", "TP06", "TP07", "CAP01",
                               "REG01", "REG02", "ABS01", "LAND01")
# the network rules (REL01, NOM01) keep theirs in a file of their own
UNIT_TEST_FILES = sorted((DBT_PROJECT_DIR / "models" / "risk").glob("_risk__*unit_tests.yml"))
TAX_CODE = re.compile(r"\b02\d{8}\b")


def rule_model(rule: str) -> str:
    """The rule's model, models/risk/rules/flag_<code>_*.sql."""
    [path] = (DBT_PROJECT_DIR / "models" / "risk" / "rules").glob(f"flag_{rule.lower()}_*.sql")
    return path.stem


def unit_tests() -> dict[str, list[dict]]:
    by_model: dict[str, list[dict]] = {}
    for path in UNIT_TEST_FILES:
        for test in yaml.safe_load(path.read_text())["unit_tests"]:
            by_model.setdefault(test["model"], []).append(test)
    return by_model


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_has_a_flagged_case_and_a_near_miss(rule):
    tests = unit_tests().get(rule_model(rule), [])
    assert tests, f"{rule} has no dbt unit test in {UNIT_TESTS.name}"
    for test in tests:
        flagged = {row["tax_code"] for row in test["expect"]["rows"]}
        # every enterprise of the inputs, dict rows and SQL fixtures alike
        given = set(TAX_CODE.findall(yaml.safe_dump(test["given"], allow_unicode=True)))
        given |= {f"02{m[4:]}" for m in re.findall(r"\bEN02\d{8}\b", yaml.safe_dump(test["given"]))}
        assert flagged, f"{test['name']}: no case is expected to be flagged"
        assert flagged <= given, f"{test['name']}: expects flags on enterprises it does not give"
        assert given - flagged, f"{test['name']}: no near miss (every enterprise given is flagged)"


@pytest.mark.parametrize("rule", RULES_WITH_HONEST_LOOKALIKE)
def test_each_rule_gives_its_honest_lookalike_which_is_not_flagged(rule):
    named = [(test, test.get("config", {}).get("meta", {}).get("honest_lookalike"))
             for test in unit_tests().get(rule_model(rule), [])]
    named = [(test, code) for test, code in named if code]
    assert named, f"{rule}: no unit test names its honest look-alike (config.meta.honest_lookalike)"
    for test, code in named:
        given = yaml.safe_dump(test["given"], allow_unicode=True)
        assert code in given or f"EN{code}" in given, f"{test['name']}: the look-alike {code} is not in its rows"
        assert code not in {row["tax_code"] for row in test["expect"]["rows"]}, \
            f"{test['name']}: the honest look-alike {code} is expected to be flagged"
