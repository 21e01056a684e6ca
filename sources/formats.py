"""Readers for the agreement's file formats, streamed as Arrow batches of text.

Every reader yields `pyarrow.RecordBatch`es whose columns are strings named as
in the file, empty cells as NULL. Typing and checks happen afterwards, once,
in `sources.checks`, so every format gets the same rules. Memory stays
bounded: CSV is read block by block by Arrow's C++ reader, XLSX and JSONL
row by row into batches of `BATCH_ROWS`.
"""
from __future__ import annotations

import codecs
import datetime as dt
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from sources.faults import DeliveryFault

BATCH_ROWS = 100_000
# Small enough that the loader's COPY of one block overlaps the checks of the next.
CSV_BLOCK_BYTES = 4 << 20


def read_header(path: Path, fmt: str) -> list[str]:
    """The column names of a CSV-family file, checked for UTF-8."""
    opener = gzip.open if fmt == "csv.gz" else open
    try:
        with opener(path, "rb") as handle:
            line = handle.readline()
    except (EOFError, OSError, zlib.error) as exc:
        raise DeliveryFault(f"{path.name}: the gzip stream is truncated or corrupt ({exc}).") from exc
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path) from exc
    delimiter = ";" if fmt == "csv-vn" else ","
    import csv

    return next(csv.reader([text.rstrip("\r\n")], delimiter=delimiter), [])


def _not_utf8(path: Path) -> DeliveryFault:
    return DeliveryFault(
        f"{path.name} is not UTF-8 (a legacy 8-bit encoding such as Windows-1258 or TCVN3?); "
        "ask the agency to re-export it as UTF-8."
    )


def read_csv(path: Path, fmt: str, header: list[str]) -> Iterator[pa.RecordBatch]:
    compression = "gzip" if fmt == "csv.gz" else None
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    try:
        stream = pa.input_stream(str(path), compression=compression)
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=";" if fmt == "csv-vn" else ",", newlines_in_values=False),
            convert_options=convert,
        )
        yield from reader
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise _not_utf8(path) from exc
        raise DeliveryFault(f"{path.name} is not a well-formed CSV file ({str(exc).splitlines()[0]}).") from exc
    except OSError as exc:
        if compression:
            raise DeliveryFault(f"{path.name}: the gzip stream is truncated or corrupt ({exc}).") from exc
        raise


def _cell_text(value: object) -> str | None:
    """An XLSX or JSON cell as the text it stands for."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Excel stores every number as a float: 201234567.0 is the tax code
        # 201234567 (leading zero dropped), not a decimal.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _batches(header: list[str], rows: Iterator[list[str | None]]) -> Iterator[pa.RecordBatch]:
    buffer: list[list[str | None]] = []
    schema = pa.schema([(name, pa.string()) for name in header])

    def flush() -> pa.RecordBatch:
        columns = list(zip(*buffer)) if buffer else [[] for _ in header]
        return pa.RecordBatch.from_arrays([pa.array(col, pa.string()) for col in columns], schema=schema)

    for row in rows:
        buffer.append(row)
        if len(buffer) >= BATCH_ROWS:
            yield flush()
            buffer = []
    if buffer:
        yield flush()


def read_xlsx_header_and_rows(path: Path, sheet: str) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise DeliveryFault(f"{path.name} is not a readable XLSX workbook ({exc}).") from exc
    if sheet not in workbook.sheet_names:
        raise DeliveryFault(
            f"{path.name} has no sheet named {sheet!r} (sheets: {', '.join(workbook.sheet_names)})."
        )
    rows = workbook.get_sheet_by_name(sheet).iter_rows()
    first = next(rows, None)
    header = [str(c).strip() for c in first] if first else []
    width = len(header)

    def cells() -> Iterator[list[str | None]]:
        for raw in rows:
            values = [_cell_text(v) for v in raw[:width]]
            if all(v is None for v in values):
                continue  # Excel's trailing blank rows are not data
            yield values + [None] * (width - len(values))

    return header, _batches(header, cells())


def read_jsonl(path: Path) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """JSONL: the header is the union of keys of the first batch of objects."""
    try:
        with open(path, "rb") as handle:
            raw_lines = handle.read().splitlines()
    except OSError as exc:  # pragma: no cover - verified to exist before
        raise DeliveryFault(f"{path.name} cannot be read ({exc}).") from exc
    decoder = codecs.getincrementaldecoder("utf-8")()
    records: list[dict | None] = []
    for raw in raw_lines:
        if not raw.strip():
            continue
        try:
            text = decoder.decode(raw, final=True)
        except UnicodeDecodeError as exc:
            raise _not_utf8(path) from exc
        try:
            obj = json.loads(text)
            records.append(obj if isinstance(obj, dict) else {"_unparsed": text})
        except json.JSONDecodeError:
            records.append({"_unparsed": text})
    header: list[str] = []
    for rec in records:
        for key in rec:
            if key not in header and key != "_unparsed":
                header.append(key)
    has_unparsed = any("_unparsed" in rec for rec in records)
    columns = header + (["_unparsed"] if has_unparsed else [])

    def rows() -> Iterator[list[str | None]]:
        for rec in records:
            yield [_cell_text(rec.get(name)) for name in columns]

    return header, _batches(columns, rows())
