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
    assert roles == {"fdi_engineer", "fdi_analyst", "fdi_monitor", "fdi_loader", "fdi_builder", "fdi_reviews"}
    extensions = {r[0] for r in db.execute("select extname from pg_extension")}
    assert {"pg_trgm", "unaccent"} <= extensions
