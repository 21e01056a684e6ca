"""Readers for the agreement's file formats, streamed as Arrow batches of text.

Every reader yields `pyarrow.RecordBatch`es whose columns are strings named as
in the file, empty cells as NULL. Typing and checks happen afterwards, once,
in `sources.checks`, so every format gets the same rules. Memory stays
bounded: CSV is read block by block by Arrow's C++ reader (on a thread of
its own, a few blocks ahead: `read_ahead`), XLSX and JSONL row by row into
batches of `BATCH_ROWS`.
"""
from __future__ import annotations

import codecs
import datetime as dt
import gzip
import json
import queue
import threading
import zlib
from collections.abc import Iterator
from contextlib import closing, nullcontext
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.csv as pacsv

from sources.faults import ASK_AGAIN, DeliveryFault

BATCH_ROWS = 100_000
# Extra column a reader adds: per row, the comma-separated `<column>:<check>`
# names of cells it could not carry (sources.checks quarantines those rows).
DEFECTS = "_defects"
# Small enough that the loader's COPY of one block overlaps the checks of the next.
CSV_BLOCK_BYTES = 4 << 20
# Blocks the reading thread may decode ahead of the checks: enough to keep both
# busy, few enough that memory stays flat (each is about CSV_BLOCK_BYTES of text).
READ_AHEAD_BLOCKS = 2
# The longest the checks wait for the next block: far above decoding 4 MiB on a
# loaded machine, far below "the run never returns" (the loader's bound).
READ_AHEAD_WAIT_SECONDS = 600

T = TypeVar("T")


def read_header(path: Path, fmt: str) -> list[str]:
    """The column names of a CSV-family file, checked for UTF-8."""
    opener = gzip.open if fmt == "csv.gz" else open
    try:
        with opener(path, "rb") as handle:
            line = handle.readline()
    except (EOFError, OSError, zlib.error) as exc:
        raise DeliveryFault(f"{path.name}: the gzip stream is truncated or corrupt ({exc}); "
                            f"{ASK_AGAIN}") from exc
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
    """CSV blocks as text batches; a line with too many or too few fields stays in
    its place as an all-NULL row marked `row:field_count`, so only that row is
    quarantined (with its line as `_line`) and row numbers stay true."""
    compression = "gzip" if fmt == "csv.gz" else None
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    invalid: list[tuple[int | None, str]] = []

    def on_invalid(row) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    try:
        stream = pa.input_stream(str(path), compression=compression)
        # One parsing thread: Arrow reports an invalid row's line number only then.
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=";" if fmt == "csv-vn" else ",", newlines_in_values=False,
                                             invalid_row_handler=on_invalid),
            convert_options=convert,
        )
        next_line = 2  # line 1 is the header
        for batch in reader:
            if invalid:
                batch = _with_invalid_rows(batch, invalid, next_line)
                invalid.clear()
            else:
                batch = _with_defects(batch)
            next_line += batch.num_rows
            yield batch
        if invalid:  # lines after the last block
            yield _with_invalid_rows(_with_defects(None, header), invalid, next_line)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise _not_utf8(path) from exc
        if "straddl" in str(exc):
            raise DeliveryFault(
                f"{path.name}: one line is longer than {CSV_BLOCK_BYTES >> 20} MiB, far beyond any field of the "
                "agreement (an unclosed quote or a damaged file?); ask the agency to re-export it.") from exc
        raise DeliveryFault(f"{path.name} is not a well-formed CSV file ({str(exc).splitlines()[0]}); "
                            f"{ASK_AGAIN}") from exc
    except OSError as exc:
        if compression:
            raise DeliveryFault(f"{path.name}: the gzip stream is truncated or corrupt ({exc}); "
                            f"{ASK_AGAIN}") from exc
        raise


