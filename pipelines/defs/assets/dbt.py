"""The dbt project as Dagster assets, downstream of the loader assets.

Keys are `[schema, model]`, like the loader's `[raw_<agency>, dataset]`, and
the group is the schema: one name across dbt folder, database schema and
Dagster group. Sources point at the loader assets through
`meta.dagster.asset_key` in the generated `_<agency>__sources.yml`. dbt tests
become asset checks (dagster-dbt's default).
"""

import importlib.metadata
import json
import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from packaging.version import Version

from pipelines.defs.resources import WarehouseResource
from pipelines.lib.dbt_project import dbt_env, dbt_executable, dbt_project, prepare_manifest, prune_run_targets, run_target
from warehouse.build_lock import build_lock
from warehouse.settings import DBT_PROJECT_DIR


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


# A run tagged with this (the `nightly_full_tests` schedule, `fdi run --full-tests`) tests every row of every
# model and runs the dbt unit tests and the tests tagged `full_pass_only` (reconciliations that read every raw
# row, checks a unique index already enforces); any other build tests what it wrote
# (dbt_project/macros/test_scope.sql) and leaves those, which prove the SQL or the whole history rather than
# the month's data, to CI and the nightly run.
FULL_TESTS_TAG = "fdi/full_tests"


def dbt_build_args(tags: Mapping[str, str]) -> list[str]:
    if tags.get(FULL_TESTS_TAG) == "true":
        return ["build", "--vars", json.dumps({"fdi_full_tests": True})]
    return ["build", "--exclude-resource-type", "unit_test", "--exclude", "tag:full_pass_only"]


class FdiDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, less two things it does before every build and this project never uses.

    It learns dbt's version by running `dbt --version`, a whole dbt start-up (about 4 s, paid by every run the
    daemon launches, each in a process of its own): the dbt it runs is the dbt-core installed beside this
    Python (`dbt_executable`), whose version the package metadata gives. And it builds a dbt adapter in
    this process (1-3 s) that serves only `fetch_row_counts` and `fetch_column_metadata`, which the build
    does not call (without an adapter they would add no metadata, silently)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    return FdiDbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR),
                             dbt_executable=dbt_executable())


def build_dbt_assets() -> dg.AssetsDefinition:
    manifest = prepare_manifest()

    @dbt_assets(manifest=manifest, project=dbt_project(), dagster_dbt_translator=TRANSLATOR, name="fdi_dbt_models")
    def fdi_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        settings = warehouse.settings()
        os.environ.update(dbt_env(warehouse.connection(), settings))
        # The node-by-node log goes to stdout (dagster-dbt); `fdi run` reads the run's
        # run_results.json from its own target folder to say in one line what the build did.
        prune_run_targets()
        # one build at a time, whether `fdi run`, a schedule, a sensor or the UI started it
        with build_lock(warehouse.connection().conninfo, f"run {context.run_id}", context.log.info):
            yield from dbt.cli(dbt_build_args(context.run.tags), context=context,
                               target_path=run_target(context.run_id)).stream()

    return fdi_dbt_models
