"""Dagster resources. They read the settings when a run starts, never at import."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import psycopg

from warehouse.bootstrap import LOADER, act_as, bootstrap
from warehouse.server import Connection, connect_info
from warehouse.settings import Settings

_bootstrapped: set[str] = set()
_lock = threading.Lock()


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: the embedded PostgreSQL under FDI_HOME, or FDI_DATABASE_URL."""

    def settings(self) -> Settings:
        return Settings.from_env()

    def connection(self) -> Connection:
        """Start (embedded) or reach the server, and bootstrap it once per process."""
        from pipelines.lib.ingest import raw_tables

        conn = connect_info(self.settings())
        with _lock:
            if conn.conninfo not in _bootstrapped:
                with psycopg.connect(conn.conninfo, autocommit=True) as pg:
                    bootstrap(pg, raw_tables())
                _bootstrapped.add(conn.conninfo)
        return conn

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        # Autocommit: each delivery's `with conn.transaction()` is then a real
        # transaction of its own, committed when that delivery is done, not a
        # savepoint inside one long run-wide transaction.
        with psycopg.connect(self.connection().conninfo, autocommit=True) as pg:
            act_as(pg, LOADER)  # the loader writes raw_* and audit only (roles.yaml, owners)
            yield pg
