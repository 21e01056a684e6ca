"""The stream checks guarantee every row expectation of the GX suites, so the blocking check need not rescan them.

For each dataset, a valid generated row is mutated column by column into
values each row expectation exists to catch (blank, wrong shape, Unicode
digits, a trailing newline, out of the set, out of range, the pair reversed).
Then, on a real PostgreSQL with the real GX suite:

* what the stream passed (its canonical text, as `COPY` would land it) breaks
  no row expectation: nothing GX would flag gets past `sources.checks`;
* the same candidates written straight into raw, past the stream, break every
  row expectation at least once: the candidates are ones each expectation
  catches, so the first point proves something for every one of them;
* the stream quarantines some of each expectation's candidates under that
  expectation's check name (a quarantine reason and a GX result say the same).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from pipelines.lib.contract_artifacts import PROVEN_IN_STREAM, suite_path
from pipelines.lib.gx_validation import load_suite, validate_deliveries
from pipelines.lib.ingest import raw_table
from sources.checks import CheckContext, check_batch
from sources.contract import Dataset, all_datasets
from sources.delivery import Delivery, find_deliveries
from sources.synthetic.generator import GenerateOptions, generate

DATASETS = list(all_datasets())


@pytest.fixture(scope="module")
def base_rows(tmp_path_factory) -> dict[str, tuple[dict, CheckContext]]:
    """One valid row per dataset, as canonical text, with the context it passes in."""
    out = tmp_path_factory.mktemp("economy")
    generate(GenerateOptions(out=out, enterprises=40, years=(2024, 2024), seed=3, defects=0.0))
    found: dict[str, tuple[dict, CheckContext]] = {}
    for folder in find_deliveries(out):
        delivery = Delivery.open(folder)
        ds = delivery.dataset
        if ds.qualified in found:
            continue
        for batch in delivery.batches():
            if batch.good.num_rows:
                row = batch.good.slice(0, 1).to_pylist()[0]
                row.pop("_row_number")
                ctx = CheckContext(delivery.manifest.period, delivery.manifest.extracted_at.date())
                found[ds.qualified] = ({k: v for k, v in row.items()}, ctx)
                break
    return found


def _row_expectations(ds: Dataset) -> list[dict]:
    doc = json.loads(suite_path(ds).read_text(encoding="utf-8"))
    return [e for e in doc["expectations"] if e["meta"]["proven_in"] == PROVEN_IN_STREAM]


def _shifted(value: str | None, by: int) -> str | None:
    """`value` (an ISO date or a number) moved by `by` days or units; None when it is neither."""
    if value is None:
        return None
    try:
        return (dt.date.fromisoformat(value) + dt.timedelta(days=by)).isoformat()
    except ValueError:
        pass
    try:
        return str(int(value) + by)
    except ValueError:
        pass
    try:
        return str(float(value) + by)
    except ValueError:
        return None


def _candidates(exp: dict, base: dict) -> list[dict[str, str | None]]:
    """Changes to the base row that this expectation exists to catch (some may be valid; GX decides)."""
    kind, kw = exp["type"], exp["kwargs"]
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kw["column_A"], kw["column_B"]
        return [{a: _shifted(base.get(b), d)} for d in (0, -1, -400) if _shifted(base.get(b), d) is not None]
    col = kw["column"]
    value = base.get(col) or "0"
    if kind == "expect_column_values_to_not_be_null":
        return [{col: ""}, {col: "   "}]
    if kind == "expect_column_values_to_match_regex":
        digits = "".join(ch for ch in value if ch.isdigit()) or "123"
        arabic = "".join(chr(0x0660 + int(ch)) for ch in digits)
        fullwidth = "".join(chr(0xFF10 + int(ch)) for ch in digits)
        texts = ["x", value + "0", value[:-1] or "a", value + "\n", " " + value, value.lower(), value.upper(),
                 arabic, fullwidth, "77" + value[2:], "00" + value[2:], "98" + value[2:], "7" + value[1:],
                 value + "-1", value.replace("-", ""), "A" + value]
        return [{col: t} for t in texts]
    if kind == "expect_column_values_to_be_in_set":
        return [{col: t} for t in ("ZZ", "XYZ", value.lower(), value + " ", " " + value, value + "\n")]
    if kind == "expect_column_values_to_be_between":
        out = []  # integer text first: an integer column takes no decimals
        if "min_value" in kw:
            low = kw["min_value"]
            out += [f"{low - 1:g}", f"{low:g}", f"{low - 0.001:g}", "-0.0000001"]
        if "max_value" in kw:
            high = kw["max_value"]
            out += [f"{high + 1:g}", f"{high + 0.001:g}", f"{high + 0.000001:.7f}"]
        return [{col: t} for t in out]
    raise AssertionError(f"no candidates for {kind}: add them, or the stream's guarantee of it is untested")


def _land(pg: psycopg.Connection, ds: Dataset, delivery_id: str, rows: list[dict]) -> list[int]:
    """Write rows straight into raw (no stream); returns the row numbers PostgreSQL accepted."""
    landed = []
    columns = [c.name for c in ds.columns]
    table = raw_table(ds)
    if table.partitioned:  # raw customs keeps a partition per delivery, which the loader makes (bootstrap.py)
        pg.execute(sql.SQL("create table if not exists {} partition of {} for values in ({})").format(
            sql.Identifier(table.schema, table.partition_name(delivery_id)), table.ident, sql.Literal(delivery_id)))
    insert = sql.SQL("insert into {}.{} ({}, _delivery_id, _row_number) values ({})").format(
        sql.Identifier(ds.raw_schema), sql.Identifier(ds.name), sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * (len(columns) + 2)))
    for number, row in enumerate(rows, start=1):
        values = [None if row.get(c) is None or not str(row[c]).strip() else row[c] for c in columns]
        try:
            pg.execute(insert, (*values, delivery_id, number))
            landed.append(number)
        except psycopg.DataError:  # the column's type refuses it: COPY would too, nothing would land
            pass
    return landed


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.qualified)
def test_the_stream_quarantines_what_each_row_expectation_would_catch(ds, base_rows, warehouse, db):
    base, ctx = base_rows[ds.qualified]
    expectations = _row_expectations(ds)
    probes: list[tuple[str, dict]] = []  # (check, row)
    for exp in expectations:
        for change in _candidates(exp, base):
            probes.append((exp["meta"]["check"], {**base, **change}))
    assert probes
    names = [c.name for c in ds.columns]
    batch = pa.RecordBatch.from_pydict({n: pa.array([row.get(n) for _, row in probes], pa.string()) for n in names})
    checked = check_batch(batch, ds, ctx, first_row=1)
    reasons = {q.row_number: set(q.reasons) for q in checked.quarantined}

    # 1. What the stream passed, landed as COPY would, breaks no row expectation.
    passed = checked.good.drop_columns(["_row_number"]).to_pylist()
    assert len(_land(db, ds, "probe-stream", passed)) == len(passed)
    after_stream = validate_deliveries(warehouse, ds, ["probe-stream"], full=True)
    broken = [f for f in after_stream.failed if not f["check"].startswith("delivery:")]
    assert broken == [], f"the stream let through rows GX flags: {broken}"

    # 2. Past the stream, the candidates break every row expectation: each is tested.
    _land(db, ds, "probe-bypass", [row for _, row in probes])
    bypassed = validate_deliveries(warehouse, ds, ["probe-bypass"], full=True)
    caught = {f["check"] for f in bypassed.failed}
    untested = {e["meta"]["check"] for e in expectations} - caught
    assert not untested, f"no candidate breaks {sorted(untested)}"

    # 3. The stream has a check of the same name, and it fires on this expectation's candidates.
    named = {check for number, (check, _) in enumerate(probes, start=1) if check in reasons.get(number, ())}
    assert {e["meta"]["check"] for e in expectations} - named == set()


def test_every_committed_suite_marks_where_each_expectation_is_proven():
    for ds in DATASETS:
        doc = json.loads(Path(suite_path(ds)).read_text(encoding="utf-8"))
        assert {e["meta"]["proven_in"] for e in doc["expectations"]} == {"stream", "database"}, ds.qualified
        # Every committed expectation is run: GX's add_expectation_configuration once dropped a
        # column's `min` when the same column had a `max` (an upsert by type and column).
        assert [e.meta["check"] for e in load_suite(ds).expectations] == [e["meta"]["check"] for e in doc["expectations"]]
