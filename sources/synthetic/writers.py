"""Write deliveries the way agencies do: files in the agreed format plus a manifest.

Used by the generator. Rows stream to disk (CSV, JSONL and XLSX row by row),
so a month of millions of customs lines never sits in memory.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sources.contract import SCHEMA_VERSION, Dataset
from sources.delivery import sha256_of

VN_TZ = dt.timezone(dt.timedelta(hours=7))


def extraction_time(on: dt.date, hour: int = 8) -> dt.datetime:
    """When an agency's system took the extract: a morning, Vietnam time."""
    return dt.datetime.combine(on, dt.time(hour, 30), VN_TZ)


def delivery_uuid(seed: int, *parts: object) -> str:
    """A deterministic UUID per seed and delivery, so the same seed gives the same bytes."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "fdi-generator:" + ":".join(str(p) for p in (seed, *parts))))


def _vn_number(value: object) -> str:
    """Vietnamese number format: `.` groups thousands, `,` marks decimals."""
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    text = f"{Decimal(str(value)):,.2f}" if not isinstance(value, str) else value
    whole, _, frac = text.partition(".")
    return whole.replace(",", ".") + ("," + frac if frac else "")


def format_cell(value: object, fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if fmt == "csv-vn" else value.isoformat()
    if fmt == "csv-vn" and isinstance(value, (int, float, Decimal)):
        return _vn_number(value)
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


_AS_IS = (str, int)
# zlib's fastest level: a customs month's file is about 20 % larger than at the default 6, and written in a
# third of the time (gzip was a third of the time of the vectorised customs writer at level 6).
GZIP_LEVEL = 1


@dataclass
class WrittenFile:
    name: str
    rows: int


def write_rows(path: Path, dataset: Dataset, header: list[str], rows: Iterable[dict], *,
               encoding: str = "utf-8") -> int:
    """Write rows in the dataset's format; returns the number of data rows.

    In XLSX, Python numbers become number cells and text stays text, so a
    tax code given as an int reproduces Excel's dropped leading zero. An
    `encoding` other than UTF-8 makes the legacy-encoding defect.
    """
    fmt = dataset.format
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    if fmt in ("csv", "csv.gz", "csv-vn"):
        raw = gzip.GzipFile(path, "wb", compresslevel=GZIP_LEVEL, mtime=0) if fmt == "csv.gz" else open(path, "wb")
        with raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as text:
            writer = csv.writer(text, delimiter=";" if fmt == "csv-vn" else ",", lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                # Text and integers go out as they are (the csv module writes them); the rest is formatted.
                writer.writerow([v if type(v) in _AS_IS else format_cell(v, fmt)
                                 for v in map(row.get, header)])
                count += 1
    elif fmt == "jsonl":
        with open(path, "w", encoding=encoding, newline="\n") as handle:
            for row in rows:
                obj = {c: _json_value(row.get(c)) for c in header if row.get(c) is not None}
                handle.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")
                count += 1
    elif fmt == "xlsx":
        count = _write_xlsx(path, dataset.sheet or dataset.name, header, rows)
    else:  # pragma: no cover - the agreement has no other format
        raise ValueError(f"unknown format {fmt}")
    return count


def write_formatted_csv(path: Path, dataset: Dataset, body: Iterable[bytes | memoryview]) -> None:
    """Write a CSV delivery whose rows come already formatted as `write_rows` formats them (UTF-8 text, the
    header added here), in a few large writes: the vectorised customs writer (`sources.synthetic.customs`)."""
    if dataset.format not in ("csv", "csv.gz"):  # pragma: no cover - only the comma-separated formats
        raise ValueError(f"no formatted writer for {dataset.format}")
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(dataset.column_names)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = gzip.GzipFile(path, "wb", compresslevel=GZIP_LEVEL, mtime=0) if dataset.format == "csv.gz" else open(path, "wb")
    with raw:
        raw.write(header.getvalue().encode("utf-8"))
        for chunk in body:
            raw.write(chunk)


# XLSX, written directly (a zip of SpreadsheetML parts, cells inline): a tenth of xlsxwriter's time, which wrote
# every register and lease snapshot cell by cell. Numbers are number cells, dates number cells in the style
# `yyyy-mm-dd`, the rest inline text (never a formula, whatever it starts with).
_SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
        f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PACKAGE}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_SPREADSHEET}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '</styleSheet>'),
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML: written as Excel's _xHHHH_


def _xml_text(value: str) -> str:
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value.translate(_XML_TEXT)


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xlsx_cell(ref: str, value: object) -> str:
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return f'<c r="{ref}" s="1"><v>{(day - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(value))}</t></is></c>'


def _write_xlsx(path: Path, sheet: str, header: list[str], rows: Iterable[dict]) -> int:
    letters = [_column_letters(i) for i in range(len(header))]
    fixed = (1980, 1, 1, 0, 0, 0)  # the same seed must give the same bytes
    count = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=GZIP_LEVEL) as book:
        def part(name: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(name, fixed)
            info.compress_type = zipfile.ZIP_DEFLATED
            return info

        for name, body in _XLSX_PARTS.items():
            book.writestr(part(name), _XML + body)
        book.writestr(part("xl/workbook.xml"), _XML + (
            f'<workbook xmlns="{_SPREADSHEET}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            f'<sheet name="{_xml_text(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        with book.open(part("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as raw, \
                io.TextIOWrapper(raw, encoding="utf-8") as text:
            text.write(f'{_XML}<worksheet xmlns="{_SPREADSHEET}"><sheetData>')
            text.write('<row r="1">' + "".join(_xlsx_cell(f"{c}1", h) for c, h in zip(letters, header)) + "</row>")
            for count, row in enumerate(rows, start=1):
                r = count + 1
                text.write(f'<row r="{r}">' + "".join(
                    _xlsx_cell(f"{c}{r}", v) for c, v in zip(letters, map(row.get, header)) if v is not None)
                    + "</row>")
            text.write("</sheetData></worksheet>")
    return count


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def file_name(dataset: Dataset, period: str, part: int | None = None) -> str:
    ext = {"csv": "csv", "csv.gz": "csv.gz", "csv-vn": "csv", "xlsx": "xlsx", "jsonl": "jsonl"}[dataset.format]
    suffix = f"_part{part}" if part is not None else ""
    return f"{dataset.name}_{period}{suffix}.{ext}"


def write_manifest(folder: Path, dataset: Dataset, period: str, delivery_id: str, extracted_at: dt.datetime,
                   files: list[WrittenFile], *, overrides: dict[str, dict] | None = None) -> Path:
    """manifest.json per README "Delivery layout"; `overrides` plants manifest defects per file."""
    entries = []
    for f in files:
        entry = {"name": f.name, "sha256": sha256_of(folder / f.name), "rows": f.rows}
        entry.update((overrides or {}).get(f.name, {}))
        entries.append(entry)
    doc = {
        "agency": dataset.agency,
        "dataset": dataset.name,
        "period": period,
        "schema_version": SCHEMA_VERSION,
        "delivery_id": delivery_id,
        "extracted_at": extracted_at.isoformat(timespec="seconds"),
        "files": entries,
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
