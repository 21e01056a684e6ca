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
