"""Issue #13: the loader reads only the delivery folder; a reused delivery_id is a conflict, never a silent skip."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from pipelines.lib.ingest import ingest_delivery
from tests.hostile.deliveries import EMPLOYMENT_HEADER, VN, employment, employment_line

pytestmark = pytest.mark.timeout(120)


def outside_file(tmp_path):
    """A CSV outside the landing folder (stands for the pseudonymisation key or any other file)."""
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text(EMPLOYMENT_HEADER + "\n" + employment_line("HP99999") + "\n")
    return secret


def entry(path, name):
    return {"name": name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "rows": 1}


def assert_rejected_nothing_loaded(db, result, phrase):
    assert result.status == "rejected", result
    assert phrase in result.reason
    assert db.execute("select status, reason from audit.deliveries where delivery_id = %s",
                      (result.delivery_id,)).fetchone() == ("rejected", result.reason)
    assert db.execute("select count(*) from raw_labour.employment").fetchone()[0] == 0


@pytest.mark.parametrize("kind", ["absolute", "dotdot"])
def test_manifest_name_outside_the_delivery_folder_is_rejected(db, tmp_path, kind):
    landing = tmp_path / "landing"
    secret = outside_file(tmp_path)
    name = str(secret) if kind == "absolute" else "../../../../outside/secret.csv"
    folder = employment(landing, [employment_line()], "d-escape1", entries=[entry(secret, name)])
    result = ingest_delivery(db, folder)
    assert_rejected_nothing_loaded(db, result, "not a plain file name in the delivery folder")
    assert (folder / "manifest.json").exists()


def test_data_file_symlink_outside_the_landing_folder_is_rejected(db, tmp_path):
    landing = tmp_path / "landing"
    secret = outside_file(tmp_path)
    folder = employment(landing, [employment_line()], "d-escape2", entries=[entry(secret, "employment_2024-01.csv")])
    (folder / "employment_2024-01.csv").unlink()
    (folder / "employment_2024-01.csv").symlink_to(secret)
    result = ingest_delivery(db, folder)
    assert_rejected_nothing_loaded(db, result, "symbolic link leading outside the landing folder")


def test_period_folder_symlink_outside_the_landing_folder_is_rejected(db, tmp_path):
    elsewhere = employment(tmp_path / "elsewhere", [employment_line()], "d-escape3")
    landing = tmp_path / "landing"
    (landing / "labour" / "employment").mkdir(parents=True)
    link = landing / "labour" / "employment" / "2024-01"
    link.symlink_to(elsewhere)
    result = ingest_delivery(db, link)
    assert_rejected_nothing_loaded(db, result, "symbolic link leading outside the landing folder")


def test_manifest_listing_a_file_twice_is_rejected(db, tmp_path):
    folder = employment(tmp_path, [employment_line()], "d-twice")
    doc = json.loads((folder / "manifest.json").read_text())
    doc["files"] = doc["files"] * 2
    (folder / "manifest.json").write_text(json.dumps(doc))
    result = ingest_delivery(db, folder)
    assert_rejected_nothing_loaded(db, result, "lists employment_2024-01.csv twice")


def test_period_far_ahead_of_the_extract_is_rejected(db, tmp_path):
    folder = employment(tmp_path, [employment_line(period="2031-01")], "d-future", period="2031-01",
                        extracted_at=dt.datetime(2022, 3, 1, 8, tzinfo=VN))
    result = ingest_delivery(db, folder)
    assert_rejected_nothing_loaded(db, result, "period 2031-01 begins after the extract was taken (2022-03-01)")


def test_an_extract_stamped_in_the_future_is_rejected_before_it_can_win_over_every_correction(db, tmp_path):
    """A typo (2099 for 2025) would make the delivery the latest extract of its period for ever: each real
    correction after it superseded on arrival. A day's grace for the agencies' clocks."""
    future = employment(tmp_path / "a", [employment_line()], "d-typo",
                        extracted_at=dt.datetime(2099, 1, 1, 9, tzinfo=VN))
    result = ingest_delivery(db, future)
    assert_rejected_nothing_loaded(db, result, "extracted_at 2099-01-01T09:00:00+07:00 is later than this server's clock")
    assert "ask the agency to deliver the period again" in result.reason

    soon = dt.datetime.now(VN) + dt.timedelta(hours=12)  # within the grace: another time zone's clock
    assert ingest_delivery(db, employment(tmp_path / "b", [employment_line()], "d-soon", extracted_at=soon)).status \
        == "loaded"


def test_same_bytes_again_is_a_no_op(db, tmp_path):
    folder = employment(tmp_path, [employment_line()], "d-again")
    assert ingest_delivery(db, folder).status == "loaded"
    assert ingest_delivery(db, folder).status == "skipped"
    assert db.execute("select count(*) from audit.deliveries").fetchone()[0] == 1


def test_reused_delivery_id_with_other_content_is_a_conflict(db, tmp_path):
    assert ingest_delivery(db, employment(tmp_path / "a", [employment_line("HP00001")], "d-reused")).status == "loaded"
    result = ingest_delivery(db, employment(tmp_path / "b", [employment_line("HP00002")], "d-reused"))
    assert result.status == "rejected"
    assert "delivery_id d-reused was already loaded as the earlier delivery d-reused of labour/employment/2024-01" \
        in result.reason
    rows = db.execute("select delivery_id, status, reason from audit.deliveries order by 1").fetchall()
    assert rows == [("d-reused", "loaded", None), (result.delivery_id, "rejected", result.reason)]
    assert [r[0] for r in db.execute("select si_unit_code from raw_labour.employment")] == ["HP00001"]


def test_reused_delivery_id_for_another_period_is_a_conflict(db, tmp_path):
    assert ingest_delivery(db, employment(tmp_path, [employment_line()], "d-reused2")).status == "loaded"
    folder = employment(tmp_path, [employment_line(period="2024-02")], "d-reused2", period="2024-02",
                        extracted_at=dt.datetime(2024, 3, 3, 8, tzinfo=VN))
    result = ingest_delivery(db, folder)
    assert result.status == "rejected"
    assert "already used by the earlier delivery d-reused2 of labour/employment/2024-01" in result.reason
    assert db.execute("select count(*) from raw_labour.employment").fetchone()[0] == 1
