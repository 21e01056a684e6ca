"""Ingest of one delivery: delivery-level rejection, row quarantine, repairs."""
from __future__ import annotations

import json

from pipelines.lib.ingest import ingest_delivery
from tests.helpers import edit_manifest, project_row, write_projects


def test_hash_mismatch_rejects_the_whole_delivery_and_names_the_file(db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row("1000000001")], "d-hash")
    edit_manifest(folder, file_sha256="0" * 64)
    result = ingest_delivery(db, folder)
    assert result.status == "rejected"
    assert "projects_2024-01.xlsx: sha256" in result.reason and "does not match the manifest" in result.reason
    row = db.execute("select status, reason, rows_loaded from audit.deliveries where delivery_id = 'd-hash'").fetchone()
    assert row == ("rejected", result.reason, 0)
    assert db.execute("select count(*) from raw_registry.projects").fetchone()[0] == 0


def test_row_count_mismatch_rolls_back_rows_already_copied(db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row("1000000001"), project_row("1000000002")], "d-count")
    edit_manifest(folder, file_rows=3)
    result = ingest_delivery(db, folder)
    assert result.status == "rejected"
    assert result.reason.startswith("projects_2024-01.xlsx: 2 data rows, but the manifest says 3")
    assert db.execute("select count(*) from raw_registry.projects").fetchone()[0] == 0


def test_wrong_check_digit_is_quarantined_with_its_reason(db, tmp_path):
    rows = [project_row("1000000001"), project_row("1000000002", tax_code="0200000015")]
    folder = write_projects(tmp_path, "2024-01", rows, "d-check")
    result = ingest_delivery(db, folder)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 1)
    reasons, original = db.execute("select reasons, original from audit.quarantine").fetchone()
    assert reasons == ["tax_code:check_digit"]
    assert original["tax_code"] == "0200000015" and original["project_code"] == "1000000002"
    assert db.execute("select project_code from raw_registry.projects").fetchall() == [("1000000001",)]


def test_dropped_leading_zero_is_repaired_and_recorded(db, tmp_path):
    rows = [project_row("1000000001", tax_code=200000014)]  # Excel turned it into a number
    folder = write_projects(tmp_path, "2024-01", rows, "d-zero")
    result = ingest_delivery(db, folder)
    assert (result.rows_loaded, result.rows_repaired) == (1, 1)
    assert db.execute("select tax_code from raw_registry.projects").fetchone()[0] == "0200000014"
    repair = db.execute("select row_number, column_name, value_before, value_after, rule from audit.repairs").fetchone()
    assert repair == (1, "tax_code", "200000014", "0200000014", "tax_code_leading_zero")


def test_missing_manifest_is_rejected_and_audited(db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row()], "d-gone")
    (folder / "manifest.json").unlink()
    result = ingest_delivery(db, folder)
    assert result.status == "rejected" and "manifest.json is missing" in result.reason
    assert db.execute("select status from audit.deliveries").fetchone()[0] == "rejected"


def test_repaired_delivery_with_same_id_loads_after_a_rejection(db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row()], "d-retry")
    good = json.loads((folder / "manifest.json").read_text())
    edit_manifest(folder, file_sha256="1" * 64)
    assert ingest_delivery(db, folder).status == "rejected"
    (folder / "manifest.json").write_text(json.dumps(good))  # the engineer restores the right manifest
    assert ingest_delivery(db, folder).status == "loaded"
    assert db.execute("select status, reason from audit.deliveries").fetchone() == ("loaded", None)
