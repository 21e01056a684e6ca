"""Issue #13, "a value PostgreSQL refuses must not hang or crash the run": each attack is
quarantined by name in the stream, or (when only the server can tell) rolled back and audited."""
from __future__ import annotations

import datetime as dt
import json

import psycopg
import pyarrow as pa
import pytest
import xlsxwriter

from pipelines.lib.ingest import ingest_delivery, raw_table
from sources.contract import dataset
from tests.helpers import project_row
from tests.hostile.deliveries import deliver, employment, employment_line, flow, flows
from warehouse.loader import DeliveryMeta, load_delivery

pytestmark = pytest.mark.timeout(120)
STOPPAGE_HEADER = "event_id,tax_code,employer_name,started_on,ended_on,workers_involved,cause"


def quarantine(db, delivery_id):
    return db.execute("select row_number, reasons, original from audit.quarantine where delivery_id = %s "
                      "order by row_number", (delivery_id,)).fetchall()


def audit(db, delivery_id):
    return db.execute("select status, rows_loaded, rows_quarantined, reason from audit.deliveries "
                      "where delivery_id = %s", (delivery_id,)).fetchone()


@pytest.mark.parametrize(("bad_line", "reason"), [
    (employment_line("HP00002", name="Cong\x00ty B"), "employer_name:nul"),
    (employment_line("HP00002", total="99999999999999999999"), "employees_total:range"),
    (employment_line("HP00002", total="9223372036854775808"), "employees_total:range"),
])
def test_csv_value_postgres_refuses_quarantines_only_its_row(db, tmp_path, bad_line, reason):
    lines = [employment_line("HP00001"), bad_line, employment_line("HP00003")]
    result = ingest_delivery(db, employment(tmp_path, lines, "d-csv-bad-value"))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 1)
    (row_number, reasons, original), = quarantine(db, "d-csv-bad-value")
    assert row_number == 2 and reason in reasons
    assert original["si_unit_code"] == "HP00002"
    assert audit(db, "d-csv-bad-value")[:3] == ("loaded", 2, 1)
    assert [r[0] for r in db.execute("select si_unit_code from raw_labour.employment order by 1")] == \
        ["HP00001", "HP00003"]


def test_largest_bigint_still_loads(db, tmp_path):
    result = ingest_delivery(db, employment(tmp_path, [employment_line(total="9223372036854775807")], "d-maxint"))
    assert (result.status, result.rows_loaded) == ("loaded", 1)


@pytest.mark.parametrize(("record", "reason"), [
    ('{"txn_id": "T2", "counterparty_name": "A\\u0000B"}', "counterparty_name:nul"),
    ('{"txn_id": "T2", "counterparty_name": "\\ud800"}', "counterparty_name:unencodable"),
    ('{"txn_id": "T2", "amount": 1e400}', "amount:range"),
    ('{"txn_id": "T2", "amount": "1e999999"}', "amount:range"),
])
def test_jsonl_value_postgres_refuses_quarantines_only_its_row(db, tmp_path, record, reason):
    bad = {**flow("T2"), **{k: v for k, v in json.loads(record).items()}}
    text = json.dumps(bad)  # keeps \u0000 and \ud800 as JSON escapes
    if "1e400" in record:
        text = text.replace('"amount": Infinity', '"amount": 1e400')
    result = ingest_delivery(db, flows(tmp_path, [flow("T1"), text, flow("T3")], "d-jsonl-bad"))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 1)
    (row_number, reasons, original), = quarantine(db, "d-jsonl-bad")
    assert row_number == 2 and reason in reasons and original["txn_id"] == "T2"
    assert [r[0] for r in db.execute("select txn_id from raw_fx.capital_flows order by 1")] == ["T1", "T3"]


def test_line_with_a_surplus_field_quarantines_that_row_only(db, tmp_path):
    lines = [employment_line("HP00001"), employment_line("HP00002") + ",surplus", employment_line("HP00003")]
    result = ingest_delivery(db, employment(tmp_path, lines, "d-surplus"))
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 1)
    (row_number, reasons, original), = quarantine(db, "d-surplus")
    assert (row_number, reasons) == (2, ["row:field_count"])
    assert original["_line"].startswith("HP00002,") and original["_line"].endswith(",surplus")
    numbers = db.execute("select si_unit_code, _row_number from raw_labour.employment order by 2").fetchall()
    assert numbers == [("HP00001", 1), ("HP00003", 3)]


