"""The vectorised customs writer (a month drawn and formatted as columns) writes what the row writer would."""
from __future__ import annotations

import csv
import gzip
import io

import pytest

from sources.synthetic import customs
from sources.synthetic.generator import build_economy
from sources.synthetic.writers import write_formatted_csv, write_rows


@pytest.fixture(scope="module")
def economy():
    return build_economy(5, 300, (2023, 2024))


@pytest.mark.parametrize("year, month", [(2023, 1), (2024, 2), (2024, 12)])
def test_formatted_columns_are_the_bytes_the_row_writer_writes(economy, tmp_path, year, month):
    ds = customs.DECLARATIONS
    lines = customs.draw_month(economy, year, month)
    rows = list(lines.rows())
    write_rows(tmp_path / "rows.csv.gz", ds, ds.column_names, rows)
    write_formatted_csv(tmp_path / "columns.csv.gz", ds, lines.csv_chunks())
    by_rows = gzip.decompress((tmp_path / "rows.csv.gz").read_bytes())
    assert gzip.decompress((tmp_path / "columns.csv.gz").read_bytes()) == by_rows
    # Truth records: what `Truth.record` writes for each row.
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    for r in rows:
        writer.writerow((ds.agency, ds.name, f"{year}-{month:02d}", f"{r['declaration_no']}|{r['line_no']}",
                         r["_owner"], 1))
    records = b"".join(bytes(c) for c in lines.record_chunks(f"{year}-{month:02d}"))
    assert records.decode("utf-8") == expected.getvalue()
    # Not vacuous: the month has every kind of cell the formatter treats apart.
    assert len(rows) > 1000
    assert {r["flow"] for r in rows} == {"IM", "EX"}  # exports: empty duty and VAT
    assert any(isinstance(r["quantity"], int) for r in rows) and any(isinstance(r["quantity"], float) for r in rows)
    assert any("," in r["partner_name"] for r in rows)  # quoted cells
    assert any("-" in r["tax_code"] for r in rows)  # branch codes
    assert len({r["invoice_currency"] for r in rows}) > 1
    assert any(r["invoice_value"] == int(r["invoice_value"]) for r in rows)  # "...0" decimals
    assert any(not r["goods_description"].isascii() for r in rows)  # UTF-8 text


def test_a_month_draws_the_same_lines_in_any_process_order(economy):
    """A month's lines come from the month's own stream: drawing other months first changes nothing."""
    first = list(customs.draw_month(economy, 2024, 5).rows())
    customs.draw_month(economy, 2023, 7)
    assert list(customs.draw_month(economy, 2024, 5).rows()) == first
