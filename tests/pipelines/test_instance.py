"""Dagster's own storage: SQLite under FDI_HOME by default, PostgreSQL with FDI_DAGSTER_STORAGE_URL."""
import uuid

import dagster as dg
import psycopg
import pytest

from pipelines.lib.instance import dagster_storage_url, prepare_dagster_home


@pytest.mark.parametrize("url, given", [
    ("postgresql://u@/d?host=/tmp/s&port=5432", "postgresql+psycopg2://u@/d?host=/tmp/s&port=5432"),
    ("postgres://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
    ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
])
def test_a_plain_postgresql_url_gets_the_driver_dagster_postgres_speaks(url, given):
    assert dagster_storage_url(url) == given


def test_a_run_is_kept_in_postgresql_given_the_plain_url_of_the_warehouse_server(pg_server, tmp_path, monkeypatch):
    # The URL as `fdi` prints it and psql takes it. Before the driver was named, SQLAlchemy 2.1 gave
    # dagster-postgres psycopg 3 and the run failed on its first event (NOTIFY with a server-side parameter).
    from warehouse.settings import Settings

    name = f"dagster_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.conninfo, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    try:
        monkeypatch.setenv("FDI_HOME", str(tmp_path))
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "unused"))
        monkeypatch.setenv("FDI_DAGSTER_STORAGE_URL", pg_server.for_database(name).url)
        prepare_dagster_home(Settings.from_env())

        @dg.asset
        def one() -> int:
            return 1

        with dg.DagsterInstance.get() as instance:
            result = dg.materialize([one], instance=instance)
            assert result.success
            assert instance.get_latest_materialization_event(dg.AssetKey("one")) is not None
        with psycopg.connect(pg_server.for_database(name).conninfo) as pg:
            assert pg.execute("select count(*) from runs where run_id = %s", (result.run_id,)).fetchone()[0] == 1
            assert pg.execute("select count(*) from event_logs where run_id = %s",
                              (result.run_id,)).fetchone()[0] > 0
    finally:
        with psycopg.connect(pg_server.conninfo, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


def _materialize_one(instance: dg.DagsterInstance) -> str:
    @dg.asset
    def one() -> int:
        return 1

    result = dg.materialize([one], instance=instance)
    assert result.success
    return result.run_id


def test_the_sqlite_event_log_keeps_its_connections_and_reads_the_runs_dagsters_default_wrote(tmp_path, monkeypatch):
    # A home made before the pooled event log (Dagster's default SQLite storage) keeps its runs: the same
    # files, read and written by the pooled storage from the next `fdi` command on.
    from pipelines.lib.dagster_event_log import PooledSqliteEventLogStorage
    from warehouse.settings import Settings

    monkeypatch.setenv("FDI_HOME", str(tmp_path))
    monkeypatch.delenv("FDI_DAGSTER_STORAGE_URL", raising=False)
    home = Settings.from_env().dagster_home
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # Dagster's defaults
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        before = _materialize_one(instance)

    prepare_dagster_home(Settings.from_env())
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert instance.get_run_by_id(before) is not None
        assert any(e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"
                   for e in instance.all_logs(before))
        engines_opened: list[str] = []
        create = storage._engine

        def counting(shard: str):
            if shard not in storage._engines:
                engines_opened.append(shard)
            return create(shard)

        monkeypatch.setattr(storage, "_engine", counting)
        after = _materialize_one(instance)
        assert len(instance.all_logs(after)) > 10
        # one engine per database for the whole run, not one per statement
        assert sorted(set(engines_opened)) == sorted(engines_opened)
        assert after in engines_opened
        latest = instance.get_latest_materialization_event(dg.AssetKey("one"))
        assert latest is not None and latest.run_id == after