def test_ten_megabyte_field_is_rejected_with_a_sentence(db, tmp_path):
    lines = [employment_line("HP00001"), employment_line("HP00002", name="x" * (10 << 20))]
    result = ingest_delivery(db, employment(tmp_path, lines, "d-huge"))
    assert result.status == "rejected"
    assert "one line is longer than 4 MiB" in result.reason and "straddl" not in result.reason
    assert audit(db, "d-huge") == ("rejected", 0, 0, result.reason)


def test_value_refused_inside_copy_ends_the_delivery_without_hanging(db):
    """Whatever the stream checks miss, the server's refusal surfaces at once and rolls back."""
    ds = dataset("labour", "employment")
    meta = DeliveryMeta("d-copyfail", "labour", "employment", "2024-01", dt.datetime.now(dt.UTC), 1, "x", None)
    good = {c: ["HP00001"] if c == "si_unit_code" else [None] for c in ds.column_names}
    good["employees_total"] = ["not a number"]
    table = pa.table({**{c: pa.array(v, pa.string()) for c, v in good.items()}, "_row_number": pa.array([1])})
    with pytest.raises(psycopg.DataError, match="bigint"):
        with load_delivery(db, raw_table(ds), meta) as load:
            load.copy(table)
            load.finish()
    # The connection is usable and nothing of the delivery stayed.
    assert db.execute("select count(*) from raw_labour.employment").fetchone()[0] == 0
    assert db.execute("select count(*) from audit.deliveries").fetchone()[0] == 0


def test_xlsx_row_with_a_value_beyond_the_header_quarantines_that_row(db, tmp_path):
    ds = dataset("registry", "projects")
    path = tmp_path / "projects.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(ds.sheet or ds.name)
    columns = ds.column_names
    sheet.write_row(0, 0, columns)
    for r, code in enumerate(["1000000001", "1000000002", "1000000003"], start=1):
        row = project_row(code)
        sheet.write_row(r, 0, [str(row[c]) if row[c] is not None else None for c in columns])
    sheet.write(2, len(columns), "surplus")
    book.close()
    folder = deliver(tmp_path / "landing", "registry", "projects", "2024-01",
                     {"projects_2024-01.xlsx": path.read_bytes()}, "d-xlsx-surplus",
                     rows={"projects_2024-01.xlsx": 3})
    result = ingest_delivery(db, folder)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 1)
    (row_number, reasons, original), = quarantine(db, "d-xlsx-surplus")
    assert (row_number, reasons, original["project_code"]) == (2, ["row:field_count"], "1000000002")


def test_year_zero_passes_no_longer_to_the_server(db, tmp_path):
    """0000-01-01 parsed and round-tripped in the stream, and PostgreSQL (no year 0) refused the COPY."""
    folder = deliver(tmp_path, "labour", "stoppages", "2024-01", {
        "stoppages_2024-01.csv": (STOPPAGE_HEADER + "\nS1,,Cong ty A,0000-01-05,,10,wages\n"
                                  "S2,,Cong ty A,2024-01-05,,10,wages\n").encode()}, "d-year-zero")
    result = ingest_delivery(db, folder)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 1)
    assert "started_on:range" in quarantine(db, "d-year-zero")[0][1]


def test_what_only_the_server_refuses_is_audited_with_its_sentence_and_the_next_delivery_loads(db, tmp_path):
    # A constraint the stream checks do not know (a DBA's, say): the server refuses inside COPY.
    db.execute("alter table raw_labour.employment add constraint dba_cap check (employees_total < 1000)")
    bad = ingest_delivery(db, employment(tmp_path / "a", [employment_line("HP00001", total="5000")], "d-dba-cap"))
    assert bad.status == "rejected"
    assert bad.reason.startswith("PostgreSQL refused a value of this delivery: new row for relation \"employment\" "
                                 "violates check constraint \"dba_cap\"")
    assert audit(db, "d-dba-cap") == ("rejected", 0, 0, bad.reason)
    good = ingest_delivery(db, employment(tmp_path / "b", [employment_line("HP00002", period="2024-02")], "d-after-cap",
                                          period="2024-02"))
    assert (good.status, good.rows_loaded) == ("loaded", 1)
    assert [r[0] for r in db.execute("select si_unit_code from raw_labour.employment")] == ["HP00002"]
