"""The GX suite on what landed: passes on a clean load, names the check a slipped row breaks."""
from __future__ import annotations

from pipelines.lib.gx_validation import validate_deliveries
from pipelines.lib.ingest import ingest_delivery
from sources.contract import dataset
from tests.helpers import project_row, write_projects


def test_suite_passes_on_a_clean_load_and_catches_a_row_that_slipped_through(warehouse, db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row("1000000001"), project_row("1000000002")], "d-gx-ok")
    assert ingest_delivery(db, folder).status == "loaded"
    projects = dataset("registry", "projects")
    clean = validate_deliveries(warehouse, projects, ["d-gx-ok"])
    assert clean.success and clean.rows == 2 and clean.evaluated > 10

    # A row written behind the loader's back, as a buggy stream check would let through.
    db.execute("""insert into raw_registry.projects (project_code, irc_number, enterprise_name, vsic_code,
                      registered_capital_usd, foreign_ownership_pct, issued_on, status, authority,
                      _delivery_id, _row_number)
                  values ('12AB', 'X', 'A', '26100', -5, 100, '2020-01-01', 'dormant', 'DPI', 'd-gx-ok', 3)""")
    broken = validate_deliveries(warehouse, projects, ["d-gx-ok"])
    assert not broken.success
    failed = {f["check"]: f["unexpected_count"] for f in broken.failed}
    assert failed == {"project_code:pattern": 1, "registered_capital_usd:min": 1, "status:enum": 1}
    # The temporary view GX read is gone.
    assert db.execute("select count(*) from pg_views where schemaname = 'audit' and viewname like 'gx_%'").fetchone()[0] == 0
