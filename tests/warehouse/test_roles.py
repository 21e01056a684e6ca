"""Grants follow warehouse/roles.yaml and contracts/warehouse.md."""
from __future__ import annotations

import psycopg
import pytest


def _as(db, role: str, query: str):
    with db.transaction():
        db.execute(f"set local role {role}")
        return db.execute(query).fetchall()


def test_analyst_reads_marts_but_not_raw_or_audit(db):
    db.execute("create table marts.probe as select 1 as x")
    assert _as(db, "fdi_analyst", "select x from marts.probe") == [(1,)]
    for table in ("raw_registry.projects", "audit.deliveries"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _as(db, "fdi_analyst", f"select * from {table}")


def test_engineer_reads_raw_and_audit(db):
    assert _as(db, "fdi_engineer", "select count(*) from raw_registry.projects") == [(0,)]
    assert _as(db, "fdi_engineer", "select count(*) from audit.quarantine") == [(0,)]


def test_monitor_is_denied_raw_and_fis(db):
    db.execute("create table fis.probe as select 1 as x")
    for table in ("raw_customs.declarations", "fis.probe"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _as(db, "fdi_monitor", f"select * from {table}")


def test_bootstrap_is_idempotent(db):
    from pipelines.lib.ingest import raw_tables
    from warehouse.bootstrap import bootstrap

    bootstrap(db, raw_tables())
    bootstrap(db, raw_tables())
    roles = {r[0] for r in db.execute("select rolname from pg_roles where rolname like 'fdi_%'")}
    assert roles == {"fdi_engineer", "fdi_analyst", "fdi_monitor", "fdi_loader", "fdi_builder", "fdi_reviews",
                     "fdi_exporter"}
    extensions = {r[0] for r in db.execute("select extname from pg_extension")}
    assert {"pg_trgm", "unaccent"} <= extensions


def test_bootstrap_takes_over_the_export_ledger_an_older_build_created(db):
    """Before the bootstrap created it, a dbt pre-hook did: the ledger and the fis schema were fdi_builder's.
    Bootstrapping that warehouse keeps the ledger's rows and hands it to the exporter."""
    from pipelines.lib.ingest import raw_tables
    from warehouse.bootstrap import bootstrap

    db.execute("insert into fis.export_revisions (report_period, revision, exported_at, row_count, content_sha256) "
               "values ('2024-Q1', 1, now(), 3, 'abc')")
    db.execute("alter schema fis owner to fdi_builder")
    db.execute("alter table fis.export_revisions owner to fdi_builder")
    bootstrap(db, raw_tables())
    assert db.execute("select tableowner from pg_tables where schemaname = 'fis' and tablename = 'export_revisions'"
                      ).fetchone()[0] == "fdi_exporter"
    assert db.execute("select nspowner::regrole::text from pg_namespace where nspname = 'fis'").fetchone()[0] \
        == "fdi_exporter"
    assert db.execute("select count(*) from fis.export_revisions").fetchone()[0] == 1
    assert _as(db, "fdi_analyst", "select revision from fis.export_revisions") == [(1,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(db, "fdi_builder", "delete from fis.export_revisions")
