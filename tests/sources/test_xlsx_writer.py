"""The generator's own XLSX writer: the parser reads back every cell as the value written."""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

from sources.contract import load_agency
from sources.formats import read_xlsx_header_and_rows
from sources.synthetic.writers import write_rows

LEASES = load_agency("land").datasets["leases"]


def test_cells_read_back_as_written(tmp_path):
    names = LEASES.column_names
    rows = [
        {names[0]: "=SUM(A1) & <b> \"q\"", names[1]: 201234567, names[2]: dt.date(2024, 3, 5), names[3]: 12.5,
         names[4]: Decimal("3.25"), names[5]: True, names[6]: "Công ty\x07 TNHH ", names[8]: 1_000_000},
        {names[0]: "L-2"},  # missing cells stay empty
    ]
    path = tmp_path / "leases.xlsx"
    assert write_rows(path, LEASES, names, rows) == 2
    header, batches = read_xlsx_header_and_rows(path, LEASES.sheet or LEASES.name)
    assert header == names
    first, second = [row for batch in batches for row in batch.to_pylist()]
    assert first[names[0]] == "=SUM(A1) & <b> \"q\""  # text, never a formula
    assert first[names[1]] == "201234567"  # a number cell: the lost leading zero of a tax code
    assert first[names[2]] == "2024-03-05"  # a date cell
    assert (first[names[3]], first[names[4]], first[names[5]]) == ("12.5", "3.25", "True")
    assert first[names[6]] == "Công ty\x07 TNHH "  # a control character and the trailing space survive
    assert first[names[8]] == "1000000"
    assert second[names[0]] == "L-2" and all(second[n] is None for n in names[1:])
    # The same rows give the same bytes (fixed zip times).
    write_rows(tmp_path / "again.xlsx", LEASES, names, rows)
    assert (tmp_path / "again.xlsx").read_bytes() == path.read_bytes()
    assert zipfile.ZipFile(path).testzip() is None
