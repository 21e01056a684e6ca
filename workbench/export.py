"""Tables as CSV or XLSX, safe to open in a spreadsheet: the filtered queue, the records behind a flag.

A text cell that starts with =, +, -, @, a tab or a carriage return is read as
a formula (or shifts into one) by Excel and LibreOffice (OWASP "CSV
injection"): such cells get a leading apostrophe. Enterprise names and
summaries come from agencies' deliveries, so they are not trusted.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import xlsxwriter

from sources.checks import neutralise_formula as safe_text  # the one rule every export follows


def _cell(value):
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value  # numbers stay numbers: a negative amount is not a formula
    return safe_text(str(value))


def to_csv(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # RFC 4180
    w.writerow([safe_text(h) for h in header])
    for row in rows:
        w.writerow(["" if (c := _cell(v)) is None else c for v in row])
    # a BOM, so Excel opens the Vietnamese text as UTF-8
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list], sheet_name: str) -> bytes:
    buf = io.BytesIO()
    # strings_to_formulas=False: xlsxwriter would otherwise store "=..." as a live formula
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(sheet_name)
    bold = book.add_format({"bold": True})
    for j, h in enumerate(header):
        sheet.write_string(0, j, h, bold)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            c = _cell(v)
            if c is None:
                continue
            if isinstance(c, str):
                sheet.write_string(i, j, c)
            else:
                sheet.write_number(i, j, float(c))
    book.close()
    return buf.getvalue()
