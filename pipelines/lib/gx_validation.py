"""Run a dataset's committed GX 1.x suite on the rows a delivery put in raw.

This is the second line of defence: quarantine is decided in the stream
(`sources.checks`, every row, no 200-row cap), and the suite then proves on
the database that what landed in `raw_<agency>` satisfies the contract. A
failure means a check in the stream let something through, so the asset check
that calls this is blocking.
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from functools import cache

import psycopg
from psycopg import sql

from pipelines.lib.contract_artifacts import suite_path
from sources.contract import Dataset
from warehouse.bootstrap import LOADER, act_as
from warehouse.server import Connection


@dataclass
class SuiteOutcome:
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)  # check, unexpected_count, sample values
    rows: int = 0


@cache
def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def load_suite(ds: Dataset):
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    doc = json.loads(suite_path(ds).read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(name=doc["name"], meta=doc.get("meta", {}))
    for exp in doc["expectations"]:
        suite.add_expectation_configuration(
            ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"], meta=exp.get("meta", {})))
    return suite


def validate_deliveries(conn: Connection, ds: Dataset, delivery_ids: list[str]) -> SuiteOutcome:
    """Validate the raw rows of the given deliveries against the dataset's suite.

    GX reads a short-lived view holding exactly those rows as a *table* asset:
    a query asset would pull the whole result into the client (about 570 MiB
    per million customs lines), while a table asset's metrics run in SQL.
    """
    if not delivery_ids:
        return SuiteOutcome(success=True, evaluated=0)
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    view = f"gx_{ds.agency}_{ds.name}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conn.conninfo, autocommit=True) as pg:
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
            # BASIC: counts and a 20-value sample; SUMMARY would fetch far more per expectation.
            result = batch.validate(load_suite(ds), result_format="BASIC")
        finally:
            pg.execute(sql.SQL("drop view if exists audit.{}").format(sql.Identifier(view)))
    failed = []
    rows = 0
    for r in result.results:
        rows = max(rows, int(r.result.get("element_count") or 0))
        if not r.success:
            failed.append({
                "check": r.expectation_config.meta.get("check", r.expectation_config.type),
                "unexpected_count": r.result.get("unexpected_count"),
                "sample": [str(v) for v in (r.result.get("partial_unexpected_list") or [])[:5]],
            })
    return SuiteOutcome(success=bool(result.success), evaluated=len(result.results), failed=failed, rows=rows)


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
