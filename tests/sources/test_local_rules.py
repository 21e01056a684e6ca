"""The local rules (`sources/contracts/local_rules.yaml`) name datasets of the agreement, and mean them."""
from __future__ import annotations

import pytest
import yaml

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
