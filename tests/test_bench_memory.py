"""`fdi bench --dbt`'s peak memory per process (devtools/memory.py), against the session's real PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys

import psycopg

from devtools.memory import PeakMemory


def test_peaks_name_the_child_that_grew_and_the_database_server(pg_server):
    peaks = PeakMemory(pg_server.conninfo)
    # a child process holding 200 MiB for a second, as a dbt or generator process would
    grow = "b = bytearray(200 * 2**20); import time; time.sleep(1.5)"
    with peaks.stage("work"), psycopg.connect(pg_server.conninfo, autocommit=True) as pg:
        pg.execute("select count(*) from generate_series(1, 200000)").fetchone()
        subprocess.run([sys.executable, "-c", grow], check=True)
    work = peaks.report["work"]
    assert work["python_children"] >= 190
    assert 0 < work["bench_process"] < work["python_children"] + 1024
    if os.environ.get("FDI_TEST_DATABASE_URL"):
        return  # a server elsewhere: its processes are not ours to read, and none is reported
    assert peaks.server is not None
    assert 0 < work["postgres_largest"] <= work["postgres_total"]
