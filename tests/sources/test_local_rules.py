"""The local rules (`sources/contracts/local_rules.yaml`) name datasets of the agreement, and mean them."""
from __future__ import annotations

import pytest
import yaml

from sources import contract
from sources.contract import CONTRACTS_DIR, dataset


def test_due_months_name_annual_datasets_and_reach_the_dataset_objects():
    """A misspelt dataset would be read as due with its December, silently: every name must resolve, to an
    annual dataset, with a deadline inside the following year."""
    listed = yaml.safe_load((CONTRACTS_DIR / "local_rules.yaml").read_text())["due_months_after_year_end"]
    assert listed, "the rule lists no dataset"
    for qualified, months in listed.items():
        agency, name = qualified.split(".")
        ds = dataset(agency, name)
        assert ds.grain == "year", f"{qualified} is not annual"
        assert 0 <= months <= 11 and ds.due_months_after_year_end == months, qualified
    # the CIT finalisation return, by the end of March (Law 38/2019/QH14 Art. 44), and the disclosure with it
    assert dataset("tax", "cit_returns").due_months_after_year_end == 3
    assert dataset("tax", "related_party").due_months_after_year_end == 3
    assert dataset("land", "zones").due_months_after_year_end == 0


@pytest.mark.parametrize("agency, name", [("customs", "declarations"), ("tax", "payments")])
def test_a_monthly_dataset_is_due_with_its_month(agency, name):
    assert dataset(agency, name).due_months_after_year_end == 0


@pytest.mark.parametrize("rule, refused", [
    ({"tax.cit_return": 3}, "'tax.cit_return' is no annual dataset of the agreement (annual: tax.cit_returns, "
                            "tax.related_party)"),
    ({"tax.payments": 1}, "'tax.payments' is no annual dataset"),
    ({"taxes.cit_returns": 3}, "'taxes.cit_returns' names no agency of the agreement"),
    ({"tax.cit_returns": 12}, "tax.cit_returns: 12 is no number of months from 0 to 11"),
    ({"tax.cit_returns": "3"}, "tax.cit_returns: '3' is no number of months from 0 to 11"),
])
def test_a_due_month_rule_that_means_nothing_is_refused_with_the_line_to_fix(monkeypatch, rule, refused):
    rules = {**contract._local_rules(), "due_months_after_year_end": rule}
    monkeypatch.setattr(contract, "_local_rules", lambda: rules)
    with pytest.raises(ValueError, match="local_rules.yaml, due_months_after_year_end: ") as raised:
        contract.load_agency.__wrapped__("tax")
    assert refused in str(raised.value)