def read_ahead(items: Iterator[T], depth: int = READ_AHEAD_BLOCKS) -> Iterator[T]:
    """`items` in order, produced on a thread of their own up to `depth` ahead.

    Arrow's CSV reader decompresses and splits a block without holding the
    GIL, so block N+1 is read while the caller checks block N (the machine's
    second core; the checks are Arrow compute, which releases it too). What
    the reader raises is raised here, in its place in the stream, after the
    items before it; a caller that stops early (a fault further on) stops and
    closes the reader.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                handoff.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with closing(items) if hasattr(items, "close") else nullcontext():
                for item in items:
                    if not hand((item, None)):
                        return
            hand((_END, None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            hand((None, exc))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item, exc = handoff.get(timeout=READ_AHEAD_WAIT_SECONDS)
            except queue.Empty:
                raise TimeoutError(f"the reader gave no block within {READ_AHEAD_WAIT_SECONDS} s") from None
            if exc is not None:
                raise exc
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join(READ_AHEAD_WAIT_SECONDS)


_END = object()


def _with_defects(batch: pa.RecordBatch | None, header: list[str] | None = None) -> pa.RecordBatch:
    """`batch` plus the reader's `_defects` and `_line` columns (all NULL); an empty batch of `header` if None."""
    if batch is None:
        batch = pa.RecordBatch.from_arrays([pa.array([], pa.string()) for _ in header or []],
                                           names=list(header or []))
    n = batch.num_rows
    return pa.RecordBatch.from_arrays([*batch.columns, pa.nulls(n, pa.string()), pa.nulls(n, pa.string())],
                                      names=[*batch.schema.names, DEFECTS, "_line"])


def _with_invalid_rows(batch: pa.RecordBatch, invalid: list[tuple[int | None, str]], first_line: int) -> pa.RecordBatch:
    good = _with_defects(batch) if DEFECTS not in batch.schema.names else batch
    names = good.schema.names
    n_bad = len(invalid)
    bad = pa.table({name: pa.nulls(n_bad, pa.string()) for name in names})
    bad = bad.set_column(names.index(DEFECTS), DEFECTS, pa.array(["row:field_count"] * n_bad, pa.string()))
    bad = bad.set_column(names.index("_line"), "_line", pa.array([text[:1000] for _, text in invalid], pa.string()))
    total = good.num_rows + n_bad
    # Put each invalid line back where it stood (its line number); unknown or
    # off-range numbers (blank lines shift them) go to the end of the block.
    slot_of: list[int | None] = []
    taken: set[int] = set()
    for number, _ in invalid:
        p = number - first_line if number else -1
        ok = 0 <= p < total and p not in taken
        slot_of.append(p if ok else None)
        if ok:
            taken.add(p)
    free = [p for p in range(total - 1, -1, -1) if p not in taken]
    slot_of = [p if p is not None else free.pop(0) for p in slot_of]
    for p in slot_of:
        taken.add(p)
    order = [-1] * total
    for i, p in enumerate(slot_of):
        order[p] = good.num_rows + i
    remaining = iter(range(good.num_rows))
    order = [o if o >= 0 else next(remaining) for o in order]
    combined = pa.concat_tables([pa.Table.from_batches([good]), bad]).combine_chunks()
    return combined.take(pa.array(order)).to_batches(max_chunksize=total)[0]


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
    while header and not header[-1]:
        header.pop()  # the sheet's used range reaches past the last named column
    width = len(header)

    def cells() -> Iterator[list[str | None]]:
        for raw in rows:
            values = [_cell_text(v) for v in raw[:width]]
            surplus = any(_cell_text(v) is not None for v in raw[width:])
            if all(v is None for v in values) and not surplus:
                continue  # Excel's trailing blank rows are not data
            # A value right of the last named column has no column: the row is quarantined, not cut.
            yield values + [None] * (width - len(values)) + ["row:field_count" if surplus else None]

    return header, _batches([*header, DEFECTS], cells())


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
            # Decimals stay as written: no float rounding, and 1e400 is not turned into inf.
            obj = json.loads(text, parse_float=str)
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
            cells = [_cell_text(rec.get(name)) for name in columns]
            defects = []
            for i, cell in enumerate(cells):
                # JSON can spell a lone surrogate ("\ud800"), which no UTF-8 text holds:
                # the cell is kept escaped and the row quarantined as `<column>:unencodable`.
                if cell is not None and not _encodable(cell):
                    cells[i] = cell.encode("utf-8", "backslashreplace").decode("utf-8")
                    defects.append(f"{columns[i]}:unencodable")
            yield [*cells, ",".join(defects) or None]

    return header, _batches([*columns, DEFECTS], rows())


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
