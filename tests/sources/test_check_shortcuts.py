"""The checks' shortcuts decide exactly as the per-value kernels they skip.

`sources.checks` asks a column's bytes one question at once (any NUL? only
ASCII? any value long enough, or with an exponent, to be out of range? only
unsigned digits?) and runs the exact per-value kernel (match_substring, NFC,
the range tests, the integer regex) only where the answer says it could
matter. Each test compares the shortcut with that kernel on values chosen to
sit on the edge, so a shortcut wider or narrower than the kernel fails. The
read-ahead thread of the CSV reader is tested here too.
"""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sources import checks, formats
from sources.checks import CheckContext, check_batch
from sources.contract import dataset
from sources.faults import DeliveryFault

NUMBER_TEXTS = [
    "0", "5", "+5", "-5", "007", "+-5", "-+5", "++5", "--5", "+", "-", "", " ", " 5", "5 ", "5\n", "\n5", "5\r",
    "5.", ".5", "5.5", "+.5", "-.5", "+5.", ".", "..5", "5..", "5.5.5", "1.2.3", "1,5", "1e5", "1E5", "1e+5",
    "1e-5", "1.5e10", ".5e1", "5.e1", "e5", "1e", "1e+", "1.5e1.5", "inf", "nan", "Infinity", "0x10",
    "１２３", "١٢٣", "12٣", "5\x00", "\x005", "5\u00a0", "1_000", "9" * 19, "9" * 25, "-" + "9" * 19,
    "+" + "0" * 30 + "1", "1" + "0" * 70, "1" + "0" * 301,
    "0." + "0" * 400 + "1", "1e400", "1e-400", "-1e300", "1.5e-301", "12345678901234567890",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "٠", "5\u200b", "\u20005",
]


def _arrays() -> list[pa.Array]:
    values = [*NUMBER_TEXTS, None]
    whole = pa.array(values, pa.string())
    # Also a slice (an offset into the buffers) and an array whose NULL slots are not empty.
    sliced = pa.array(["x", *values, "y"], pa.string()).slice(1, len(values))
    return [whole, sliced]


def _old_number_check(arr: pa.Array, integer: bool) -> dict[str, list[bool]]:
    """The number check as it was before the shortcuts: regex, range on every row."""
    ok = pc.fill_null(pc.match_substring_regex(arr, checks._INTEGER if integer else checks._DECIMAL), False)
    rng = checks._integer_out_of_range(arr, ok) if integer else checks._decimal_out_of_range(arr, ok)
    ok = pc.and_(ok, pc.invert(rng))
    typed = pc.cast(pc.if_else(ok, arr, None), pa.float64(), safe=not integer)
    return {"range": rng.to_pylist(), "type": pc.and_(pc.is_valid(arr), pc.invert(ok)).to_pylist(),
            "text": pc.if_else(ok, pc.utf8_ltrim(arr, characters="+"), None).to_pylist(), "typed": typed.to_pylist()}


@pytest.mark.parametrize("column", ["line_no", "quantity"])
@pytest.mark.parametrize("only", [None, "5", "+5", "1e5", "9" * 19, "1" + "0" * 70, "1" + "0" * 301, "x"])
def test_number_check_quarantines_and_canonicalises_as_before(column, only):
    """Every edge value at once, and each beside plain numbers only (where the shortcuts skip the exact tests)."""
    ds = dataset("customs", "declarations")
    col = next(c for c in ds.columns if c.name == column)
    arrays = _arrays() if only is None else [pa.array(["12", None, only, "0.5", "7"], pa.string())]
    for arr in arrays:
        b = checks._Batch(pa.record_batch([arr], names=[column]), ds, CheckContext("2024-03", dt.date(2024, 4, 5)), 1)
        text = checks._check_number(b, col, arr)
        old = _old_number_check(arr, col.type == "integer")
        for check in ("range", "type"):
            got = b.failures.get(f"{column}:{check}")
            got = [False] * len(arr) if got is None else got.to_pylist()
            assert got == old[check], f"{column}:{check}"
        assert text.to_pylist() == old["text"]
        assert b.typed[column].to_pylist() == old["typed"]


