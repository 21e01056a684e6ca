"""Guards that the project's copy of the agreement (`sources/contracts/`) still matches the signed one.

This is the only test that reads the signed original (`../shared/contracts/`,
beside the clone). A clone with no agreement folder beside it skips it, and
says why; every other test reads the project's own copy.
"""
from __future__ import annotations

import pytest
import yaml

from sources.contract import AGENCIES, CONTRACTS_DIR
from tests.helpers import SHARED

SIGNED = SHARED / "contracts"
pytestmark = pytest.mark.skipif(not SIGNED.is_dir(), reason=f"no signed agreement at {SIGNED} to compare the copy "
                                                            "with (a clone without ../shared)")


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_shared_dataset_and_column_is_in_the_project_copy(agency):
    shared = yaml.safe_load((SIGNED / f"{agency}.yaml").read_text())
    ours = yaml.safe_load((CONTRACTS_DIR / f"{agency}.yaml").read_text())
    assert ours["agency"] == shared["agency"]
    for name, spec in shared["datasets"].items():
        assert name in ours["datasets"], f"{agency}.{name} is missing from sources/contracts"
        mine = ours["datasets"][name]
        for attr in ("grain", "kind", "format", "key", "sheet", "pii"):
            assert mine.get(attr) == spec.get(attr), f"{agency}.{name}: {attr} differs"
        assert mine["columns"] == spec["columns"], f"{agency}.{name}: columns differ"


@pytest.mark.parametrize("document", ["README.md", "warehouse.md"])
def test_the_agreements_prose_is_copied_as_signed(document):
    """Comments say "see the agreement"; the copy beside the YAML must be the signed text."""
    assert (CONTRACTS_DIR / document).read_text() == (SIGNED / document).read_text()
