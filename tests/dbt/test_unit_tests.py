"""Every dbt unit test of the project passes on a real PostgreSQL.

The unit tests (`unit_tests:` in the yml files under dbt_project/models) prove
the SQL of a model on hand-made rows: the risk rules' flagged cases and near
misses, the network's method, the FIS allocation, the KPIs. The monthly build
leaves them out (pipelines/defs/assets/dbt.py, dbt_build_args) and the nightly
full run has them all, so a unit test broken by a change would first fail at
night: this runs every one of them in CI.

dbt's unit tests read the column types of their inputs from the database, so
every model is built first, on the empty raw tables of a freshly bootstrapped
warehouse (dbt's --empty would wrap each source in a subquery the staging
models' aliases do not accept).
"""
from __future__ import annotations

import json

import yaml

from tests.helpers import dbt, fresh_warehouse
from warehouse.settings import DBT_PROJECT_DIR


def defined_unit_tests() -> set[str]:
    """The names of the unit tests the project's yml files define."""
    names = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        names |= {test["name"] for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])}
    return names


def test_every_dbt_unit_test_passes_on_postgresql(pg_server, tmp_path):
    target = tmp_path / "dbt-target"
    with fresh_warehouse(pg_server, tmp_path):
        dbt("build", "--exclude", "resource_type:test", "resource_type:unit_test")
        dbt("test", "--select", "test_type:unit", "--target-path", str(target))
    # run_results.json also holds the on-run-start hooks; only the unit tests are judged
    results = [r for r in json.loads((target / "run_results.json").read_text())["results"]
               if r["unique_id"].startswith("unit_test.")]
    failed = {r["unique_id"]: r["message"] for r in results if r["status"] != "pass"}
    assert not failed, f"dbt unit tests failed: {failed}"
    ran = {r["unique_id"].split(".")[-1] for r in results}
    assert ran == defined_unit_tests(), "a unit test the yml files define did not run"


def test_every_unit_test_name_fits_a_postgresql_identifier():
    """dbt names a unit test's relation after it, and PostgreSQL refuses an identifier past 63 bytes: such a
    test errors at run time, and its model and everything downstream of it are skipped (2026-12-07, a renamed
    network test: 49 nodes). Caught here in a second, not after a build."""
    too_long = sorted(name for name in defined_unit_tests() if len(name.encode()) > 63)
    assert not too_long, too_long
