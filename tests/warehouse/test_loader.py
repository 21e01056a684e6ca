"""The COPY loader: one transaction per delivery, stamps, idempotency, replacement."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from pipelines.lib.ingest import ingest_delivery, raw_table
from sources.contract import dataset
from sources.synthetic.writers import VN_TZ
from tests.helpers import project_row, write_projects
from warehouse.loader import DeliveryMeta, load_delivery

PROJECTS = dataset("registry", "projects")


def _meta(delivery_id: str, period: str = "2024-01") -> DeliveryMeta:
    return DeliveryMeta(delivery_id, "registry", "projects", period,
                        dt.datetime(2024, 2, 2, tzinfo=VN_TZ), 2, "/tmp/x", None)


def _batch(codes: list[str], first_row: int = 1) -> pa.Table:
    cols = {c: pa.array([None] * len(codes), pa.string()) for c in PROJECTS.column_names}
    cols["project_code"] = pa.array(codes)
    cols.update({"irc_number": pa.array(["X"] * len(codes)), "enterprise_name": pa.array(["A"] * len(codes)),
                 "vsic_code": pa.array(["26100"] * len(codes)), "registered_capital_usd": pa.array(["1"] * len(codes)),
                 "foreign_ownership_pct": pa.array(["100"] * len(codes)), "issued_on": pa.array(["2020-01-01"] * len(codes)),
                 "status": pa.array(["active"] * len(codes)), "authority": pa.array(["DPI"] * len(codes))})
    cols["_row_number"] = pa.array(range(first_row, first_row + len(codes)), pa.int64())
    return pa.table(cols)


def test_copy_stamps_delivery_id_and_row_number(db):
    with load_delivery(db, raw_table(PROJECTS), _meta("d-stamps")) as load:
        load.copy(_batch(["0000000001", "0000000002"]))
        counts = load.finish()
    assert counts.rows_loaded == 2
    rows = db.execute("select project_code, _delivery_id, _row_number from raw_registry.projects order by 3").fetchall()
    assert rows == [("0000000001", "d-stamps", 1), ("0000000002", "d-stamps", 2)]
    assert db.execute("select status, rows_loaded from audit.deliveries").fetchall() == [("loaded", 2)]


def test_failure_mid_delivery_leaves_nothing_behind(db):
    with pytest.raises(RuntimeError, match="crash"):
        with load_delivery(db, raw_table(PROJECTS), _meta("d-crash")) as load:
            load.copy(_batch(["0000000001", "0000000002"]))
            raise RuntimeError("crash after the first batch")
    assert db.execute("select count(*) from raw_registry.projects").fetchone()[0] == 0
    assert db.execute("select count(*) from audit.deliveries").fetchone()[0] == 0


def test_reloading_the_same_delivery_changes_nothing(db, tmp_path):
    folder = write_projects(tmp_path, "2024-01", [project_row("1000000001"), project_row("1000000002")], "d-same")
    first = ingest_delivery(db, folder)
    second = ingest_delivery(db, folder)
    assert (first.status, first.rows_loaded) == ("loaded", 2)
    assert second.status == "skipped"
    assert db.execute("select count(*) from raw_registry.projects").fetchone()[0] == 2
    assert db.execute("select count(*) from audit.deliveries").fetchone()[0] == 1


def test_correction_supersedes_the_earlier_delivery(db, tmp_path):
    original = write_projects(tmp_path, "2024-01", [project_row("1000000001")], "d-original")
    assert ingest_delivery(db, original).status == "loaded"
    correction = write_projects(tmp_path, "2024-01", [project_row("1000000001", status="suspended")], "d-correction",
                                extracted_at=dt.datetime(2024, 3, 1, tzinfo=VN_TZ))
    assert ingest_delivery(db, correction).status == "loaded"
    statuses = dict(db.execute("select delivery_id, status from audit.deliveries").fetchall())
    assert statuses == {"d-original": "superseded", "d-correction": "loaded"}
    # Raw keeps the history of both; nothing is merged.
    assert db.execute("select count(*) from raw_registry.projects").fetchone()[0] == 2


def test_an_older_extract_arriving_late_is_superseded_at_once(db, tmp_path):
    newer = write_projects(tmp_path / "a", "2024-01", [project_row("1000000001")], "d-newer",
                           extracted_at=dt.datetime(2024, 3, 1, tzinfo=VN_TZ))
    older = write_projects(tmp_path / "b", "2024-01", [project_row("1000000001")], "d-older",
                           extracted_at=dt.datetime(2024, 2, 1, tzinfo=VN_TZ))
    assert ingest_delivery(db, newer).status == "loaded"
    assert ingest_delivery(db, older).status == "superseded"
    statuses = dict(db.execute("select delivery_id, status from audit.deliveries").fetchall())
    assert statuses == {"d-newer": "loaded", "d-older": "superseded"}
