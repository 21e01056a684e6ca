"""Raw customs lines, one partition per delivery (warehouse/bootstrap.py, PARTITIONED_BY_DELIVERY)."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from psycopg import sql

from pipelines.lib.ingest import raw_table
from sources.contract import dataset
from sources.synthetic.writers import VN_TZ
from warehouse.bootstrap import ensure_raw_table
from warehouse.loader import DeliveryMeta, load_delivery

CUSTOMS = dataset("customs", "declarations")
TABLE = raw_table(CUSTOMS)


def _meta(delivery_id: str, period: str) -> DeliveryMeta:
    return DeliveryMeta(delivery_id, "customs", "declarations", period,
                        dt.datetime(2024, 2, 2, tzinfo=VN_TZ), 2, "/tmp/x", None)


def _lines(numbers: list[str]) -> pa.Table:
    cols = {c: pa.array([None] * len(numbers), pa.string()) for c in CUSTOMS.column_names}
    cols["declaration_no"] = pa.array(numbers)
    cols["_row_number"] = pa.array(range(1, len(numbers) + 1), pa.int64())
    return pa.table(cols)


def _load(db, delivery_id: str, period: str, numbers: list[str]) -> None:
    with load_delivery(db, TABLE, _meta(delivery_id, period)) as load:
        load.copy(_lines(numbers))
        load.finish()


def _partitions(db) -> dict[str, list[tuple[str, str]]]:
    """{partition name: [(delivery id, declaration no), ...]} of raw customs."""
    names = [r[0] for r in db.execute(
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'raw_customs.declarations'::regclass order by 1")]
    return {name: db.execute(sql.SQL("select _delivery_id, declaration_no from {} order by 2").format(
        sql.Identifier("raw_customs", name))).fetchall() for name in names}


def test_each_delivery_is_a_partition_and_a_reload_or_a_failure_touches_no_other(db):
    assert db.execute("select relkind from pg_class where oid = 'raw_customs.declarations'::regclass"
                      ).fetchone()[0] == "p"
    _load(db, "d-jan", "2024-01", ["J1", "J2"])
    _load(db, "d-feb", "2024-02", ["F1"])
    assert _partitions(db) == {"declarations__d-feb": [("d-feb", "F1")],
                               "declarations__d-jan": [("d-jan", "J1"), ("d-jan", "J2")]}
    # a forced reload replaces its own partition's rows, through the table
    _load(db, "d-jan", "2024-01", ["J3"])
    assert _partitions(db) == {"declarations__d-feb": [("d-feb", "F1")], "declarations__d-jan": [("d-jan", "J3")]}
    # a delivery that fails in the middle leaves no partition and no row
    with pytest.raises(RuntimeError, match="crash"):
        with load_delivery(db, TABLE, _meta("d-mar", "2024-03")) as load:
            load.copy(_lines(["M1"]))
            raise RuntimeError("crash after the first batch")
    assert set(_partitions(db)) == {"declarations__d-feb", "declarations__d-jan"}
    assert db.execute("select to_regclass('raw_customs.\"declarations__d-mar\"')").fetchone()[0] is None
    # a read of one delivery reads its partition only
    plan = "\n".join(r[0] for r in db.execute(
        "explain select * from raw_customs.declarations where _delivery_id = 'd-feb'"))
    assert "declarations__d-feb" in plan and "declarations__d-jan" not in plan


def test_a_long_delivery_id_gets_a_partition_name_postgresql_keeps_whole():
    long_id = "a" * 36 + "-" + "b" * 40
    name = TABLE.partition_name(long_id)
    assert len(name) <= 63 and name.startswith("declarations__")
    assert name != TABLE.partition_name(long_id + "c")
    assert TABLE.partition_name("odd id'") != "declarations__odd id'"


def test_a_plain_table_of_an_earlier_version_moves_to_partitions_whole(db):
    """The upgrade: the same rows, one partition per delivery, idempotent; the dbt view on the old table goes
    with it (the next build makes it again)."""
    db.execute("drop table raw_customs.declarations cascade")
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in CUSTOMS.column_names)
    db.execute(sql.SQL("create table raw_customs.declarations ({}, _delivery_id text not null "
                       "default current_setting('fdi.delivery_id'), _row_number bigint not null)").format(columns))
    db.execute("create index declarations__delivery_brin on raw_customs.declarations using brin (_delivery_id)")
    db.execute("insert into raw_customs.declarations (declaration_no, _delivery_id, _row_number) values "
               "('J1', 'd-jan', 1), ('J2', 'd-jan', 2), ('F1', 'd-feb', 1)")
    db.execute("create view public.reads_raw_customs as select * from raw_customs.declarations")
    with db.transaction():
        ensure_raw_table(db, TABLE)
    assert db.execute("select relkind from pg_class where oid = 'raw_customs.declarations'::regclass"
                      ).fetchone()[0] == "p"
    assert _partitions(db) == {"declarations__d-feb": [("d-feb", "F1")],
                               "declarations__d-jan": [("d-jan", "J1"), ("d-jan", "J2")]}
    assert db.execute("select to_regclass('raw_customs.declarations__unpartitioned'), "
                      "to_regclass('public.reads_raw_customs')").fetchone() == (None, None)
    with db.transaction():
        ensure_raw_table(db, TABLE)  # once moved, nothing moves again
    assert len(_partitions(db)) == 2
    _load(db, "d-mar", "2024-03", ["M1"])  # and new deliveries land beside the moved ones
    assert _partitions(db)["declarations__d-mar"] == [("d-mar", "M1")]


def test_the_loader_role_owns_the_partitions_it_makes_and_the_table(db):
    """The pipeline loads as fdi_loader (roles.yaml): attaching a partition takes the table's owner."""
    from warehouse.bootstrap import LOADER, act_as

    assert act_as(db, LOADER)
    _load(db, "d-jan", "2024-01", ["J1"])
    owners = db.execute("select c.relname, pg_get_userbyid(c.relowner) from pg_class c "
                        "join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'raw_customs' "
                        "and c.relname like 'declarations%%' order by 1").fetchall()
    assert owners == [("declarations", LOADER), ("declarations__d-jan", LOADER)]


