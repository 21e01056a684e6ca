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


def _customs_blocks(root, tail: bytes, rows_said: int = 0, delivery_id: str = "d-blocks"):
    """A customs delivery of about three CSV blocks of good lines, then `tail`; the manifest promises
    the good lines plus `rows_said`."""
    import datetime as dt
    import gzip

    from sources import formats
    from sources.contract import dataset
    from sources.synthetic.writers import WrittenFile, extraction_time, file_name, write_manifest

    ds = dataset("customs", "declarations")
    folder = root / "customs" / "declarations" / "2024-03"
    folder.mkdir(parents=True)
    line = ("124030000001,{n},2024-03-04,IM,A12,0200109332,CONG TY A,B,KR,KR,85423100,Dong co,1200,PCE,USD,"
            "2160.5,CIF,24300,52500150,,,03CE\n")
    n_rows = 3 * formats.CSV_BLOCK_BYTES // len(line)
    body = "".join(line.format(n=i + 1) for i in range(n_rows)).encode() + tail
    path = folder / file_name(ds, "2024-03")
    path.write_bytes(gzip.compress(",".join(ds.column_names).encode() + b"\n" + body, compresslevel=1))
    write_manifest(folder, ds, "2024-03", delivery_id, extraction_time(dt.date(2024, 4, 5)),
                   [WrittenFile(path.name, n_rows + rows_said)])
    return folder, n_rows


def test_fault_met_by_the_reading_or_checking_thread_after_blocks_were_copied_rolls_all_back(db, tmp_path):
    """The reader and the checks run on threads of their own, ahead of the COPY: a fault they meet
    after earlier blocks went to the server still rejects the whole delivery with its sentence."""
    bad_byte = b"124030000002,1,2024-03-04,IM,A12,0200109332,CONG TY \xff,B,KR,KR,85423100,x,1,PCE,USD,1,CIF,1,1,,,03CE\n"
    cases = [(tmp_path / "utf8", bad_byte, 1, "is not UTF-8"),
             (tmp_path / "count", b"", 5, "data rows, but the manifest says")]
    for root, tail, rows_said, sentence in cases:
        folder, _ = _customs_blocks(root, tail, rows_said, delivery_id=f"d-blocks-{root.name}")
        result = ingest_delivery(db, folder)
        assert result.status == "rejected" and sentence in result.reason
        row = db.execute("select status, rows_loaded from audit.deliveries where delivery_id = %s",
                         (f"d-blocks-{root.name}",)).fetchone()
        assert row == ("rejected", 0)
        assert db.execute("select count(*) from raw_customs.declarations").fetchone()[0] == 0


def test_many_blocks_load_in_order_with_their_row_numbers(db, tmp_path):
    folder, n_rows = _customs_blocks(tmp_path, b"")
    result = ingest_delivery(db, folder)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", n_rows, 0)
    count, low, high, in_order = db.execute(
        "select count(*), min(_row_number), max(_row_number), "
        "bool_and(line_no::bigint = _row_number) from raw_customs.declarations").fetchone()
    assert (count, low, high, in_order) == (n_rows, 1, n_rows, True)
