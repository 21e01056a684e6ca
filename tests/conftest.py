"""Shared fixtures: one real PostgreSQL per test session, a fresh database per test.

The server is the embedded one (started once under a temporary FDI_HOME), or
the server of FDI_TEST_DATABASE_URL when given. Each test that needs the
warehouse gets its own freshly bootstrapped database and an environment that
points every layer (CLI, Dagster resources, dbt) at it through
FDI_DATABASE_URL, so tests also exercise the "real server" code path.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import psycopg
import pytest

from tests.helpers import fresh_warehouse

# Tests never touch a developer's own FDI_HOME or database.
for var in ("FDI_DATABASE_URL", "FDI_HOME", "FDI_LANDING", "FDI_DAGSTER_STORAGE_URL", "FDI_PSEUDONYM_KEY_FILE"):
    os.environ.pop(var, None)


def pytest_configure(config):
    # pytest keeps a user's three newest `pytest-N` temp folders and deletes
    # older ones, even one that a concurrent session (another worktree) still
    # runs its embedded PostgreSQL in. Every session gets its own folder.
    if config.option.basetemp is None:
        config.option.basetemp = tempfile.mkdtemp(prefix="fdi-pytest-")
        config.stash[_OWN_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config):
    own = config.stash.get(_OWN_BASETEMP, None)
    if own:
        shutil.rmtree(own, ignore_errors=True)


_OWN_BASETEMP = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """Admin connection to the session's PostgreSQL server."""
    from warehouse.server import _from_url, check_reachable, start_embedded, stop_embedded
    from warehouse.settings import Settings

    url = os.environ.get("FDI_TEST_DATABASE_URL")
    if url:
        yield check_reachable(_from_url(url))
        return
    home = tmp_path_factory.mktemp("fdi")
    settings = Settings.from_env({"FDI_HOME": str(home)})
    conn = start_embedded(settings)
    yield conn.for_database("postgres")
    stop_embedded(settings)


@pytest.fixture
def warehouse(pg_server, tmp_path):
    """A fresh, bootstrapped warehouse database; the environment points at it."""
    with fresh_warehouse(pg_server, tmp_path) as conn:
        yield conn


@pytest.fixture
def db(warehouse):
    """An open autocommit connection to the test's warehouse database (as the pipeline uses)."""
    with psycopg.connect(warehouse.conninfo, autocommit=True) as pg:
        yield pg
