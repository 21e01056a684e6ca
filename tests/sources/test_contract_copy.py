"""Guards that the project's copy of the agreement (`sources/contracts/`) still matches the signed one."""
from __future__ import annotations

import pytest
import yaml

from sources.lib.contract import AGENCIES, CONTRACTS_DIR
from tests.helpers import SHARED


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_shared_dataset_and_column_is_in_the_project_copy(agency):
    shared = yaml.safe_load((SHARED / "contracts" / f"{agency}.yaml").read_text())
    ours = yaml.safe_load((CONTRACTS_DIR / f"{agency}.yaml").read_text())
    assert ours["agency"] == shared["agency"]
    for name, spec in shared["datasets"].items():
        assert name in ours["datasets"], f"{agency}.{name} is missing from sources/contracts"
        mine = ours["datasets"][name]
        for attr in ("grain", "kind", "format", "key", "sheet", "pii"):
            assert mine.get(attr) == spec.get(attr), f"{agency}.{name}: {attr} differs"
        assert mine["columns"] == spec["columns"], f"{agency}.{name}: columns differ"
