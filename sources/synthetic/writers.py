"""Write deliveries the way agencies do: files in the agreed format plus a manifest.

Used by the generator. Rows stream to disk (CSV and JSONL row by row,
XLSX through xlsxwriter's constant-memory mode), so a month of millions of
customs lines never sits in memory.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import uuid
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
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                                   "strings_to_formulas": False})
        # Fixed creation date: the same seed must give the same bytes.
        workbook.set_properties({"created": dt.datetime(2020, 1, 1)})
        sheet = workbook.add_worksheet(dataset.sheet or dataset.name)
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, header)
        for r, row in enumerate(rows, start=1):
            for c, name in enumerate(header):
                value = row.get(name)
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, str(value))
            count += 1
        workbook.close()
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
