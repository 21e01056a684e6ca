"""The Dagster instance: SQLite run storage under FDI_HOME, or PostgreSQL when configured."""
from __future__ import annotations

import json
import os

from warehouse.settings import Settings

# The event log is Dagster's SQLite storage with its connections kept open (pipelines/lib/dagster_event_log.py);
# runs and schedules are Dagster's defaults, all under this folder.
_SQLITE = """# Written by `fdi`: run, event and schedule storage in SQLite under this folder.
event_log_storage:
  module: pipelines.lib.dagster_event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {event_log_dir}
telemetry:
  enabled: false
"""
# The URL stays in the environment, never on disk.
_POSTGRES = """# Written by `fdi`: run, event and schedule storage in PostgreSQL (dagster-postgres).
storage:
  postgres:
    postgres_url:
      env: FDI_DAGSTER_STORAGE_URL
telemetry:
  enabled: false
"""


def dagster_storage_url(url: str) -> str:
    """The URL dagster-postgres is given for FDI_DAGSTER_STORAGE_URL: a plain `postgresql://` names the driver.

    SQLAlchemy 2.1 reads a plain `postgresql://` as psycopg 3, and dagster-postgres sends its run
    notifications (`NOTIFY run_events, %(id)s`) as psycopg2 does, client-side: psycopg 3 sends the
    parameter to the server, which rejects it, so every event of a run failed. An explicit driver is kept."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg2://{rest}"
    return url


def prepare_dagster_home(settings: Settings) -> str:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    # the folder Dagster's default SQLite storage keeps its event log in, so an existing home keeps its runs
    config = _POSTGRES if settings.dagster_storage_url else _SQLITE.format(
        event_log_dir=json.dumps(str(home / "history" / "runs")))
    if settings.dagster_storage_url:  # the variable the dagster.yaml reads, for this process and the UI's
        os.environ["FDI_DAGSTER_STORAGE_URL"] = dagster_storage_url(settings.dagster_storage_url)
    path = home / "dagster.yaml"
    if not path.exists() or path.read_text() != config:
        path.write_text(config)
    os.environ["DAGSTER_HOME"] = str(home)
    return str(home)
