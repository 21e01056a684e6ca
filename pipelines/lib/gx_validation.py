"""Run a dataset's committed GX 1.x suite on the rows a delivery put in raw.

What is proven where (docs/ingestion.md, "The GX check: what is proven where"):

* Row expectations (`meta.proven_in: stream`: not null, pattern, value set,
  range, column pair) are the contract's checks of one row's values.
  `sources.checks` runs each of them on every row, under the same name, before
  `COPY`, and a row failing one is quarantined, never loaded: they hold for
  what landed by construction, and tests/pipelines/test_stream_guarantees.py
  shows, expectation by expectation, that the stream quarantines every value
  GX would flag. The blocking check does not rescan them.
* Delivery expectations (`meta.proven_in: database`) are what only the landed
  table can show: each validated delivery's rows in raw are exactly the rows
  the stream passed (their count equals audit's `rows_loaded`; their row
  numbers lie in 1..rows read and sum to those of the loaded rows). One SQL
  query summarises the deliveries' rows in one scan (one row per delivery,
  beside what audit says was loaded) and GX judges that summary.

The blocking check runs the delivery expectations; when one fails, or with
`full=True`, the whole suite runs on the same rows, so a failure names the
row checks that the landed rows break, with sample values.
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from functools import cache

import psycopg
from psycopg import sql

from pipelines.lib.contract_artifacts import PROVEN_IN_DATABASE, PROVEN_IN_STREAM, suite_path
from sources.contract import Dataset
from warehouse.bootstrap import LOADER, act_as
from warehouse.server import Connection

# GX's BASIC result: counts plus up to 20 sample values. Each sample query of an
# expectation that passes reads every row (`where not <check> limit 20`), so the
# full suite fetches samples only where it is run to explain a failure.
_DIAGNOSIS_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 20}


@dataclass
class SuiteOutcome:
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)  # check, unexpected_count or observed, sample values
    rows: int = 0  # rows landed in raw for the validated deliveries (the summary GX judged)
    full: bool = False  # whether the row expectations were rescanned too
    results: list[dict] = field(default_factory=list)  # every expectation run: check, success, observed


@cache
def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def load_suite(ds: Dataset, proven_in: str | None = None):
    """The committed suite of `ds`; with `proven_in`, only its expectations proven there."""
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    doc = json.loads(suite_path(ds).read_text(encoding="utf-8"))
    # Built from expectation objects, not by add_expectation_configuration: that upserts by type
    # and column, so a column's `min` expectation was silently replaced by its `max` one.
    expectations = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]).to_domain_obj()
                    for e in doc["expectations"]
                    if proven_in is None or e["meta"].get("proven_in") == proven_in]
    suite = gx.ExpectationSuite(name=doc["name"], meta=doc.get("meta", {}), expectations=expectations)
    return suite


_SUMMARY = """
    create table audit.{summary} as
    select d.delivery_id,
           coalesce(r.rows_landed, 0) as rows_landed, d.rows_loaded,
           d.rows_loaded + d.rows_quarantined as rows_read,
           r.row_number_min, r.row_number_max,
           coalesce(r.row_number_sum, 0) as row_number_sum,
           (d.rows_loaded + d.rows_quarantined) * (d.rows_loaded + d.rows_quarantined + 1) / 2
               - coalesce(q.quarantined_sum, 0) as row_number_sum_expected
    from audit.deliveries d
    left join (select _delivery_id, count(*) as rows_landed, sum(_row_number) as row_number_sum,
                      min(_row_number) as row_number_min, max(_row_number) as row_number_max
               from {raw} where _delivery_id = any({ids}) group by 1) r on r._delivery_id = d.delivery_id
    left join (select delivery_id, sum(row_number) as quarantined_sum from audit.quarantine
               where delivery_id = any({ids}) group by 1) q on q.delivery_id = d.delivery_id
    where d.delivery_id = any({ids})
