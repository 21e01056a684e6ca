"""The dbt project as the library knows it: its one cached `DbtProject`, its manifest, and the environment of
a dbt process (connection and pseudonym key). The Dagster assets (`pipelines.defs.assets.dbt`), `fdi docs`, the
benchmark and the tests all reach dbt through here."""
from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from warehouse.bootstrap import BUILDER
from warehouse.server import Connection, static_connection
from warehouse.settings import DBT_PROJECT_DIR, Settings

_SOURCES = ("models", "macros", "seeds", "snapshots", "tests", "dbt_project.yml", "profiles.yml")


def dbt_env(conn: Connection, settings: Settings) -> dict[str, str]:
    """Environment of a dbt process: the profile's connection plus the pseudonym key.

    The key travels as a server setting in PGOPTIONS, read in SQL with
    current_setting('fdi.pseudonym_key'), so it never appears in compiled SQL,
    dbt logs or the repository.
    """
    key = settings.pseudonym_key(create=settings.embedded)
    # dbt acts as fdi_builder (profiles.yml `role`): it owns the schemas it builds and
    # cannot touch the review log (warehouse/roles.yaml, owners).
    return {**conn.dbt_env(), "PGOPTIONS": f"-c fdi.pseudonym_key={key}",
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR), "FDI_PGROLE": BUILDER}


def dbt_executable() -> str:
    """The dbt installed beside this Python: .venv/bin need not be on PATH (CI, cron)."""
    return str(Path(sys.executable).with_name("dbt"))


def _stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in _SOURCES:
        path = DBT_PROJECT_DIR / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def prepare_manifest(settings: Settings | None = None) -> Path:
    """`dbt parse` when the manifest is missing or older than the project (no database needed)."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if _stale(manifest):
        settings = settings or Settings.from_env()
        env = {**os.environ, **static_connection(settings).dbt_env(), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
        done = subprocess.run([dbt_executable(), "parse", "--quiet"], cwd=DBT_PROJECT_DIR, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    return manifest


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
