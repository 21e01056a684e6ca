"""Every table and column of the public schemas, and of the load audit engineers read, carries its description
in PostgreSQL (`\\d+`), including the tables the bootstrap keeps outside dbt (warehouse/reviews.sql,
warehouse/exports.sql, warehouse/audit.sql, warehouse/builds.sql), whose comments no dbt persist_docs writes.
A bootstrapped database without a dbt build holds exactly those."""
from __future__ import annotations

DOCUMENTED_SCHEMAS = ("marts", "risk", "fis", "kpi", "audit")
BOOTSTRAP_TABLES = {"risk.flag_reviews", "risk.flag_first_seen", "fis.export_revisions",
                    "audit.deliveries", "audit.quarantine", "audit.repairs", "audit.dbt_builds"}


def _undescribed(db) -> tuple[set[str], list[str], list[str]]:
    rows = db.execute(
        """
        select n.nspname || '.' || c.relname, obj_description(c.oid, 'pg_class'),
               a.attname, col_description(c.oid, a.attnum)
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition
        """, (list(DOCUMENTED_SCHEMAS),)).fetchall()
    tables = {table for table, *_ in rows}
    no_table = sorted({table for table, comment, *_ in rows if not (comment or "").strip()})
    no_column = sorted(f"{table}.{column}" for table, _, column, comment in rows if not (comment or "").strip())
    return tables, no_table, no_column


def test_every_table_and_column_of_the_public_schemas_has_a_description(db):
    tables, no_table, no_column = _undescribed(db)
    assert BOOTSTRAP_TABLES <= tables
    assert no_table == []
    assert no_column == []


def test_descriptions_survive_a_second_bootstrap(db):
    """The bootstrap runs on every start: its `comment on` statements are idempotent."""
    from pipelines.lib.ingest import raw_tables
    from warehouse.bootstrap import bootstrap

    bootstrap(db, raw_tables())
    tables, no_table, no_column = _undescribed(db)
    assert BOOTSTRAP_TABLES <= tables and no_table == [] and no_column == []
    comment = db.execute("select col_description('risk.flag_reviews'::regclass, "
                         "(select attnum from pg_attribute where attrelid = 'risk.flag_reviews'::regclass "
                         " and attname = 'evidence_hash'))").fetchone()[0]
    assert " / " in comment  # bilingual, as every description of the warehouse
