"""Cross-dataset integrity is reported, and the orphan rows stay loaded."""
from __future__ import annotations

import datetime as dt

from pipelines.lib.ingest import ingest_delivery
from pipelines.lib.integrity import orphans, references
from sources.synthetic.writers import VN_TZ
from tests.helpers import project_row, write_delivery, write_projects


def _investors(landing, period, rows, delivery_id):
    return write_delivery(landing, "registry", "investors", period, rows, delivery_id,
                          dt.datetime(2024, 2, 2, tzinfo=VN_TZ))


def test_investor_whose_project_is_missing_is_reported_not_dropped(db, tmp_path):
    write_projects(tmp_path, "2024-01", [project_row("1000000001")], "d-projects")
    investor = {"investor_seq": 1, "investor_name": "Hanil Holdings", "investor_country": "KR",
                "investor_kind": "organization", "ownership_pct": 100}
    _investors(tmp_path, "2024-01", [{**investor, "project_code": "1000000001"},
                                     {**investor, "project_code": "9999999999"}], "d-investors")
    for folder in sorted(tmp_path.glob("registry/*/2024-01")):
        assert ingest_delivery(db, folder).status == "loaded"
    ref = next(r for r in references() if r.table == "investors")
    assert orphans(db, ref) == (1, ["9999999999"])
    assert db.execute("select count(*) from raw_registry.investors").fetchone()[0] == 2


def test_every_contract_reference_is_checked():
    labels = {r.label for r in references()}
    assert "raw_registry.investors.project_code -> raw_registry.projects.project_code" in labels
    assert "raw_land.leases.industrial_zone_code -> raw_land.zones.industrial_zone_code" in labels
