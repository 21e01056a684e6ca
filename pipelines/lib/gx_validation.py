"""Run a dataset's committed GX 1.x suite on the rows a delivery put in raw.

What is proven where (docs/ingestion.md, "Checks in the stream, GX on the result"):

* Row expectations (`meta.proven_in: stream`: not null, pattern, value set,
  range, column pair) are the contract's checks of one row's values.
  `sources.checks` runs each of them on every row, under the same name, before
  `COPY`, and a row failing one is quarantined, never loaded: they hold for
  what landed by construction, and tests/sources/test_stream_guarantees.py
  shows, expectation by expectation, that the stream quarantines every value
  GX would flag. The blocking check does not rescan them.
* Delivery expectations (`meta.proven_in: database`) are what only the landed
  table can show: the validated deliveries' rows in raw are exactly the rows
  the stream passed (their count equals audit's `rows_loaded`; their row
  numbers lie in 1..rows read and sum to those of the loaded rows). They are
  aggregates of one table, so GX computes them in one scan of those rows.

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
_ROW_NUMBER_CHECKS = frozenset({"delivery:row_number_min", "delivery:row_number_max", "delivery:row_number_sum"})


@dataclass
class SuiteOutcome:
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)  # check, unexpected_count or observed, sample values
    rows: int = 0  # rows GX counted in the validated deliveries
    full: bool = False  # whether the row expectations were rescanned too
    results: list[dict] = field(default_factory=list)  # every expectation run: check, success, observed


@cache
def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def load_suite(ds: Dataset, proven_in: str | None = None, skip: frozenset[str] = frozenset()):
    """The committed suite of `ds`; with `proven_in`, only its expectations proven there; without the `skip` checks."""
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    doc = json.loads(suite_path(ds).read_text(encoding="utf-8"))
    # Built from expectation objects, not by add_expectation_configuration: that upserts by type
    # and column, so a column's `min` expectation was silently replaced by its `max` one.
    expectations = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]).to_domain_obj()
                    for e in doc["expectations"]
                    if (proven_in is None or e["meta"].get("proven_in") == proven_in) and e["meta"]["check"] not in skip]
    suite = gx.ExpectationSuite(name=doc["name"], meta=doc.get("meta", {}), expectations=expectations)
    return suite


def delivery_parameters(pg: psycopg.Connection, delivery_ids: list[str]) -> dict[str, int]:
    """What audit says the stream loaded: the values of the delivery expectations.

    Every data row read is either loaded or quarantined (one audit.quarantine row
    each), and row numbers run 1..rows read, so the loaded row numbers sum to
    n(n+1)/2 per delivery minus the quarantined ones.
    """
    rows_loaded, rows_in, all_numbers = pg.execute(
        "select coalesce(sum(rows_loaded), 0)::bigint, coalesce(max(rows_loaded + rows_quarantined), 0)::bigint, "
        "coalesce(sum((rows_loaded + rows_quarantined) * (rows_loaded + rows_quarantined + 1) / 2), 0)::bigint "
        "from audit.deliveries where delivery_id = any(%s)", (delivery_ids,)).fetchone()
    quarantined = pg.execute("select coalesce(sum(row_number), 0)::bigint from audit.quarantine "
                             "where delivery_id = any(%s)", (delivery_ids,)).fetchone()[0]
    return {"rows_loaded": int(rows_loaded), "rows_in": int(rows_in), "row_number_sum": int(all_numbers - quarantined)}


def validate_deliveries(conn: Connection, ds: Dataset, delivery_ids: list[str], *, full: bool = False) -> SuiteOutcome:
    """Validate the raw rows of the given deliveries: the delivery expectations, or with `full` the whole suite.

    GX reads a short-lived view holding exactly those rows (`where _delivery_id =
    any(...)`, found through the BRIN index on `_delivery_id`) as a *table*
    asset. GX 1.x offers no cheaper way to a batch of one delivery: a query
    asset reads its columns by running the query and fetching every row into
    the client (+660 MiB and 2.2 s per million customs lines), and a table asset
    partitioned by column value (`PartitionerColumnValue`) first lists the
    batches with `select distinct _delivery_id` over the whole table.
    """
    if not delivery_ids:
        return SuiteOutcome(success=True, evaluated=0)
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    view = f"gx_{ds.agency}_{ds.name}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
        params = delivery_parameters(pg, delivery_ids)
        act_as(pg, LOADER)  # the short-lived view lives in audit, the loader's schema
        # DDL takes no bind parameters: the ids go in as a quoted literal.
        pg.execute(sql.SQL("create view audit.{} as select * from {}.{} where _delivery_id = any({})").format(
            sql.Identifier(view), sql.Identifier(ds.raw_schema), sql.Identifier(ds.name), sql.Literal(delivery_ids)))
        try:
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            source = context.data_sources.add_postgres("warehouse", connection_string=conn.sqlalchemy_url)
            asset = source.add_table_asset(ds.qualified, table_name=view, schema_name="audit")
            batch = asset.add_batch_definition_whole_table("deliveries").get_batch()
            # Nothing loaded: the count is the whole proof (min, max and sum of no rows are NULL).
            skip = _ROW_NUMBER_CHECKS if params["rows_loaded"] == 0 else frozenset()
            result = batch.validate(load_suite(ds, PROVEN_IN_DATABASE, skip), expectation_parameters=params)
            results = list(result.results)
            full = full or not result.success
            if full:  # the row expectations on the same rows, with sample values: what is wrong, not only that
                rows_suite = load_suite(ds, PROVEN_IN_STREAM)
                results += batch.validate(rows_suite, result_format=_DIAGNOSIS_FORMAT).results
        finally:
            pg.execute(sql.SQL("drop view if exists audit.{}").format(sql.Identifier(view)))
    return _outcome(results, full)


def _outcome(results: list, full: bool) -> SuiteOutcome:
    outcome = SuiteOutcome(success=all(r.success for r in results), evaluated=len(results), full=full)
    for r in results:
        check = r.expectation_config.meta.get("check", r.expectation_config.type)
        observed = r.result.get("observed_value", r.result.get("unexpected_count"))
        if check == "delivery:rows_loaded":
            outcome.rows = int(observed or 0)
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
