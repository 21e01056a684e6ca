"""The blocking GX check on what landed: passes on a clean load, fails on rows the stream did not pass and names them."""
from __future__ import annotations

import time

from pipelines.lib.gx_validation import validate_deliveries
from pipelines.lib.ingest import ingest_delivery
from sources.contract import dataset
from tests.helpers import project_row, write_projects

_SLIPPED = """insert into raw_registry.projects (project_code, irc_number, enterprise_name, vsic_code,
                  registered_capital_usd, foreign_ownership_pct, issued_on, status, authority,
                  _delivery_id, _row_number)
              values ('12AB', 'X', 'A', '26100', -5, 100, '2020-01-01', 'dormant', 'DPI', 'd-gx-ok', {n})"""


def test_delivery_check_passes_on_a_clean_load_without_rescanning_the_row_checks(warehouse, db, tmp_path):
    rows = [project_row("1000000001"), project_row("1000000002"), project_row("12AB")]  # the last is quarantined
    folder = write_projects(tmp_path, "2024-01", rows, "d-gx-ok")
    assert ingest_delivery(db, folder).status == "loaded"
    clean = validate_deliveries(warehouse, dataset("registry", "projects"), ["d-gx-ok"])
    assert clean.success and clean.rows == 2 and not clean.full
    assert {r["check"] for r in clean.results} == {"delivery:rows_loaded", "delivery:row_number_min",
                                                   "delivery:row_number_max", "delivery:row_number_sum"}

    full = validate_deliveries(warehouse, dataset("registry", "projects"), ["d-gx-ok"], full=True)
    assert full.success and full.full and full.evaluated > 10


def test_a_row_written_behind_the_loader_fails_the_check_which_then_names_the_row_checks_it_breaks(
        warehouse, db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row("1000000001"), project_row("1000000002")], "d-gx-ok")
    assert ingest_delivery(db, folder).status == "loaded"
    projects = dataset("registry", "projects")
    # A row the stream never passed, as a buggy loader (or a hand-made insert) would land it.
    db.execute(_SLIPPED.format(n=3))
    broken = validate_deliveries(warehouse, projects, ["d-gx-ok"])
    assert not broken.success and broken.full
    failed = {f["check"]: f["unexpected_count"] for f in broken.failed}
    # One delivery off on each delivery expectation but the minimum, and the three row checks the row breaks.
    assert failed == {"delivery:rows_loaded": 1, "delivery:row_number_max": 1, "delivery:row_number_sum": 1,
                      "project_code:pattern": 1, "registered_capital_usd:min": 1, "status:enum": 1}
    assert broken.rows == 3
    # The temporary view and summary GX read are gone.
    assert db.execute("select count(*) from pg_class where relnamespace = 'audit'::regnamespace "
                      "and relname like 'gx_%'").fetchone()[0] == 0


def test_a_row_replacing_a_loaded_one_under_its_row_number_is_caught_by_the_count(warehouse, db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row("1000000001"), project_row("1000000002")], "d-gx-ok")
    assert ingest_delivery(db, folder).status == "loaded"
    db.execute(_SLIPPED.format(n=2))  # row number 2 twice: the max and the range hold, the count and the sum do not
    failed = {f["check"] for f in validate_deliveries(warehouse, dataset("registry", "projects"), ["d-gx-ok"]).failed}
    assert {"delivery:rows_loaded", "delivery:row_number_sum"} <= failed and "delivery:row_number_max" not in failed


def test_each_delivery_is_checked_on_its_own_and_an_empty_one_passes(warehouse, db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [], "d-gx-empty")
    assert ingest_delivery(db, folder).status == "loaded"
    folder = write_projects(tmp_path, "2024-02", [project_row("1000000001"), project_row("1000000002")], "d-gx-ok")
    assert ingest_delivery(db, folder).status == "loaded"
    projects = dataset("registry", "projects")
    outcome = validate_deliveries(warehouse, projects, ["d-gx-empty", "d-gx-ok"])
    assert outcome.success and outcome.rows == 2
    # A row of the full delivery claimed by the empty one: the totals still match, each delivery does not.
    db.execute("update raw_registry.projects set _delivery_id = 'd-gx-empty' where _row_number = 2")
    failed = {f["check"]: f["unexpected_count"] for f in validate_deliveries(warehouse, projects,
                                                                              ["d-gx-empty", "d-gx-ok"]).failed}
    assert failed == {"delivery:rows_loaded": 2, "delivery:row_number_max": 1, "delivery:row_number_sum": 2}


def test_the_delivery_check_reads_raw_through_the_block_range_index_never_a_scan_of_every_delivery(
        warehouse, db, tmp_path):
    # Left to itself the planner scans all of raw for one delivery (it prices the BRIN index by the
    # correlation of uuid delivery ids with the table's order, about 0): a cost that grows with history.
    for period, delivery in (("2024-01", "d-gx-old"), ("2024-02", "d-gx-ok")):
        folder = write_projects(tmp_path, period, [project_row("1000000001"), project_row("1000000002")], delivery)
        assert ingest_delivery(db, folder).status == "loaded"
    scans = ("select seq_scan, coalesce(idx_scan, 0) from pg_stat_user_tables "
             "where relid = 'raw_registry.projects'::regclass")
    # The loads' own scans (this session's) are counted now, not while the check runs: a session sends its
    # counts at most once a second, so without this they could land between the two readings below.
    db.execute("select pg_stat_force_next_flush()")
    db.execute("select pg_stat_clear_snapshot()")
    seq_before, idx_before = db.execute(scans).fetchone()
    assert validate_deliveries(warehouse, dataset("registry", "projects"), ["d-gx-ok"]).success
    # The check's session reports its counts when it ends, a moment after it closed.
    for _ in range(50):
        db.execute("select pg_stat_clear_snapshot()")
        seq_after, idx_after = db.execute(scans).fetchone()
        if idx_after > idx_before:
            break
        time.sleep(0.1)
    assert idx_after > idx_before, "the summary did not read raw through the index on _delivery_id"
    assert seq_after == seq_before, "the summary scanned every delivery in raw"