def _compiled(inline: str) -> str:
    """What dbt compiles `inline` to on the test's warehouse (the environment points at it)."""
    import os
    import subprocess

    from pipelines.lib.dbt_project import dbt_env, dbt_executable
    from warehouse.server import connect_info
    from warehouse.settings import DBT_PROJECT_DIR, Settings

    settings = Settings.from_env()
    env = {**os.environ, **dbt_env(connect_info(settings), settings)}
    done = subprocess.run([dbt_executable(), "compile", "--quiet", "--inline", inline], cwd=DBT_PROJECT_DIR,
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    return done.stdout


def test_the_build_samples_a_new_partition_and_the_table_itself_not_every_partition(warehouse, db):
    """The on-run-start analyze (macros/statistics.sql): a new delivery's partition is sampled, with the
    table's own statistics (`only`); partitions that did not change are not sampled again."""
    # a session reports its counts a moment after its transactions: flushed at once here, so the analyze
    # below comes after the load's counts, as it does after a month's load
    _load(db, "d-jan", "2024-01", ["J1"])
    db.execute("select pg_stat_force_next_flush()")
    db.execute("analyze")
    _load(db, "d-feb", "2024-02", ["F1"])
    db.execute("select pg_stat_force_next_flush()")
    statement = _compiled("{{ analyze_changed_sources() }}")
    assert 'raw_customs."declarations__d-feb"' in statement
    assert "only raw_customs.declarations" in statement
    assert "d-jan" not in statement
    db.execute("analyze")
    db.execute("select pg_stat_force_next_flush()")
    assert "no source table changed" in _compiled("{{ analyze_changed_sources() }}")
