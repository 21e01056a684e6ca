"""A load killed mid-way leaves nothing; the next run ends with exactly a clean load's rows."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

from pipelines.lib.ingest import ingest_delivery
from sources.contract import dataset
from sources.synthetic.writers import VN_TZ, WrittenFile, file_name, write_manifest, write_rows

ROWS = 400_000


def _customs_delivery(landing):
    ds = dataset("customs", "declarations")
    folder = landing / "customs" / "declarations" / "2024-03"
    folder.mkdir(parents=True)
    base = {"flow": "IM", "regime_code": "A12", "tax_code": "0200000014-001", "trader_name": "Cty TNHH Hanil VN",
            "partner_name": "Hanil Co.", "partner_country": "KR", "origin_country": "KR", "hs_code": "85423100",
            "quantity": 10, "unit": "PCE", "invoice_currency": "USD", "invoice_value": 1500.5, "incoterms": "CIF",
            "exchange_rate": 24500, "customs_value_vnd": 36762250, "customs_office": "03CE"}
    rows = ({**base, "declaration_no": f"{105000000000 + i // 5}", "line_no": i % 5 + 1,
             "registered_on": dt.date(2024, 3, 1 + i % 28)} for i in range(ROWS))
    name = file_name(ds, "2024-03")
    n = write_rows(folder / name, ds, ds.column_names, rows)
    write_manifest(folder, ds, "2024-03", "d-crash", dt.datetime(2024, 4, 2, tzinfo=VN_TZ), [WrittenFile(name, n)])
    return folder


def test_killed_load_leaves_nothing_and_rerun_completes(warehouse, db, tmp_path):
    folder = _customs_delivery(tmp_path)
    script = ("import sys, psycopg; from pathlib import Path; from pipelines.lib.ingest import ingest_delivery; "
              "c = psycopg.connect(sys.argv[1], autocommit=True); ingest_delivery(c, Path(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", script, warehouse.conninfo, str(folder)],
                            env=os.environ.copy(), start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until its COPY into raw is running
            copying = db.execute("""select count(*) from pg_stat_activity
                                    where query ilike 'copy "raw_customs"%%' and state = 'active'""").fetchone()[0]
            if copying or proc.poll() is not None:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the load finished before it could be killed; make the delivery bigger"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # The server notices the dead client and rolls its transaction back.
    for _ in range(100):
        if not db.execute("select count(*) from pg_stat_activity where query ilike 'copy \"raw_customs\"%%'").fetchone()[0]:
            break
        time.sleep(0.05)
    assert db.execute("select count(*) from raw_customs.declarations").fetchone()[0] == 0
    assert db.execute("select count(*) from audit.deliveries").fetchone()[0] == 0

    result = ingest_delivery(db, folder)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", ROWS, 0)
    assert db.execute("select count(*), count(distinct _row_number) from raw_customs.declarations").fetchone() == (ROWS, ROWS)
