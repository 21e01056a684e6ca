"""The Dagster instance: SQLite run storage under FDI_HOME, or PostgreSQL when configured."""
from __future__ import annotations

import os

from warehouse.settings import Settings

_SQLITE = """# Written by `fdi`: run, event and schedule storage in SQLite under this folder.
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


def prepare_dagster_home(settings: Settings) -> str:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = _POSTGRES if settings.dagster_storage_url else _SQLITE
    path = home / "dagster.yaml"
    if not path.exists() or path.read_text() != config:
        path.write_text(config)
    os.environ["DAGSTER_HOME"] = str(home)
    return str(home)
