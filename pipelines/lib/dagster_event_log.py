"""Dagster's SQLite event log, with its connections kept open between events.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine and opens and closes a connection for every
statement it runs, so that no process holds a run's file open. Closing the last connection to a WAL-mode
database checkpoints it, and storing one event touches the run's database and the index database several
times: about 27 ms an event here. A dbt build reports 700-800 events (the planned materializations and
checks before it starts, then a materialization or a check result per node), so a build with nothing new
spent 7 s writing its plan before dbt started and about as much again beside dbt, on the same two cores.

This subclass keeps one engine per database, with a pool that keeps its connection open, for the run
databases most recently written and the index database. Everything else is Dagster's: the same files,
schema, migrations and locking (SQLite's own, shared with the UI and the daemon reading the same files).
`prepare_dagster_home` names it in dagster.yaml; the PostgreSQL storage (FDI_DAGSTER_STORAGE_URL) is
dagster-postgres's, unchanged.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

# The index database and the run databases written last; a long-lived process (the UI, the daemon) reads
# many runs, and each engine holds a file open.
KEPT_ENGINES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Mapping[str, Any]) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = self._engines[shard] = create_engine(
                self.conn_string_for_shard(shard), pool_size=1, max_overflow=4,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            while len(self._engines) > KEPT_ENGINES:
                oldest = next(s for s in self._engines if s != INDEX_SHARD_NAME)
                self._engines.pop(oldest).dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # as Dagster's: one statement at a time per storage, a database initialised on first use
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, table_name))

    def _close_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()  # Dagster's wipe deletes the run databases' files
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()
