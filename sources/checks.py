"""Row-level checks and safe repairs, computed a whole batch at a time.

Each check is a named boolean mask over the batch (Arrow compute, C++), so a
million customs lines are checked without a Python loop per row. Python only
touches distinct tax codes (a few thousand per month, validated with
python-stdnum) and the rows that fail, to record them.

Check names are `<column>:<check>` (`tax_code:check_digit`, `hs_code:pattern`,
`lease_end:gt_lease_start`); the GX suites in `expectations/` carry the same
names, so a quarantine reason and a GX result say the same thing.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.contract import Column, Dataset
from sources.taxcode import TaxCodeVerdict, classify_tax_code

_INTEGER = r"^[+-]?\d+$"
_DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_VN_DATE = r"^(\d{2})/(\d{2})/(\d{4})$"
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
_OPS = {">": ("gt", pc.greater), ">=": ("ge", pc.greater_equal),
        "<": ("lt", pc.less), "<=": ("le", pc.less_equal)}
# Cells a spreadsheet would run as a formula (OWASP "CSV injection": =, +, -, @,
# and the tab and carriage return that some spreadsheets skip before one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# PostgreSQL bigint, the raw type of an integer column (PostgreSQL manual 8.1.1).
_BIGINT_MAX = "9223372036854775807"
_BIGINT_MIN_ABS = "9223372036854775808"
# A decimal loads as numeric but every model computes with float8 (about
# 1e308); no amount, rate or area in the agreement comes within 1e290 of it.
_DECIMAL_MAX_EXPONENT = 300
# The reader marks cells it could not carry as text in this column (see formats).
DEFECTS = "_defects"


@cache
def country_codes() -> tuple[str, ...]:
    import pycountry

    return tuple(sorted(c.alpha_2 for c in pycountry.countries))


@cache
def currency_codes() -> tuple[str, ...]:
    import pycountry

    return tuple(sorted(c.alpha_3 for c in pycountry.currencies))


@dataclass(frozen=True)
class CheckContext:
    """What a row is checked against besides its own values."""

    period: str  # the delivery's period, YYYY or YYYY-MM
    extracted_at: dt.date  # no event can postdate the extract
    vn_locale: bool = False  # csv-vn: 1.234.567,89 and dd/mm/yyyy


@dataclass
class Repair:
    row_number: int
    column: str
    before: str | None
    after: str | None
    rule: str


@dataclass
class QuarantinedRow:
    row_number: int
    reasons: list[str]
    original: dict[str, str | None]

    def original_json(self) -> str:
        # jsonb refuses \u0000 and UTF-8 cannot carry a lone surrogate: keep both
        # visible as escapes, so the row is in quarantine as the agency sent it.
        return json.dumps({k: printable(v) for k, v in self.original.items()}, ensure_ascii=False)


def printable(value: str | None) -> str | None:
    """Text PostgreSQL accepts: NUL as the two characters \\0, a lone surrogate as \\udXXX."""
    if not isinstance(value, str):
        return value
    return value.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class CheckedBatch:
    """A batch after checks: what loads, what is quarantined, what was repaired."""

    good: pa.Table  # contract columns as canonical text, plus _row_number
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    rows_in: int = 0

    def rows(self) -> list[dict]:
        """The loadable rows as dicts of typed Python values (for tests and small tools)."""
        return self.good.to_pylist()


def _false_where_null(mask: pa.Array) -> pa.Array:
    return pc.fill_null(mask, False) if mask.null_count else mask


def _text_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """(start offset of each value and the end of the last, the data bytes) of a
    `pa.string()` array, without copying; None for an array with no value at all.

    Lets a check ask one question of all a column's bytes at once (any NUL?
    anything not ASCII?) and run Arrow's per-value kernel only when the answer
    says it could matter.
    """
    if arr.null_count == len(arr):
        return None
    _, offsets, data = arr.buffers()
    starts = np.frombuffer(offsets, np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    return starts, np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)


def _values_bytes(arr: pa.Array) -> np.ndarray:
    """The data bytes of the values of a string array (those of NULL slots too, which only widens a pre-check)."""
    found = _text_bytes(arr)
    if found is None:
        return np.zeros(0, np.uint8)
    offsets, data = found
    return data[offsets[0]:offsets[-1]]


def _valid(arr: pa.Array) -> np.ndarray:
    if not arr.null_count:
        return np.ones(len(arr), bool)
    return pc.is_valid(arr).to_numpy(zero_copy_only=False)


def _rows(arr: pa.Array, rows: np.ndarray, fn) -> np.ndarray:
    """`fn` (a boolean Arrow kernel) run only on the rows where `rows` is true, False elsewhere."""
    out = np.zeros(len(arr), bool)
    idx = np.flatnonzero(rows)
    if len(idx):
        out[idx] = _false_where_null(fn(arr.take(pa.array(idx)))).to_numpy(zero_copy_only=False)
    return out


def _has_nul(arr: pa.Array) -> pa.Array | None:
    """Rows holding a NUL byte, or None when the column's bytes hold none (the usual case, one pass)."""
    if arr.type == pa.string() and _values_bytes(arr).all():
        return None
    return pc.match_substring(arr, "\x00")