def test_nul_is_found_in_any_value_and_only_there():
    for values in (["a", "b\x00c", None], ["\x00", "x"], ["x", None, "y\x00"]):
        arr = pa.array(values, pa.string())
        assert checks._has_nul(arr).to_pylist() == pc.match_substring(arr, "\x00").to_pylist()
    assert checks._has_nul(pa.array(["a", None, "Đ"], pa.string())) is None
    assert checks._has_nul(pa.nulls(3, pa.string())) is None
    # A NUL outside a slice's values is not in the column.
    assert checks._has_nul(pa.array(["\x00", "a", "b"], pa.string()).slice(1)) is None


def test_text_is_normalised_to_nfc_only_where_not_ascii():
    ds = dataset("customs", "declarations")
    col = next(c for c in ds.columns if c.name == "goods_description")
    nfd = "Đ\u1ed9ng c\u01a1".replace("\u1ed9", "o\u0323\u0302")  # "Động cơ" decomposed
    ctx = CheckContext("2024-03", dt.date(2024, 4, 5))
    for values, repaired in ((["Dong co", "ABC"], 0), ([nfd, "ABC", "Động cơ"], 1)):
        arr = pa.array(values, pa.string())
        b = checks._Batch(pa.record_batch([arr], names=[col.name]), ds, ctx, 1)
        out = checks._check_text(b, col, arr)
        assert out.to_pylist() == pc.utf8_normalize(arr, form="NFC").to_pylist()
        assert len(b.repairs) == repaired


def test_check_batch_names_each_failure_as_before():
    """One batch through every shortcut at once: the quarantine reasons are the checks' names."""
    ds = dataset("customs", "declarations")
    row = {"declaration_no": "124030000001", "line_no": "1", "registered_on": "2024-03-04", "flow": "IM",
           "regime_code": "A12", "tax_code": "0200109332", "trader_name": "CONG TY A", "partner_name": "B",
           "partner_country": "KR", "origin_country": "KR", "hs_code": "85423100", "goods_description": "Động cơ",
           "quantity": "1200", "unit": "PCE", "invoice_currency": "USD", "invoice_value": "2160.5",
           "incoterms": "CIF", "exchange_rate": "24300.0", "customs_value_vnd": "52500150",
           "import_duty_vnd": None, "vat_vnd": None, "customs_office": "03CE"}
    bad = {"line_no": "１", "quantity": "1e400", "invoice_value": " ", "trader_name": "A\x00B",
           "customs_value_vnd": "9223372036854775808", "exchange_rate": "+24300", "vat_vnd": "5\n"}
    rows = [row] + [{**row, column: value} for column, value in bad.items()]
    batch = pa.RecordBatch.from_pylist(rows, schema=pa.schema([(c, pa.string()) for c in row]))
    checked = check_batch(batch, ds, CheckContext("2024-03", dt.date(2024, 4, 5)), 1)
    reasons = {q.row_number: q.reasons for q in checked.quarantined}
    assert reasons == {2: ["line_no:type"], 3: ["quantity:range", "quantity:type"],
                       4: ["invoice_value:required"], 5: ["trader_name:nul"],
                       6: ["customs_value_vnd:range", "customs_value_vnd:type"], 8: ["vat_vnd:type"]}
    good = checked.good.to_pylist()
    assert [r["_row_number"] for r in good] == [1, 7]
    assert good[1]["exchange_rate"] == "24300"  # the sign dropped, the digits kept


def test_read_ahead_keeps_order_raises_in_place_and_stops_the_reader():
    def items():
        yield from (1, 2, 3)
        raise DeliveryFault("block 4 is damaged")

    seen = []
    with pytest.raises(DeliveryFault, match="block 4"):
        for item in formats.read_ahead(items()):
            seen.append(item)
    assert seen == [1, 2, 3]

    closed = []

    def endless():
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.append(True)

    stream = formats.read_ahead(endless(), depth=2)
    assert [next(stream) for _ in range(5)] == [1, 2, 3, 4, 5]
    stream.close()  # the caller stopped (a fault further on): the reader thread ends and closes its file
    assert closed == [True]

