"""The dbt project as Dagster assets, downstream of the loader assets.

Keys are `[schema, model]`, like the loader's `[raw_<agency>, dataset]`, and
the group is the schema: one name across dbt folder, database schema and
Dagster group. Sources point at the loader assets through
`meta.dagster.asset_key` in the generated `_<agency>__sources.yml`. dbt tests
become asset checks (dagster-dbt's default).
"""

import os
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.resources import WarehouseResource
from warehouse.server import Connection, static_connection
from warehouse.settings import DBT_PROJECT_DIR, Settings

_SOURCES = ("models", "macros", "seeds", "snapshots", "tests", "dbt_project.yml", "profiles.yml")


class FdiTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("schema")


# Source tests (the contract's cross-dataset references) become checks on the loader assets.
TRANSLATOR = FdiTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True,
                                                                  enable_source_tests_as_checks=True))


def dbt_env(conn: Connection, settings: Settings) -> dict[str, str]:
    """Environment of a dbt process: the profile's connection plus the pseudonym key.

    The key travels as a server setting in PGOPTIONS, read in SQL with
    current_setting('fdi.pseudonym_key'), so it never appears in compiled SQL,
    dbt logs or the repository.
    """
    key = settings.pseudonym_key(create=settings.embedded)
    return {**conn.dbt_env(), "PGOPTIONS": f"-c fdi.pseudonym_key={key}",
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}


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


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())


def build_dbt_assets() -> dg.AssetsDefinition:
    manifest = prepare_manifest()

    @dbt_assets(manifest=manifest, project=dbt_project(), dagster_dbt_translator=TRANSLATOR, name="fdi_dbt_models")
    def fdi_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        settings = warehouse.settings()
        os.environ.update(dbt_env(warehouse.connection(), settings))
        yield from dbt.cli(["build"], context=context).stream()

    return fdi_dbt_models
