"""Issue #13, personal data: individual investors' names are pseudonymised outside raw_*, and
audit.quarantine / audit.repairs hold personal columns only as keyed hashes; exports neutralise
formulas, tab and carriage return included."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from pipelines.lib.ingest import ingest_delivery
from sources.checks import neutralise_formula
from sources.synthetic.writers import VN_TZ
from tests.helpers import dbt, project_row, write_delivery, write_projects
from tests.hostile.deliveries import deliver

pytestmark = pytest.mark.timeout(300)
KEY = b"test-key-not-secret"  # tests.helpers.fresh_warehouse writes it


def keyed(value: str) -> str:
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def investors(landing, rows, delivery_id, period="2024-01"):
    return write_delivery(landing, "registry", "investors", period, rows, delivery_id,
                          dt.datetime(2024, 2, 2, tzinfo=VN_TZ))


PERSON = {"project_code": "1000000001", "investor_seq": 1, "investor_name": "Nguyễn Văn An", "investor_country": "KR",
          "investor_kind": "individual", "ownership_pct": 60, "investor_reg_no": "M1234567"}
COMPANY = {**PERSON, "investor_seq": 2, "investor_name": "Hanil Holdings", "investor_kind": "organization",
           "ownership_pct": 40, "investor_reg_no": "KR-778"}


def test_individual_investor_name_leaves_raw_only_as_a_keyed_hash(db, tmp_path):
    write_projects(tmp_path, "2024-01", [project_row("1000000001")], "d-projects-pii")
    bad_person = {**PERSON, "investor_seq": 3, "investor_name": "Trần Thị Bình", "ownership_pct": 150}
    investors(tmp_path, [PERSON, COMPANY, bad_person], "d-investors-pii")
    for folder in sorted(tmp_path.glob("registry/*/2024-01")):
        assert ingest_delivery(db, folder).status == "loaded"
    dbt("run", "--select", "stg_registry__investors")
    db.execute("select set_config('fdi.pseudonym_key', %s, false)", (KEY.decode(),))  # staging is a view
    rows = db.execute("select investor_seq, investor_name, investor_name_hash from staging.stg_registry__investors "
                      "order by 1").fetchall()
    assert rows == [(1, None, keyed("Nguyễn Văn An")), (2, "Hanil Holdings", None)]
    # The quarantined individual's name and passport are hashes in audit.quarantine.
    reasons, original = db.execute("select reasons, original from audit.quarantine").fetchone()
    assert reasons == ["ownership_pct:max"]
    assert "investor_name" not in original and original["investor_name_hash"] == keyed("Trần Thị Bình")
    assert "investor_reg_no" not in original and original["investor_reg_no_hash"] == keyed("M1234567")
    assert "Trần" not in str(original)


PERMIT_HEADER = ("permit_no,tax_code,employer_name,worker_passport,worker_name,nationality,job_category,issued_on,"
                 "expires_on,status")


def test_quarantine_and_repairs_keep_personal_columns_only_as_keyed_hashes(db, tmp_path):
    nfd_name = "Kim Min-jun Nguye\u0302\u0303n"  # NFD: repaired to NFC, and the repair is recorded
    lines = [PERMIT_HEADER,
             f"P1,,Cong ty A,B1234567,{nfd_name},KR,expert,2024-01-05,2026-01-05,issued",
             "P2,,Cong ty A,B7654321,Park Ji-hoon,KR,wizard,2024-01-06,2026-01-06,issued"]
    data = ("\n".join(lines) + "\n").encode()
    folder = deliver(tmp_path, "labour", "work_permits", "2024-01", {"work_permits_2024-01.csv": data}, "d-permits")
    result = ingest_delivery(db, folder)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    original = db.execute("select original from audit.quarantine").fetchone()[0]
    assert original["worker_passport_hash"] == keyed("B7654321") and original["worker_name_hash"] == keyed("Park Ji-hoon")
    assert "B7654321" not in str(original) and "Park" not in str(original) and original["job_category"] == "wizard"
    repair = db.execute("select column_name, value_before, value_after from audit.repairs").fetchone()
    assert repair[0] == "worker_name_hash"
    assert repair[1] == keyed(nfd_name) and repair[2] == keyed("Kim Min-jun Nguyễn")


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_formula_cells_are_neutralised_tab_and_carriage_return_included(cell):
    assert neutralise_formula(cell) == "'" + cell
    assert neutralise_formula("Hai Phong") == "Hai Phong"