class _Batch:
    """Working state of one batch: canonical text, typed values, failure masks."""

    def __init__(self, batch: pa.RecordBatch, dataset: Dataset, ctx: CheckContext, first_row: int):
        self.dataset = dataset
        self.ctx = ctx
        self.n = batch.num_rows
        self.first_row = first_row
        self.original = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
        self.text: dict[str, pa.Array] = {}
        self.typed: dict[str, pa.Array] = {}
        self.failures: dict[str, pa.Array] = {}
        self.repairs: list[Repair] = []

    def fail(self, check: str, mask: pa.Array) -> None:
        mask = _false_where_null(mask)
        if pc.any(mask).as_py():
            previous = self.failures.get(check)
            self.failures[check] = mask if previous is None else pc.or_(previous, mask)

    def record_repairs(self, column: str, before: pa.Array, after: pa.Array, rule: str | pa.Array) -> None:
        changed = _false_where_null(pc.not_equal(before, after))
        idx = np.flatnonzero(changed.to_numpy(zero_copy_only=False))
        if not len(idx):
            return
        take = pa.array(idx)
        b = pc.take(before, take).to_pylist()
        a = pc.take(after, take).to_pylist()
        rules = pc.take(rule, take).to_pylist() if isinstance(rule, pa.Array) else [rule] * len(idx)
        self.repairs.extend(
            Repair(self.first_row + int(i), column, bv, av, r) for i, bv, av, r in zip(idx, b, a, rules)
        )


_EMPTY = pa.scalar("", pa.string())
_NULL_TEXT = pa.scalar(None, pa.string())


def _strip_empty(arr: pa.Array) -> pa.Array:
    """Blank cells are NULL ("Empty cells are NULL"); other text stays as delivered.

    Tests for blanks without building a trimmed copy of every column, and
    rebuilds the column only when it has one: 3-4x cheaper on a 1M-line file.
    """
    blank = pc.or_(pc.equal(arr, _EMPTY), pc.utf8_is_space(arr))
    if not pc.any(blank).as_py():
        return arr
    return pc.if_else(blank, _NULL_TEXT, arr)


def _vn_number(arr: pa.Array) -> pa.Array:
    """`1.234.567,89` -> `1234567.89` (README, format csv-vn)."""
    return pc.replace_substring(pc.replace_substring(arr, ".", ""), ",", ".")


def _check_tax_code(b: _Batch, col: Column, arr: pa.Array) -> pa.Array:
    # Validate each distinct code once; customs repeats a trader on every line.
    distinct = pc.unique(arr).drop_null()
    verdicts: list[TaxCodeVerdict] = [classify_tax_code(v) for v in distinct.to_pylist()]
    index = pc.index_in(arr, value_set=distinct)
    canon = pc.take(pa.array([v.canonical for v in verdicts], pa.string()), index)
    problem = pc.take(pa.array([v.problem for v in verdicts], pa.string()), index)
    rule = pc.take(pa.array([v.repair_rule for v in verdicts], pa.string()), index)
    for name in {v.problem for v in verdicts if v.problem}:
        b.fail(f"{col.name}:{name}", pc.equal(problem, name))
    repaired = pc.and_(pc.is_valid(rule), pc.is_null(problem))
    b.record_repairs(col.name, pc.if_else(repaired, arr, None), pc.if_else(repaired, canon, None), rule)
    out = pc.if_else(pc.is_null(problem), canon, arr)
    b.typed[col.name] = out
    return out


