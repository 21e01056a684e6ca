"""Issue #13, least privilege: the loader writes raw_* and audit only, dbt its own schemas only, the
review log and the link decisions are safe from every role the pipeline acts as (owned by fdi_reviews, which
neither can become; engineers may only add decisions), and the FIS export ledger is the exporter's: dbt reads
it and can never rewrite what was sent."""
from __future__ import annotations

import psycopg
import pytest

from pipelines.lib.ingest import ingest_delivery
from tests.hostile.deliveries import employment, employment_line

STAGES = ("fdi_loader", "fdi_builder")


def as_role(db, role: str, query: str):
    with db.transaction():
        db.execute(f"set local role {role}")
        return db.execute(query).fetchall()


def refused(db, role: str, query: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        with db.transaction():
            db.execute(f"set local role {role}")
            db.execute(query)
    return str(caught.value)


def test_review_log_belongs_to_a_role_no_stage_can_become(db):
    owners = dict(db.execute("select tablename, tableowner from pg_tables where schemaname = 'risk'").fetchall())
    assert owners["flag_reviews"] == "fdi_reviews" and owners["flag_first_seen"] == "fdi_reviews"
    assert db.execute("select nspowner::regrole::text from pg_namespace where nspname = 'risk'").fetchone()[0] \
        == "fdi_reviews"
    for role in STAGES:
        assert not db.execute("select pg_has_role(%s, 'fdi_reviews', 'MEMBER')", (role,)).fetchone()[0]


@pytest.mark.parametrize("role", STAGES)
@pytest.mark.parametrize("attack", [
    "delete from risk.flag_reviews",
    "update risk.flag_reviews set status = 'dismissed'",
    "truncate risk.flag_reviews",
    "drop table risk.flag_reviews",
    "alter table risk.flag_reviews disable trigger flag_reviews_no_update",
    "set session_replication_role = replica",
    "alter table risk.flag_reviews owner to fdi_builder",
])
def test_no_pipeline_role_can_rewrite_or_remove_reviews(db, role, attack):
    refused(db, role, attack)


def test_link_decisions_belong_to_the_review_owner_and_dbt_only_reads_them(db):
    assert db.execute("select tableowner from pg_tables where schemaname = 'linkage' and tablename = 'decisions'"
                      ).fetchone()[0] == "fdi_reviews"
    assert db.execute("select nspowner::regrole::text from pg_namespace where nspname = 'linkage'").fetchone()[0] \
        == "fdi_reviews"
    assert as_role(db, "fdi_builder", "select count(*) from linkage.decisions") == [(0,)]
    assert "permission denied" in refused(db, "fdi_builder", "create table linkage.not_dbts (x int)")


@pytest.mark.parametrize("role", (*STAGES, "fdi_engineer"))
@pytest.mark.parametrize("attack", [
    "delete from linkage.decisions",
    "update linkage.decisions set enterprise_id = null",
    "truncate linkage.decisions",
    "drop table linkage.decisions",
    "alter table linkage.decisions disable trigger decisions_no_update",
    "alter table linkage.decisions owner to fdi_builder",
])
def test_no_pipeline_role_nor_engineer_can_rewrite_or_remove_link_decisions(db, role, attack):
    refused(db, role, attack)


def test_export_ledger_belongs_to_the_exporter_and_dbt_only_reads_it(db):
    assert db.execute("select tableowner from pg_tables where schemaname = 'fis' and tablename = 'export_revisions'"
                      ).fetchone()[0] == "fdi_exporter"
    assert db.execute("select nspowner::regrole::text from pg_namespace where nspname = 'fis'").fetchone()[0] \
        == "fdi_exporter"
    assert as_role(db, "fdi_builder", "select count(*) from fis.export_revisions") == [(0,)]
    with db.transaction():
        db.execute("set local role fdi_exporter")
        db.execute("insert into fis.export_revisions (report_period, revision, exported_at, row_count, content_sha256)"
                   " values ('2024-Q1', 1, now(), 3, 'abc')")
    for attack in ("insert into fis.export_revisions (report_period, revision, exported_at, row_count, "
                   "content_sha256) values ('2024-Q1', 2, now(), 3, 'x')",
                   "update fis.export_revisions set revision = 0",
                   "delete from fis.export_revisions",
                   "truncate fis.export_revisions",
                   "drop table fis.export_revisions"):
        refused(db, "fdi_builder", attack)
    # dbt still builds its own tables in the schema, and analysts read them
    with db.transaction():
        db.execute("set local role fdi_builder")
        db.execute("create table fis.probe as select count(*) as n from fis.export_revisions")
    assert as_role(db, "fdi_analyst", "select n from fis.probe") == [(1,)]


def test_loader_writes_raw_and_audit_only(db, tmp_path):
    as_role(db, "fdi_loader", "select 1")
    refused(db, "fdi_loader", "create table marts.probe (x int)")
    refused(db, "fdi_loader", "create table risk.probe (x int)")
    # and it loads a delivery end to end as itself
    db.execute("set role fdi_loader")
    try:
        assert ingest_delivery(db, employment(tmp_path, [employment_line()], "d-as-loader")).status == "loaded"
    finally:
        db.execute("reset role")
    assert db.execute("select count(*) from raw_labour.employment").fetchone()[0] == 1


def test_builder_builds_its_schemas_reads_raw_and_cannot_write_raw_or_audit(db):
    with db.transaction():
        db.execute("set local role fdi_builder")
        db.execute("create table marts.probe as select count(*) as n from raw_labour.employment")
        db.execute("create table risk.probe as select count(*) as n from audit.deliveries")
        db.execute("insert into risk.flag_first_seen (flag_id, rule_code) values ('f1', 'TP01')")
        db.execute("select count(*) from risk.flag_reviews")
    refused(db, "fdi_builder", "delete from raw_labour.employment")
    refused(db, "fdi_builder", "insert into audit.deliveries (delivery_id, agency, dataset, period, status) "
                               "values ('x', 'a', 'b', 'c', 'loaded')")
    refused(db, "fdi_builder", "drop table raw_labour.employment")
    # people still read what dbt builds (default privileges for the owner role)
    assert as_role(db, "fdi_analyst", "select n from marts.probe") == [(0,)]
    assert as_role(db, "fdi_monitor", "select n from risk.probe") == [(0,)]