"""


def summarise_deliveries(pg: psycopg.Connection, ds: Dataset, summary: str, delivery_ids: list[str]) -> int:
    """Write the delivery summary the delivery expectations read (one scan of raw); returns the rows landed.

    Every data row read is either loaded or quarantined (one audit.quarantine row
    each), and row numbers run 1..rows read, so the loaded row numbers of a
    delivery sum to n(n+1)/2 minus the quarantined ones.
    """
    ids = sql.Literal(delivery_ids)  # DDL takes no bind parameters: the ids go in as a quoted literal
    with pg.transaction():
        # The planner never picks the BRIN index on _delivery_id by itself: it prices a block-range
        # index by the column's correlation with the table's physical order, and delivery ids are
        # uuids, so that correlation is about 0 although each delivery's rows lie together. Left to
        # itself it scans all of raw to summarise one delivery: 1.4 s against 0.15 s through the
        # index for a month of customs among 3 M lines (5,000 enterprises, two years), growing with
        # the years kept. The query reads raw through that index or not at all. Raw customs has no
        # such index: each delivery is a partition of its own, which the literal ids prune to.
        pg.execute("set local enable_seqscan = off")
        pg.execute(sql.SQL(_SUMMARY).format(summary=sql.Identifier(summary), ids=ids,
                                            raw=sql.SQL("{}.{}").format(sql.Identifier(ds.raw_schema),
                                                                        sql.Identifier(ds.name))))
    return int(pg.execute(sql.SQL("select coalesce(sum(rows_landed), 0) from audit.{}").format(
        sql.Identifier(summary))).fetchone()[0])


def validate_deliveries(conn: Connection, ds: Dataset, delivery_ids: list[str], *, full: bool = False) -> SuiteOutcome:
    """Validate the raw rows of the given deliveries: the delivery expectations, or with `full` the whole suite.

    Both read only those deliveries' rows (`where _delivery_id = any(...)`): the
    delivery expectations through the summary, which reads raw through the BRIN
    index on `_delivery_id` (`summarise_deliveries`), the row expectations (when
    rescanned: a failed summary or `full`) through a short-lived view, which GX
    reads as a *table* asset on its own connection, where the planner may still
    scan all of raw to find them. GX 1.x offers no
    cheaper way to a batch of one delivery: a query
    asset reads its columns by running the query and fetching every row into
    the client (+660 MiB and 2.2 s per million customs lines), and a table asset
    partitioned by column value (`PartitionerColumnValue`) first lists the
    batches with `select distinct _delivery_id` over the whole table.
    """
    if not delivery_ids:
        return SuiteOutcome(success=True, evaluated=0)
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    name = f"gx_{ds.agency}_{ds.name}_{uuid.uuid4().hex[:12]}"
    view, summary = name, f"{name}_summary"
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        act_as(pg, LOADER)  # the short-lived view and summary live in audit, the loader's schema
        pg.execute(sql.SQL("create view audit.{} as select * from {}.{} where _delivery_id = any({})").format(
            sql.Identifier(view), sql.Identifier(ds.raw_schema), sql.Identifier(ds.name), sql.Literal(delivery_ids)))
        try:
            rows = summarise_deliveries(pg, ds, summary, delivery_ids)
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            source = context.data_sources.add_postgres("warehouse", connection_string=conn.sqlalchemy_url)
            deliveries = source.add_table_asset(f"{ds.qualified}.deliveries", table_name=summary, schema_name="audit")
            result = deliveries.add_batch_definition_whole_table("summary").get_batch().validate(
                load_suite(ds, PROVEN_IN_DATABASE), result_format=_DIAGNOSIS_FORMAT)
            results = list(result.results)
            full = full or not result.success
            if full:  # the row expectations on the rows themselves, with sample values: what is wrong, not only that
                rows_asset = source.add_table_asset(ds.qualified, table_name=view, schema_name="audit")
                results += rows_asset.add_batch_definition_whole_table("rows").get_batch().validate(
                    load_suite(ds, PROVEN_IN_STREAM), result_format=_DIAGNOSIS_FORMAT).results
        finally:
            pg.execute(sql.SQL("drop table if exists audit.{}").format(sql.Identifier(summary)))
            pg.execute(sql.SQL("drop view if exists audit.{}").format(sql.Identifier(view)))
    return _outcome(results, full, rows)


def _outcome(results: list, full: bool, rows: int) -> SuiteOutcome:
    outcome = SuiteOutcome(success=all(r.success for r in results), evaluated=len(results), full=full, rows=rows)
    for r in results:
        check = r.expectation_config.meta.get("check", r.expectation_config.type)
        observed = r.result.get("observed_value", r.result.get("unexpected_count"))
        outcome.results.append({"check": check, "success": bool(r.success), "observed": observed})
        if not r.success:
            outcome.failed.append({
                "check": check,
                "unexpected_count": r.result.get("unexpected_count", observed),
                "sample": [str(v) for v in (r.result.get("partial_unexpected_list") or [])[:5]],
            })
    return outcome


def pending_validation(conn: Connection, ds: Dataset) -> list[tuple[str, int]]:
    """(delivery_id, rows loaded) of every delivery of `ds` in force whose rows no suite run has passed."""
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        return [(d, int(n or 0)) for d, n in pg.execute(
            "select delivery_id, rows_loaded from audit.deliveries where agency = %s and dataset = %s "
            "and status = 'loaded' and validated_at is null order by period, delivery_id",
            (ds.agency, ds.name)).fetchall()]


def mark_validated(conn: Connection, delivery_ids: list[str]) -> None:
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        act_as(pg, LOADER)
        pg.execute("update audit.deliveries set validated_at = now() where delivery_id = any(%s)", (delivery_ids,))