def _distinct(arr: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(distinct values, index of each row's value among them).

    Agency columns repeat heavily (a month has ~31 dates, a trader's name is on
    every line), so costly checks run once per distinct value and map back.
    """
    distinct = pc.unique(arr).drop_null()
    return distinct, pc.index_in(arr, value_set=distinct)


def _check_date(b: _Batch, col: Column, arr: pa.Array) -> pa.Array:
    if b.ctx.vn_locale:
        arr = pc.replace_substring_regex(arr, _VN_DATE, r"\3-\2-\1")
    distinct, index = _distinct(arr)
    shaped = pc.match_substring_regex(distinct, _ISO_DATE)
    candidate = pc.if_else(shaped, distinct, None)
    parsed = pc.strptime(candidate, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime is lenient (2024-02-30 becomes 03-01): require a round trip.
    ok_distinct = _false_where_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), candidate))
    typed_distinct = pc.cast(pc.if_else(ok_distinct, parsed, None), pa.date32())
    ok = _false_where_null(pc.take(ok_distinct, index))
    b.fail(f"{col.name}:type", pc.and_(pc.is_valid(arr), pc.invert(ok)))
    # Year 0000 parses and round-trips, but PostgreSQL has no year 0 (1 BC is year 1 before Christ).
    year_zero = _false_where_null(pc.and_(ok, pc.starts_with(arr, "0000-")))
    b.fail(f"{col.name}:range", year_zero)
    ok = pc.and_(ok, pc.invert(year_zero))
    b.typed[col.name] = pc.take(typed_distinct, index)
    return pc.if_else(ok, arr, None)


def _check_number(b: _Batch, col: Column, arr: pa.Array) -> pa.Array:
    if b.ctx.vn_locale:
        arr = _vn_number(arr)
    integer = col.type == "integer"
    valid = _valid(arr)
    if integer:
        # Unsigned ASCII digits is _INTEGER without its sign (one cheap pass);
        # the regex decides the rest (a sign, or no integer at all).
        ok = _false_where_null(pc.ascii_is_decimal(arr)).to_numpy(zero_copy_only=False)
        ok = ok | _rows(arr, valid & ~ok, lambda a: pc.match_substring_regex(a, _INTEGER))
    else:
        ok = _false_where_null(pc.match_substring_regex(arr, _DECIMAL)).to_numpy(zero_copy_only=False)
    # A value PostgreSQL or float8 cannot hold is quarantined here, by name,
    # instead of failing the whole COPY (issue #13). Only a long value, or a
    # decimal with an exponent, can be one: the exact test runs when the
    # column holds such a value.
    if _could_be_out_of_range(arr, ok, integer):
        out_of_range = (_integer_out_of_range if integer else _decimal_out_of_range)(arr, pa.array(ok))
        out_of_range = out_of_range.to_numpy(zero_copy_only=False)
        b.fail(f"{col.name}:range", pa.array(out_of_range))
        ok = ok & ~out_of_range
    every_value_ok = bool((ok == valid).all())
    number_text = arr if every_value_ok else pc.if_else(pa.array(ok), arr, None)
    if integer:
        typed = pc.cast(number_text, pa.float64(), safe=False)
    else:
        typed = pc.cast(number_text, pa.float64())
    if not every_value_ok:
        b.fail(f"{col.name}:type", pa.array(valid & ~ok))
    b.typed[col.name] = typed
    if col.min is not None:
        b.fail(f"{col.name}:min", pc.less(typed, col.min))
    if col.max is not None:
        b.fail(f"{col.name}:max", pc.greater(typed, col.max))
    if col.min_exclusive is not None:
        b.fail(f"{col.name}:min_exclusive", pc.less_equal(typed, col.min_exclusive))
    # Canonical text: "+5" and "5.0" load as numbers; keep the agency's digits.
    if _first_bytes(number_text, ord("+")):
        return pc.utf8_ltrim(number_text, characters="+")
    return number_text


def _could_be_out_of_range(arr: pa.Array, ok: np.ndarray, integer: bool) -> bool:
    """Whether a value of the column might be beyond bigint (19 digits or more)
    or float8 (an exponent, or over 60 characters); False proves none is."""
    found = _text_bytes(arr) if arr.type == pa.string() else None
    if found is None:
        return bool(ok.any())
    offsets, data = found
    longest = int(np.diff(offsets)[ok].max(initial=0))  # bytes: never fewer than characters
    if integer:
        return longest >= 19
    values = data[offsets[0]:offsets[-1]]
    return longest > 60 or bool(((values | 0x20) == ord("e")).any())


def _first_bytes(arr: pa.Array, byte: int) -> bool:
    """Whether a value of a string array begins with `byte` (an ASCII character)."""
    found = _text_bytes(arr) if arr.type == pa.string() else None
    if found is None:
        return arr.null_count < len(arr)
    offsets, data = found
    starts = offsets[:-1][np.diff(offsets) > 0]
    return bool((data[starts] == byte).any())


def _integer_out_of_range(arr: pa.Array, ok: pa.Array) -> pa.Array:
    digits = pc.utf8_ltrim(pc.if_else(ok, arr, None), characters="+-0")
    length = pc.utf8_length(digits)
    negative = pc.starts_with(arr, "-")
    limit = pc.if_else(negative, pa.scalar(_BIGINT_MIN_ABS), pa.scalar(_BIGINT_MAX))
    # Equal-length digit strings compare as numbers.
    too_big = pc.or_(pc.greater(length, 19), pc.and_(pc.equal(length, 19), pc.greater(digits, limit)))
    return _false_where_null(too_big)


def _decimal_out_of_range(arr: pa.Array, ok: pa.Array) -> pa.Array:
    import decimal

    # Only a value with an exponent or many digits can be out of range: check those few in Python.
    suspect = _false_where_null(pc.and_(ok, pc.or_(pc.match_substring_regex(arr, "[eE]"),
                                                   pc.greater(pc.utf8_length(arr), 60))))
    if not pc.any(suspect).as_py():
        return pa.array(np.zeros(len(arr), dtype=bool))
    distinct, index = _distinct(pc.if_else(suspect, arr, None))
    bad = []
    for text in distinct.to_pylist():
        value = decimal.Decimal(text)
        bad.append(value != 0 and abs(value.adjusted()) > _DECIMAL_MAX_EXPONENT)
    return _false_where_null(pc.take(pa.array(bad, pa.bool_()), index))


def _check_boolean(b: _Batch, col: Column, arr: pa.Array) -> pa.Array:
    low = pc.utf8_lower(arr)
    is_true = pc.is_in(low, value_set=pa.array(_TRUE))
    is_false = pc.is_in(low, value_set=pa.array(_FALSE))
    ok = pc.or_(is_true, is_false)
    b.fail(f"{col.name}:type", pc.and_(pc.is_valid(arr), pc.invert(ok)))
    out = pc.if_else(is_true, "true", pc.if_else(is_false, "false", pa.scalar(None, pa.string())))
    b.typed[col.name] = pc.equal(out, "true")
    return out


def _check_in_set(b: _Batch, col: Column, arr: pa.Array, values: tuple[str, ...], check: str) -> pa.Array:
    b.fail(f"{col.name}:{check}", pc.and_(pc.is_valid(arr), pc.invert(pc.is_in(arr, value_set=pa.array(values)))))
    b.typed[col.name] = arr
    return arr


def _check_text(b: _Batch, col: Column, arr: pa.Array) -> pa.Array:
    # README "Known defects" 2: NFD arrives beside NFC; store NFC, record it.
    # ASCII text is NFC already: only a column with other bytes is normalised.
    nfc = arr
    if arr.type != pa.string() or _values_bytes(arr).max(initial=0) >= 0x80:
        distinct, index = _distinct(arr)
        nfc_distinct = pc.utf8_normalize(distinct, form="NFC")
        if pc.any(_false_where_null(pc.not_equal(distinct, nfc_distinct))).as_py():
            nfc = pc.take(nfc_distinct, index)
            b.record_repairs(col.name, arr, nfc, "unicode_nfc")
    if col.pattern:
        b.fail(f"{col.name}:pattern", pc.invert(pc.match_substring_regex(nfc, col.pattern)))
    b.typed[col.name] = nfc
    return nfc


def _check_column(b: _Batch, col: Column, arr: pa.Array) -> pa.Array:
    if col.type == "tax_code":
        return _check_tax_code(b, col, arr)
    if col.type == "date":
        return _check_date(b, col, arr)
    if col.type in ("integer", "decimal"):
        return _check_number(b, col, arr)
    if col.type == "boolean":
        return _check_boolean(b, col, arr)
    if col.type == "enum":
        return _check_in_set(b, col, arr, col.values, "enum")
    if col.type == "country":
        return _check_in_set(b, col, arr, country_codes(), "country")
    if col.type == "currency":
        return _check_in_set(b, col, arr, currency_codes(), "currency")
    return _check_text(b, col, arr)


def _period_bounds(period: str) -> tuple[dt.date, dt.date]:
    if len(period) == 4:
        year = int(period)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    year, month = map(int, period.split("-"))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, 1), nxt - dt.timedelta(days=1)


def _check_row_rules(b: _Batch, col: Column) -> None:
    typed = b.typed.get(col.name)
    if typed is None:
        return
    comparison = col.comparison
    if comparison:
        op, other = comparison
        name, fn = _OPS[op]
        if other in b.typed:
            # A rule that cannot be evaluated (the other side NULL) does not fail.
            b.fail(f"{col.name}:{name}_{other}", pc.invert(fn(typed, b.typed[other])))
        return
    if not col.rule:
        return
    first, last = _period_bounds(b.ctx.period)
    rule = col.rule.strip()
    if rule == "equals the delivery period":
        expected = b.ctx.period
        value = pc.cast(pc.cast(typed, pa.int64()), pa.string()) if col.type == "integer" else typed
        b.fail(f"{col.name}:period", pc.not_equal(value, expected))
    elif rule == "within the delivery period":
        b.fail(f"{col.name}:period", pc.or_(pc.less(typed, pa.scalar(first, pa.date32())),
                                            pc.greater(typed, pa.scalar(last, pa.date32()))))
    elif rule == "last day of the delivery period":
        b.fail(f"{col.name}:period", pc.not_equal(typed, pa.scalar(last, pa.date32())))


def check_batch(batch: pa.RecordBatch, dataset: Dataset, ctx: CheckContext, first_row: int) -> CheckedBatch:
    """Check one batch of a delivery; `first_row` is its first data row's number (1-based)."""
    b = _Batch(batch, dataset, ctx, first_row)
    canonical: dict[str, pa.Array] = {}
    for col in dataset.columns:
        if col.name in b.original:
            # PostgreSQL text cannot hold NUL (U+0000); the row is quarantined, not the COPY failed.
            nul = _has_nul(b.original[col.name])
            if nul is not None:
                b.fail(f"{col.name}:nul", nul)
            arr = _strip_empty(b.original[col.name])
        else:  # an optional column the agency left out: all NULL
            arr = pa.nulls(b.n, pa.string())
        canonical[col.name] = _check_column(b, col, arr)
        if col.required:
            b.fail(f"{col.name}:required", pc.is_null(arr))
        if col.not_after_extraction and col.type == "date":
            b.fail(f"{col.name}:not_future", pc.greater(b.typed[col.name], pa.scalar(ctx.extracted_at, pa.date32())))
        if col.hs_chapter:
            chapter = pc.utf8_slice_codeunits(canonical[col.name], 0, 2)
            used = pc.and_(pc.and_(pc.greater_equal(chapter, "01"), pc.less_equal(chapter, "97")),
                           pc.not_equal(chapter, "77"))
            b.fail(f"{col.name}:hs_chapter", pc.invert(used))
    for col in dataset.columns:
        _check_row_rules(b, col)
    if "_unparsed" in b.original:  # a JSONL line that is not a JSON object
        b.fail("row:json", pc.is_valid(b.original["_unparsed"]))
    defects = b.original.pop(DEFECTS, None)
    reader_reasons: set[str] = set()
    if defects is not None:  # cells or lines the reader could not carry as text, by reason
        wrapped = pc.binary_join_element_wise(",", defects, ",", "")
        reader_reasons = {r for v in pc.unique(defects).drop_null().to_pylist() for r in v.split(",")}
        for reason in reader_reasons:
            b.fail(reason, pc.match_substring(wrapped, f",{reason},"))

    row_numbers = pa.array(np.arange(first_row, first_row + b.n, dtype=np.int64))
    bad = None
    for mask in b.failures.values():
        bad = mask if bad is None else pc.or_(bad, mask)
    quarantined: list[QuarantinedRow] = []
    table = pa.table({**canonical, "_row_number": row_numbers})
    if bad is not None:
        bad_idx = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
        take = pa.array(bad_idx)
        originals = pa.table({k: v for k, v in b.original.items()}).take(take).to_pylist()
        failing = {check: mask.to_numpy(zero_copy_only=False) for check, mask in b.failures.items()}
        for i, original in zip(bad_idx, originals):
            reasons = sorted(check for check, mask in failing.items() if mask[i])
            # A line the reader could not split has no values to check: name only its defect.
            reasons = [r for r in reasons if r in reader_reasons] or reasons
            if original.get("_line") is None:
                original.pop("_line", None)
            quarantined.append(QuarantinedRow(first_row + int(i), reasons, original))
        table = table.filter(pc.invert(bad))
        bad_rows = {q.row_number for q in quarantined}
        # A quarantined row keeps its original values; its repairs never happened.
        b.repairs = [r for r in b.repairs if r.row_number not in bad_rows]
    return CheckedBatch(good=table, quarantined=quarantined, repairs=b.repairs, rows_in=b.n)


def neutralise_formula(value: str | None) -> str | None:
    """Make a text cell safe to open in a spreadsheet (prefix a quote)."""
    if value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value
